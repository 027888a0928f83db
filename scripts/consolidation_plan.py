"""The plan "Consolidate MLflow Utilities Duplication", as data: the single source of truth for the
shim list that the step scripts act on and that ``.importlinter`` protects."""

from shimkit.domain.plan import Plan

COMPAT_PACKAGE = "orchestration.jobs.tracking.utils"

PLAN = Plan(
    title="Consolidate MLflow Utilities Duplication",
    consolidate={
        # a nested re-export: it re-exports another shim
        "orchestration.jobs.tracking.mlflow_utils": f"{COMPAT_PACKAGE}.mlflow_utils",
        # a duplicate: both re-export create_child_run
        "orchestration.jobs.tracking.mlflow_helpers": f"{COMPAT_PACKAGE}.helpers",
    },
    deprecated=("orchestration.mlflow_utils",),
    keep=(COMPAT_PACKAGE, f"{COMPAT_PACKAGE}.mlflow_utils", f"{COMPAT_PACKAGE}.helpers"),
    tracking_tests=("tests/tracking", "tests/infrastructure/tracking"),
    # The project's own test command, run from the root instead of pytest on tracking_tests:
    # words, not one string, e.g. ("pytest", "-x", "tests/unit") or (sys.executable,
    # "runtests.py"). A pytest command is read per test; any other by its exit status only.
    # test_command=(),
    exclude=("tests/fixtures", "tests/kit"),
    layers=("orchestration", "infrastructure", "common"),
    # the plan as its team wrote it (the bundled legacy tree has it): its status is kept current
    plan_doc="docs/plans/consolidate-mlflow-utilities.plan.md",
)
