"""The kit's own libraries, checked before anything imports them: a script run where they are not
installed says which are missing and how to install them, in one line, instead of a traceback."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

# the importable name of each distribution of scripts/requirements.txt
LIBRARIES = {
    "import-linter": "importlinter",
    "grimp": "grimp",
    "bowler": "bowler",
    "fissix": "fissix",
    "libcst": "libcst",
    "rich": "rich",
}
EXIT_REFUSED = 2  # bad input, a refusal: the exit status of every refused run


def missing_libraries() -> list[str]:
    return [name for name, module in LIBRARIES.items() if find_spec(module) is None]


def require_libraries() -> None:
    missing = missing_libraries()
    if missing:
        requirements = Path(__file__).resolve().parents[2] / "requirements.txt"
        print(
            f"error: {sys.executable} lacks the kit's libraries {', '.join(missing)}: "
            f"pip install -r {requirements}",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_REFUSED)
