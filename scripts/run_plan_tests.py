"""Run the tests the plan declares (``PLAN.test_paths``) with pytest; extra arguments
go to pytest. The tox gate calls this, so tox.ini names no test paths."""

import sys

import pytest
from consolidation_plan import PLAN

if __name__ == "__main__":
    raise SystemExit(pytest.main([*PLAN.test_paths, *sys.argv[1:]]))
