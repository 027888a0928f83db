"""Command line of the five steps, ``migrate`` and ``retire_shims``: parse, run, map errors.

Exit status: 0 done or nothing to do; 1 verification failed, or ``--check`` and changes pending;
2 bad input or refused, with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from shimkit.application import (
    RunOptions,
    Workspace,
    migrate,
    run_import_smoke,
    run_inventory,
    run_retire,
    run_rewrite_step,
    run_session,
    run_verify,
)
from shimkit.cli.reporter import RichReporter
from shimkit.domain.errors import KitError
from shimkit.domain.plan import Plan
from shimkit.domain.steps import consolidate_step, remove_deprecated_step, update_imports_step
from shimkit.system.signals import Interrupted, interruptible

EXIT_REFUSED = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="repository root (default: .)"
    )
    parser.add_argument(
        "--src", default="src", help="import root, relative to --root (default: src)"
    )


def _writing(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", action="store_true", help="apply the changes (default: show a diff)"
    )
    mode.add_argument("--check", action="store_true", help="exit 1 if changes are pending")
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="write even if the git tree has uncommitted changes",
    )


def _options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        write=getattr(args, "write", False),
        check=getattr(args, "check", False),
        allow_dirty=getattr(args, "allow_dirty", False),
    )


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=command, description=description)
    _common(parser)
    return parser


def _guarded(workspace: Workspace, reporter: RichReporter, body: Callable[[], int]) -> int:
    """Run ``body`` after recovering ``workspace`` from any interrupted run; a stop signal
    (SIGTERM, SIGHUP, Ctrl-C) unwinds it like an error, so every clean-up runs."""
    try:
        with interruptible():
            return run_session(workspace, reporter, body)
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (KeyboardInterrupt, Interrupted) as error:
        name = error.name if isinstance(error, Interrupted) else "SIGINT"
        print(
            f"error: interrupted by {name}; no write was left half-done, temporary copies removed",
            file=sys.stderr,
        )
        return EXIT_REFUSED


def inventory_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "step1_inventory.py", "Step 1: inventory every re-export layer and its usages."
    )
    parser.add_argument("--json", type=Path, help="also write the inventory as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the inventory as Markdown here")
    parser.add_argument(
        "--write-contracts",
        action="store_true",
        help="write .importlinter from the plan and the legacy importers found (starts green)",
    )
    parser.add_argument("--allow-dirty", action="store_true", help="with --write-contracts")
    args = parser.parse_args(argv)
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(
        workspace,
        reporter,
        lambda: run_inventory(
            workspace,
            reporter,
            json_path=args.json,
            markdown_path=args.markdown,
            write_contracts=args.write_contracts,
            options=_options(args),
        ),
    )


def rewrite_main(plan: Plan, step_name: str, argv: Sequence[str] | None = None) -> int:
    step = {
        "consolidate": consolidate_step,
        "remove-deprecated": remove_deprecated_step,
        "update-imports": update_imports_step,
    }[step_name](plan)
    parser = _parser(f"step{step.number}", f"Step {step.number}: {step.title}.")
    _writing(parser)
    args = parser.parse_args(argv)
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(
        workspace, reporter, lambda: run_rewrite_step(workspace, step, _options(args), reporter)
    )


def verify_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser("step5_verify.py", "Step 5: verify nothing is broken and nothing is lost.")
    args = parser.parse_args(argv)
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(workspace, reporter, lambda: run_verify(workspace, reporter))


def migrate_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser("migrate.py", "Run steps 1-5 in order.")
    _writing(parser)
    args = parser.parse_args(argv)
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(workspace, reporter, lambda: migrate(workspace, _options(args), reporter))


def import_smoke_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "import_smoke.py",
        "Import every module under src/ in a fresh interpreter: no import error, no project "
        "DeprecationWarning, no None re-export.",
    )
    parser.add_argument("--jobs", type=int, default=2, help="interpreters at once (default: 2)")
    args = parser.parse_args(argv)
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(
        workspace, reporter, lambda: run_import_smoke(workspace, reporter, max(1, args.jobs))
    )


def retire_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "retire_shims.py", "Retire any set of shim modules: importers move to the source of truth."
    )
    parser.add_argument(
        "modules", nargs="*", metavar="MODULE", help="dotted shim modules to retire"
    )
    parser.add_argument("--deprecated", action="store_true", help="retire every shim that warns")
    _writing(parser)
    args = parser.parse_args(argv)
    if not args.modules and not args.deprecated:
        parser.error("name at least one MODULE, or pass --deprecated")
    workspace = Workspace(args.root.resolve(), args.src, plan)
    reporter = RichReporter()
    return _guarded(
        workspace,
        reporter,
        lambda: run_retire(
            workspace, tuple(args.modules), args.deprecated, _options(args), reporter
        ),
    )
