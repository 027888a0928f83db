"""Command line of the five steps, ``migrate`` and ``retire_shims``: parse, run, map errors.

Exit status: 0 done or nothing to do; 1 verification failed, or ``--check`` and changes pending,
or (``retire_shims``) a layer asked for stays; 2 bad input or refused, with a one-line reason on
stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from shimkit.analysis.memory import trees_held_apart
from shimkit.application import ImportOptions, Run, RunOptions, Workspace, run_session
from shimkit.cli.reporter import RichReporter
from shimkit.cli.requirements import EXIT_REFUSED
from shimkit.domain.errors import InternalError, KitError
from shimkit.domain.phases import clocked
from shimkit.domain.plan import Plan, test_command_problem
from shimkit.domain.steps import consolidate_step, remove_deprecated_step, update_imports_step
from shimkit.system.error_log import write_error_log
from shimkit.system.processes import peak_memory_mb, seconds_since_start
from shimkit.system.signals import Interrupted, interruptible
from shimkit.use_cases import (
    migrate,
    run_adopt,
    run_import_smoke,
    run_inventory,
    run_retire,
    run_rewrite_step,
    run_rollback,
    run_verify,
    shim_imports,
)
from shimkit.verify import run_lint_imports


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
    parser.add_argument(
        "--commit",
        action="store_true",
        help="with --write: each step's verified change becomes a commit of its own "
        "(trailer Shim-Step: N)",
    )


def _plan_doc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan-doc",
        type=Path,
        help="the plan's markdown document, inside --root: its status block is kept current "
        "(default: the plan's plan_doc)",
    )


def _strict(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a precondition is not met"
    )


def _runnable(program: str, root: Path) -> bool:
    """Whether ``program`` starts from ``root``: a path (relative to it) or a name on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        return os.access(root / program, os.X_OK) and (root / program).is_file()
    return shutil.which(program) is not None


def _workspace(plan: Plan, args: argparse.Namespace) -> Workspace:
    """The run's workspace; ``--plan-doc`` replaces the plan's document (root-relative)."""
    problem = test_command_problem(plan)
    if problem is not None:
        raise KitError(f"{problem}: fix scripts/consolidation_plan.py")
    root = args.root.resolve()
    if plan.test_command and not _runnable(plan.test_command[0], root):
        raise KitError(
            f"the plan's test_command names {plan.test_command[0]}, which is neither on PATH nor "
            f"a program under {root}: fix scripts/consolidation_plan.py"
        )
    doc = getattr(args, "plan_doc", None)
    if doc is not None:
        path = doc.resolve()
        if not path.is_file():
            raise KitError(f"--plan-doc {doc}: no such file")
        if not path.is_relative_to(root):
            raise KitError(f"--plan-doc {doc} lies outside --root {root}")
        plan = replace(plan, plan_doc=path.relative_to(root).as_posix())
    return Workspace(root, args.src, plan)


def _import_checks(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("import checks")
    group.add_argument(
        "--all-modules",
        action="store_true",
        help="import every module, not only those whose imports reach a changed or deleted one",
    )
    group.add_argument(
        "--fresh-interpreters",
        action="store_true",
        help="one fresh interpreter per module (default: fork each from one that loaded the "
        "third-party packages)",
    )
    group.add_argument(
        "--jobs", type=int, default=None, help="imports at once (default: one per core)"
    )


def _imports(args: argparse.Namespace) -> ImportOptions:
    jobs = args.jobs
    if jobs is not None and jobs < 1:
        raise KitError(f"--jobs must be at least 1, not {jobs}")
    return ImportOptions(
        all_modules=args.all_modules, fresh_interpreters=args.fresh_interpreters, jobs=jobs
    )


def _options(args: argparse.Namespace) -> RunOptions:
    commit = getattr(args, "commit", False)
    if commit and not getattr(args, "write", False):
        raise KitError("--commit needs --write: only a written change can be committed")
    return RunOptions(
        write=getattr(args, "write", False),
        check=getattr(args, "check", False),
        allow_dirty=getattr(args, "allow_dirty", False),
        commit=commit,
        strict=getattr(args, "strict", False),
    )


class _Parser(argparse.ArgumentParser):
    """Bad arguments are bad input like any other: one line on stderr, exit 2 (``--help`` shows
    the usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_REFUSED)


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=command, description=description)
    _common(parser)
    return parser


UseCase = Callable[[Run], int]


def _guarded(body: Callable[[], int]) -> int:
    """Run ``body``, turning the kit's errors into one line and exit 2; a stop signal (SIGTERM,
    SIGHUP, Ctrl-C) unwinds it like an error, so every clean-up runs. A fault of the kit itself
    is one line too, naming where it happened, with the full trace in a log file: no traceback
    reaches the user (writes are transactions, so the tree is as it was)."""
    try:
        with interruptible():
            return body()
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except InternalError as error:
        return _internal(error)
    except Exception as error:  # a fault outside every phase that names itself
        return _internal(InternalError.of(error, f"running {Path(sys.argv[0]).name}"))
    except (KeyboardInterrupt, Interrupted) as error:
        name = error.name if isinstance(error, Interrupted) else "SIGINT"
        print(
            f"error: interrupted by {name}; no write was left half-done, temporary copies removed",
            file=sys.stderr,
        )
        return EXIT_REFUSED


def _internal(error: InternalError) -> int:
    try:
        log = f"full trace in {write_error_log(error.trace)}"
    except OSError as failure:
        log = f"the trace could not be logged ({failure.strerror or failure})"
    print(
        f"error: internal error while {error.where()}: {error.summary}; "
        f"your tree is left as it was; {log}",
        file=sys.stderr,
    )
    return EXIT_REFUSED


def _run(plan: Plan, args: argparse.Namespace, use_case: UseCase, show_phases: bool = True) -> int:
    """``use_case`` on the run's workspace, after recovering it from any interrupted run; a run
    that ends (not one refused) shows where its time went, unless it is a gate check whose
    output is its verdict."""

    def body() -> int:
        reporter = RichReporter()
        imports = _imports(args) if hasattr(args, "jobs") else None
        run = Run(_workspace(plan, args), reporter, _options(args), imports)
        with clocked(seconds_since_start(), memory=peak_memory_mb) as clock, trees_held_apart():
            status = run_session(run, use_case)
        if show_phases:
            reporter.phase_times(clock)
        return status

    return _guarded(body)


def adopt_main(kit: Path, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "adopt.py",
        "Adopt the kit in the repository at --root: copy what the gate runs, write a starter "
        "plan from the layers found, a tox.ini with the gate, and contracts that start green.",
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="adopt even if the git tree has uncommitted changes",
    )
    args = parser.parse_args(argv)
    plan = Plan(title="adoption")
    return _run(
        plan,
        args,
        lambda run: run_adopt(kit, run),
    )


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
    _strict(parser)
    _plan_doc(parser)
    _import_checks(parser)
    args = parser.parse_args(argv)
    return _run(
        plan,
        args,
        lambda run: run_inventory(
            run,
            json_path=args.json,
            markdown_path=args.markdown,
            write_contracts=args.write_contracts,
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
    _plan_doc(parser)
    args = parser.parse_args(argv)
    return _run(
        plan,
        args,
        lambda run: run_rewrite_step(run, step),
    )


def verify_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser("step5_verify.py", "Step 5: verify nothing is broken and nothing is lost.")
    _plan_doc(parser)
    _import_checks(parser)
    args = parser.parse_args(argv)
    return _run(plan, args, run_verify)


def migrate_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser("migrate.py", "Run steps 1-5 in order.")
    _writing(parser)
    _strict(parser)
    _plan_doc(parser)
    _import_checks(parser)
    args = parser.parse_args(argv)
    return _run(plan, args, migrate)


def import_smoke_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "import_smoke.py",
        "Import every module under src/ on its own: no import error, no project "
        "DeprecationWarning, no None re-export.",
    )
    _import_checks(parser)
    parser.add_argument(
        "--phases", action="store_true", help="also show where the time went, phase by phase"
    )
    args = parser.parse_args(argv)
    return _run(
        plan,
        args,
        run_import_smoke,
        show_phases=args.phases,
    )


def retire_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "retire_shims.py", "Retire any set of shim modules: importers move to the source of truth."
    )
    parser.add_argument(
        "modules", nargs="*", metavar="MODULE", help="dotted shim modules to retire"
    )
    parser.add_argument("--deprecated", action="store_true", help="retire every shim that warns")
    parser.add_argument(
        "--json",
        type=Path,
        help="also write the result here: the layers asked for, those retired, and every one "
        "that stays with the reason",
    )
    _writing(parser)
    _import_checks(parser)
    args = parser.parse_args(argv)
    if not args.modules and not args.deprecated:
        parser.error("name at least one MODULE, or pass --deprecated")
    return _run(
        plan,
        args,
        lambda run: run_retire(run, tuple(args.modules), args.deprecated, json_path=args.json),
    )


def rollback_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    parser = _parser(
        "rollback.py",
        "Revert the kit's step commits in reverse order (git revert; history is never "
        "rewritten), then check the restored tree.",
    )
    parser.add_argument(
        "--to",
        type=int,
        default=0,
        metavar="STEP",
        help="keep steps 1..STEP, revert the step commits after them (default 0: all of them)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="revert even when later commits touch the same files",
    )
    _import_checks(parser)
    args = parser.parse_args(argv)
    return _run(
        plan,
        args,
        lambda run: run_rollback(run, args.to, args.force),
    )


def gate_main(plan: Plan, argv: Sequence[str] | None = None) -> int:
    """The gate's pre-commit hooks: ``contracts`` (lint-imports with the import root on the
    path) and ``imports FILE...`` (no staged file imports a retired or protected shim)."""
    parser = _parser("shim_gate.py", "The shim gate's pre-commit hooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("contracts", help="lint-imports on the tree's .importlinter")
    staged = commands.add_parser(
        "imports", help="no FILE imports a retired shim, or a protected one outside its allowlist"
    )
    staged.add_argument("files", nargs="*", metavar="FILE", help="files, relative to --root")
    excluded = plan.exclude
    args = parser.parse_args(argv)
    root = args.root.resolve()

    def contracts() -> int:
        result = run_lint_imports(root, args.src)
        print(result.output)
        return 0 if result.ok else 1

    def imports() -> int:
        problems = shim_imports(root, args.src, args.files, excluded)
        for problem in problems:
            print(problem)
        return 1 if problems else 0

    return _guarded(contracts if args.command == "contracts" else imports)
