"""Verification: nothing is broken, nothing is lost, the guardrails hold.

Every check compares with the step-1 baseline: a contract violation, a DeprecationWarning or a
failing test that was already there before the change is listed as pre-existing, and only what
the change caused fails the verification. What a verification holds a run to is its ``Scope``:
step 5 verifies the plan's steps done so far (and lists the pending ones), ``retire_shims.py``
verifies its own change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

from shimkit.analysis import imports_of
from shimkit.analysis.tree_analysis import Analysis
from shimkit.analysis.undone import undone_side
from shimkit.application.baseline_changes import changed_since_baseline
from shimkit.application.options import ImportOptions
from shimkit.application.plan_doc import check_plan_doc, mark_steps_done
from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.run_progress import tests_heartbeat
from shimkit.application.smoke import (
    ModuleSelection,
    changed_modules,
    import_each,
    importable_candidates,
    modules_to_check,
    reexported_names,
)
from shimkit.application.success_criteria import report_success_criteria
from shimkit.application.test_baselines import (
    Recorded,
    RecordedRuns,
    TestSuite,
    plan_tests,
    suite_key,
)
from shimkit.application.workspace import Workspace, analyse
from shimkit.domain import shortcuts
from shimkit.domain.errors import doing
from shimkit.domain.importlinter_file import CONFIG, read_lists
from shimkit.domain.model import Inventory, Reference
from shimkit.domain.phases import OTHER_CHECKS, timed
from shimkit.planning.checks import Check, CheckResult, CheckRow
from shimkit.planning.contracts import is_gone
from shimkit.planning.decisions import shim_tests_to_decide
from shimkit.use_cases.inventory import load_baseline, violations
from shimkit.use_cases.progress import pending_steps
from shimkit.verify import (
    PRE_EXISTING,
    REGRESSION,
    BaselineComparison,
    DeprecationRecord,
    ModuleSmoke,
    SmokeOutcome,
    TestRun,
    check_identity,
    compare_with_baseline,
    describe_command,
    probe_contracts,
    run_tests,
    run_tests_at,
    verdicts_against,
)
from shimkit.verify.smoke_report import same_failure, unusable_names

TITLE = "Verify"


@dataclass(frozen=True)
class BeforeChange:
    """The tree a verification runs on, as it was before the change: ``analysis`` of it, and a
    context in which the tree holds it again. A baseline taken without imports (``retire_shims.py``
    knows its change) is completed with it: only the modules that fail or warn after the change
    are imported before it, to tell a regression from what was already there."""

    analysis: Analysis
    restored: Callable[[], AbstractContextManager[None]]


@dataclass(frozen=True)
class Scope:
    """What a verification holds a change to."""

    retired: frozenset[str]  # modules the change retired: gone, and nothing names them
    kept: frozenset[str]  # compatibility layers that stay: re-export the very objects
    # (module, name): re-exports the change retired from modules that stay; nothing reaches them
    retired_names: frozenset[tuple[str, str]] = frozenset()
    contracts_required: bool = True  # a tree without .importlinter fails (step 5) or skips
    # the tree's .importlinter is the kit's: it protects exactly the plan's shims (not so for a
    # tree rolled back to before the contracts were adopted)
    plan_contracts: bool = True
    # the baseline holds no imports: they are taken before the change where needed
    before: BeforeChange | None = None


# pre-existing failures noted one by one up to this many (of one kind); more are summarised
PRE_EXISTING_LISTED = 10
FAILURES_SHOWN = 3  # the failures most of them share, in such a summary
MODULES_SHOWN = 2  # the modules named for each


def _some(modules: list[str]) -> str:
    more = len(modules) - MODULES_SHOWN
    return ", ".join(modules[:MODULES_SHOWN]) + (f" and {more} more" if more > 0 else "")


@dataclass
class Verification:
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # pre-existing problems, skipped files
    decisions: list[str] = field(default_factory=list)  # for a person: tests of retired shims
    # every module that failed as it did before the change: (module, why, its failure)
    pre_existing: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, check: Check, ok: bool | None, details: str = "") -> None:
        self.checks.append(CheckResult(check, ok, details))

    def failed_before(self, why: str, failures: Mapping[str, ModuleSmoke]) -> None:
        """Failures known to have been there before the change, for the same reason: a note
        each, or one note for them all when there are more than ``PRE_EXISTING_LISTED`` (a
        person reads how many, and the failures they share; ``pre_existing`` holds them all)."""
        self.pre_existing.extend((module, why, r.message) for module, r in failures.items())
        if len(failures) <= PRE_EXISTING_LISTED:
            self.notes.extend(f"pre-existing: {m} {why}: {r.message}" for m, r in failures.items())
            return
        by_failure: dict[str, list[str]] = {}
        for module, r in failures.items():
            by_failure.setdefault(r.message, []).append(module)
        common = sorted(by_failure.items(), key=lambda item: -len(item[1]))
        shown = [
            f"{len(modules)} with {message} ({_some(modules)})"
            for message, modules in common[:FAILURES_SHOWN]
        ]
        if len(common) > FAILURES_SHOWN:
            rest = sum(len(modules) for _, modules in common[FAILURES_SHOWN:])
            shown.append(f"{rest} with {len(common) - FAILURES_SHOWN} other failure(s)")
        self.notes.append(
            f"pre-existing: {len(failures)} modules, each of which {why}: {'; '.join(shown)}"
        )

    @property
    def rows(self) -> list[CheckRow]:
        """The checks as shown: ``(label, passed, details)``."""
        return [check.row for check in self.checks]

    @property
    def ok(self) -> bool:
        return all(check.ok is not False for check in self.checks)


@dataclass(frozen=True)
class KnownWarnings:
    """The project DeprecationWarnings each module issued before the change: (module, path,
    message, category). A new category is a new warning (warning filters match it): a step-1
    baseline records none, and its warnings stand for any."""

    seen: set[tuple[str, str, str, str | None]] = field(default_factory=set)

    def add(self, results: Iterable[ModuleSmoke]) -> None:
        self.seen.update(
            (r.module, d.path, d.message, d.category) for r in results for d in r.deprecations
        )

    def knows(self, module: str, warning: DeprecationRecord) -> bool:
        key = (module, warning.path, warning.message)
        return (*key, warning.category) in self.seen or (*key, None) in self.seen


def _listing(items: Collection[str], limit: int = 6) -> str:
    shown = sorted(items)[:limit]
    return ", ".join(shown) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _check_parse(analysis: Analysis, result: Verification) -> None:
    blocking = analysis.inventory.blocking_failures
    result.add(
        Check.PARSE,
        not blocking,
        _listing([f"{f.path}:{f.line} ({f.blocks})" for f in blocking]),
    )
    result.notes.extend(
        f"not checked: {f.path}:{f.line} does not parse ({f.message}); it cannot name what "
        "moved" + ("; import-linter saw it as an empty module" if f.masked else "")
        for f in analysis.inventory.skipped_files
    )


def _check_contract_drift(
    workspace: Workspace, retired: Collection[str], result: Verification
) -> None:
    path = workspace.root / CONFIG
    try:
        protected = set(read_lists(path.read_text(encoding="utf-8"))["protected"])
    except ValueError as error:
        result.add(Check.CONTRACTS_MATCH_PLAN, False, str(error))
        return
    wanted = {*workspace.plan.shims, *retired}
    drift = (wanted - protected) | (protected - wanted)
    result.add(
        Check.CONTRACTS_MATCH_PLAN,
        not drift,
        "protected modules = the plan's shims" if not drift else f"differ on {_listing(drift)}",
    )


def _check_contracts(
    workspace: Workspace,
    analysis: Analysis,
    baseline: Inventory,
    scope: Scope,
    result: Verification,
) -> None:
    if not (workspace.root / CONFIG).is_file():
        result.add(
            Check.CONTRACTS_PRESENT,
            not scope.contracts_required,
            f"no {CONFIG} in this tree"
            + (": run step 1 --write-contracts" if scope.contracts_required else ": skipped"),
        )
        return
    if scope.plan_contracts:
        _check_contract_drift(workspace, scope.retired, result)
    masked = analysis.inventory.masked_files
    report = probe_contracts(workspace.root, workspace.src, CONFIG, masked=masked)
    now = set(violations(report))
    before = set(baseline.contract_violations)
    regressions = sorted(now - before)
    result.notes.extend(f"pre-existing contract violation: {v}" for v in sorted(now & before))
    kept = sum(1 for contract in report.contracts if contract.kept)
    result.add(
        Check.NO_NEW_VIOLATION,
        not regressions,
        "; ".join(regressions[:8])
        if regressions
        else f"{kept} of {len(report.contracts)} contracts kept"
        + (f", {len(now)} violation(s) already in the baseline" if now else "")
        + (f"; not checked: does not parse: {_listing(masked)}" if masked else ""),
    )


def _check_retired(analysis: Analysis, scope: Scope, result: Verification) -> None:
    modules = analysis.inventory.modules
    still_there = [m for m in scope.retired if not is_gone(m, modules)]
    result.add(
        Check.RETIRED_DELETED,
        not still_there,
        _listing(still_there) if still_there else _listing(scope.retired) or "none retired",
    )
    references = [r for r in analysis.inventory.references if _names_retired(r, scope.retired)]
    about_shim = [r for r in references if r.exercises_shim]
    result.decisions.extend(shim_tests_to_decide(about_shim))
    stray = [r for r in references if not r.exercises_shim]
    result.add(Check.NO_REFERENCE_TO_RETIRED, not stray, _where(stray))
    # the import statements on their own, whatever the reference finder makes of the file: a
    # deleted module that something still imports is a broken tree
    excused = {(r.path, r.line, r.cell) for r in about_shim}
    gone = [m for m in scope.retired if m not in still_there]
    importing = [
        f"{site.path}:{site.line}"
        + (f" (cell {site.cell})" if site.cell is not None else "")
        + f" imports {site.module}"
        for site in imports_of(analysis.codebase, gone)
        if (site.path, site.line, site.cell) not in excused
    ]
    result.add(Check.NOTHING_IMPORTS_RETIRED, not importing, _listing(importing))
    if scope.retired_names:
        through = [
            r
            for r in analysis.inventory.references
            if not r.exercises_shim and any((r.shim, n) in scope.retired_names for n in r.names)
        ]
        result.add(
            Check.NO_REFERENCE_TO_RETIRED_REEXPORT,
            not through,
            _listing(
                [
                    f"{r.path}:{r.line} ({r.shim}.{n})"
                    for r in through
                    for n in r.names
                    if (r.shim, n) in scope.retired_names
                ]
            )
            or _listing([f"{m}.{n}" for m, n in scope.retired_names]),
        )


def _names_retired(reference: Reference, retired: Collection[str]) -> bool:
    return any(reference.shim == m or reference.shim.startswith(m + ".") for m in retired)


def _where(references: list[Reference]) -> str:
    return _listing([f"{r.path}:{r.line} ({r.shim})" for r in references])


def _check_imports(
    run: Run, analysis: Analysis, baseline: Inventory, scope: Scope, result: Verification
) -> None:
    workspace, imports = run.workspace, run.imports or ImportOptions()
    modules = set(analysis.inventory.modules)  # a tuple: each lookup would read all of it
    importable = (
        importable_candidates(scope.before.analysis)
        if scope.before is not None
        else baseline.importable_modules
    )
    expected = [
        m for m in importable if not any(m == r or m.startswith(r + ".") for r in scope.retired)
    ]
    missing = [m for m in expected if m not in modules]
    present = [m for m in expected if m in modules]
    changed = changed_modules(workspace, baseline, also={*scope.retired, *scope.kept})
    selection = modules_to_check(analysis, present, changed, imports.all_modules)
    # what the change did, for a failure to tell whether it would have failed so before it
    undone = (
        undone_side(scope.before.analysis.codebase, analysis.codebase, changed, scope.retired)
        if scope.before is not None and changed is not None and shortcuts.enabled()
        else None
    )
    report = import_each(
        run,
        analysis,
        selection,
        "verify: importing the baseline modules",
        reexported_names(analysis),  # every layer: one the change leaves may lose a name too
        changed=changed or (),
        undone=undone,
    )
    known = KnownWarnings(
        {(module, path, message, None) for module, path, message in baseline.import_warnings}
    )
    results, newly = list(report.results), frozenset[str]()
    if scope.before is not None:
        results, newly = _against_the_tree_before(
            run,
            scope.before,
            results,
            known,
            result,
            scope.kept,
            change_known=changed is not None,
        )
    failed: list[str] = []
    named: list[str] = []  # what the modules importing only since the change did
    for module in results:
        result.notes.extend(
            f"pre-existing DeprecationWarning importing {module.module}: {d.path}: {d.message}"
            for d in module.deprecations
            if known.knows(module.module, d)
        )
        (named if module.module in newly else failed).extend(_problems(module, known))
    summary = (
        f"{len(selection.modules)} modules, no new project DeprecationWarning, no None re-export"
        + (f" ({selection.skipped} the change cannot affect skipped)" if selection.skipped else "")
    )
    if named:
        summary += f"; in modules importing only since the change: {_listing(named)}"
    result.add(
        Check.MODULES_IMPORT,
        not failed and not missing,
        _listing(failed + [f"{m}: missing" for m in missing]) if failed or missing else summary,
    )
    pairs = [
        (res.shim, res.name, res.definition.module, res.definition.name)
        for res in analysis.inventory.resolutions
        if res.shim in scope.kept and res.definition is not None
    ]
    if not pairs:  # no kept layer re-exports a name: nothing to compare
        return
    problems = check_identity(workspace.root, workspace.src, pairs)
    result.add(
        Check.KEPT_IDENTITY,
        not problems,
        _listing(problems) if problems else f"{len(pairs)} names are the source's objects",
    )


def _problems(module: ModuleSmoke, known: KnownWarnings) -> list[str]:
    """What ``module``'s import did that it did not before the change: a warning not known, a
    name unusable (a known warning does not excuse one), a failure."""
    if module.outcome is not SmokeOutcome.DEPRECATION:
        return [] if module.ok else [f"{module.module}: {module.message}"]
    problems = []
    new = [d for d in module.deprecations if not known.knows(module.module, d)]
    if new:
        first = new[0]
        problems.append(
            f"{module.module}: new DeprecationWarning: {first.path}: {first.message}"
            + ("" if first.category == "DeprecationWarning" else f" ({first.category})")
        )
    if module.bad_names:
        problems.append(f"{module.module}: {unusable_names(module.bad_names)}")
    return problems


def _against_the_tree_before(
    run: Run,
    before: BeforeChange,
    results: list[ModuleSmoke],
    known: KnownWarnings,
    verification: Verification,
    kept: Collection[str] = (),
    change_known: bool = False,
) -> tuple[list[ModuleSmoke], frozenset[str]]:
    """The modules that fail or warn after the change, imported in the tree as it was before:
    their warnings then are added to ``known``; those that did not import then either, and fail
    the same way now, are left out (as a baseline leaves them out), with a note; one that fails
    otherwise now is judged, both failures named. A name already None or missing then (in a
    layer the plan does not keep) is no longer counted. Returns the results still to judge, and
    those of them that import now and did not then: what they do now (a warning they did not
    issue before they failed, a name unusable) has nothing to be compared with, and is named,
    not judged.

    When the change is known, a module that failed or warned before its import reached any
    changed module ran only code the change left alone: it did the same before the change, and
    is not imported again. Before the change, the one interpreter imports every module checked
    after it too, in the same order, so that it enters import cycles as that check did rather
    than by a module that fails half-way into one (a cycle entered twice vouches for nothing)."""
    checked = [r.module for r in results]
    unchanged_path = {
        r.module: r
        for r in results
        if not r.ok and change_known and r.reached is not None and not r.reached
    }
    known.add(unchanged_path.values())
    untouched = {m: r for m, r in unchanged_path.items() if r.outcome is SmokeOutcome.IMPORT_ERROR}
    verification.failed_before("fails before it reaches any changed module", untouched)
    untouched.update(_failing_as_before(results, untouched, verification))
    results = [
        r.without_bad_names(r.bad_names)
        if r.module in unchanged_path and r.module not in kept
        else r
        for r in results
        if r.module not in untouched
    ]
    suspects = tuple(r.module for r in results if not r.ok and r.module not in unchanged_path)
    if not suspects:
        return results, frozenset()
    verification.notes.extend(_not_proven(r for r in results if r.module in set(suspects)))
    with before.restored():
        earlier = import_each(
            run,
            before.analysis,
            ModuleSelection(suspects),
            "verify: importing before the change the modules that fail or warn after it",
            reexported_names(before.analysis, only=suspects),
            context=[m for m in checked if m in before.analysis.inventory.modules],
            one_interpreter=not _mostly_warned(before.analysis, suspects),
        )
    known.add(earlier.results)
    broken = {r.module: r for r in earlier.results if r.outcome is SmokeOutcome.IMPORT_ERROR}
    # a failure before the change excuses the same failure after it, not another one the change
    # put in its way (a stale import above the line that always failed)
    failing = {r.module: r for r in results if r.outcome is SmokeOutcome.IMPORT_ERROR}
    unlike = {m: r for m, r in broken.items() if m in failing and not same_failure(failing[m], r)}
    excused = {m: r for m, r in broken.items() if m in failing and m not in unlike}
    verification.failed_before("did not import before the change either", excused)
    newly = {module: r for module, r in broken.items() if module not in failing}
    verification.notes.extend(
        f"{module} imports since the change, not before it: {r.message}"
        for module, r in newly.items()
    )
    # whatever else the module did then (a warning the change removed), these were unusable
    already_bad = {r.module: r.bad_names for r in earlier.results if r.module not in kept}
    reduced = [r.without_bad_names(already_bad.get(r.module, ())) for r in results]
    judged = [
        _failing_unlike(r, unlike[r.module]) if r.module in unlike else r
        for r in reduced
        if r.module not in excused
    ]
    return judged, frozenset(newly)


def _failing_as_before(
    results: list[ModuleSmoke], known: Collection[str], verification: Verification
) -> dict[str, ModuleSmoke]:
    """The failures whose import proved, while it ran, that with the change undone it would have
    run the same code in the same order up to the same failure (``ModuleSmoke.same_undone``):
    the change only repointed imports it reached, and the retired shim would have been loaded
    from what was loaded already, bound the same objects, and been looked up nowhere. They failed
    so before the change, and are not imported again."""
    proven = {
        r.module: r
        for r in results
        if r.outcome is SmokeOutcome.IMPORT_ERROR and r.same_undone and r.module not in known
    }
    verification.failed_before(
        "fails the same way with the change undone (it reached only repointed imports)", proven
    )
    return proven


# reasons named, the most frequent first, when failures go back to an import with the change undone
REASONS_SHOWN = 3


def _not_proven(results: Iterable[ModuleSmoke]) -> list[str]:
    """Why the failures imported again with the change undone are: what kept their own imports
    from proving that they failed so before (``ModuleSmoke.undone``), with how many each kept;
    nothing when the proof was not asked."""
    reasons = Counter(
        r.undone for r in results if r.outcome is SmokeOutcome.IMPORT_ERROR and r.undone
    )
    if not reasons:
        return []
    shown = [f"{why} ({count})" for why, count in reasons.most_common(REASONS_SHOWN)]
    if len(reasons) > REASONS_SHOWN:
        shown.append(f"{len(reasons) - REASONS_SHOWN} other reason(s)")
    return [
        f"{reasons.total()} failure(s) imported again with the change undone; their own import "
        f"did not prove they failed so before: {'; '.join(shown)}"
    ]


def _failing_unlike(after: ModuleSmoke, before: ModuleSmoke) -> ModuleSmoke:
    return replace(after, message=f"{after.message} (before the change: {before.message})")


def _mostly_warned(analysis: Analysis, modules: Collection[str]) -> bool:
    """Whether most of ``modules`` import, by the static import graph, a layer that warns when
    imported (as the retired deprecated shim did before the change): a fresh import of each
    holds that warning, so the one interpreter, which sees it once, vouches for none of them,
    and importing the whole check there first (Django: 3.5 minutes) buys nothing."""
    warning = [layer.module for layer in analysis.inventory.shims if layer.warns]
    if not warning:
        return False
    reaching = analysis.imports.affected_modules(warning)
    return 2 * sum(1 for module in modules if module in reaching) > len(modules)


def _is_test_file(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _test_suite(
    workspace: Workspace, analysis: Analysis, baseline: Inventory, scope: Scope
) -> TestSuite | None:
    """The tests to run, and where they come from: the plan's test command; else the plan's
    test paths where the tree has them; else the test files the change touched or whose static
    imports reach a changed module. None: there are none."""
    named = plan_tests(workspace)
    if named is not None:
        return named
    changed = changed_modules(workspace, baseline, also={*scope.retired, *scope.kept})
    touched = changed_since_baseline(workspace, baseline)
    if changed is None or touched is None:
        return None
    found = {p for p in analysis.imports.files_importing(changed) if _is_test_file(p)}
    found |= {p for p in touched if _is_test_file(p) and (workspace.root / p).is_file()}
    if not found:
        return None
    paths = tuple(sorted(found))
    return TestSuite(paths, source=f"the tests that import a changed module: {len(paths)} path(s)")


def _excused(node: str, about_shim: list[Reference]) -> bool:
    """A failing test that itself exercises a retired shim (its DeprecationWarning, its file)."""
    path, _, rest = node.partition("::")
    name = rest.split("[", 1)[0]
    return any(r.path == path and r.test and r.test == name for r in about_shim)


@dataclass(frozen=True)
class _TestRuns:
    """How a verification's tests run: the suite, and the runs kept for a tree's content."""

    workspace: Workspace
    suite: TestSuite
    commit: str | None  # the baseline's
    recorded: RecordedRuns
    reporter: Reporter

    def now(self) -> TestRun:
        """The suite on the tree as the change left it (recorded: a later change's baseline)."""
        root, src, suite = self.workspace.root, self.workspace.src, self.suite
        heartbeat = tests_heartbeat(self.reporter, "verify: running the tests")
        run = run_tests(root, src, suite.paths, command=suite.command, progress=heartbeat)
        self.recorded.record(suite_key(root, src, suite), run)
        return run

    def before(self, result: Verification) -> TestRun | None:
        """The whole suite at the baseline commit: a run recorded for that content, else run
        there (and recorded). None: no baseline commit."""
        if self.commit is None:
            return None
        root, src, suite = self.workspace.root, self.workspace.src, self.suite
        key = suite_key(root, src, suite, self.commit)
        kept = self.recorded.covering(key)
        if kept is not None:
            result.notes.append(_reused(kept))
            return kept.run
        run = run_tests_at(root, src, suite.paths, self.commit, command=suite.command)
        self.recorded.record(key, run)
        return run

    def compared(self, failures: list[str], result: Verification) -> BaselineComparison:
        """``failures`` judged at the baseline commit: by a run recorded for that content that
        ran them, else by running them there (recorded)."""
        assert self.commit is not None
        root, src, suite = self.workspace.root, self.workspace.src, self.suite
        key = suite_key(root, src, suite, self.commit)
        kept = self.recorded.covering(key, failures)
        if kept is not None:
            result.notes.append(_reused(kept))
            return verdicts_against(kept.run, failures)
        comparison = compare_with_baseline(root, src, failures, self.commit, command=suite.command)
        if comparison.baseline is not None:
            self.recorded.record(key, comparison.baseline, failures)
        return comparison


def _reused(kept: Recorded) -> str:
    ran = "the whole run" if kept.selected is None else f"a run of {len(kept.selected)} test(s)"
    return (
        f"reused the baseline test result recorded {kept.when} for the same content "
        f"({ran}): nothing run again at the baseline commit"
    )


def _judge_broken_run(runs: _TestRuns, run: TestRun, result: Verification) -> None:
    """A test run that could not run (a conftest that does not import, a timeout, a usage error)
    fails the verification, unless the same run fails the same way at the baseline commit: then
    the change is not what broke it, and the tests are not judged, with a warning."""
    last = " | ".join(run.output_tail.strip().splitlines()[-5:])
    before = runs.before(result)
    if before is not None and before.run_failed and before.problem == run.problem:
        result.add(
            Check.TESTS,
            True,
            f"not judged: the test run fails before the change too ({run.problem})",
        )
        result.notes.append(
            f"warning: the tests could not run, before the change either: {run.problem} ({last})"
        )
        return
    if before is not None and not before.run_failed:
        last += "; at the baseline commit the same tests ran"
    result.add(Check.TESTS, False, f"the test run itself failed: {run.problem} ({last})")


def _judge_exit_status(runs: _TestRuns, run: TestRun, result: Verification) -> None:
    """A project test command the kit cannot read per test: its exit status after the change,
    compared with the one before it."""
    command = describe_command(runs.suite.command)
    if run.exit_code == 0:
        result.add(Check.TESTS, True, f"{command}: exit status 0 ({runs.suite.source})")
        return
    last = " | ".join(run.output_tail.strip().splitlines()[-5:])
    before = runs.before(result)
    if before is None:
        result.add(
            Check.TESTS, False, f"{command}: exit status {run.exit_code} (no baseline commit)"
        )
    elif before.run_failed:
        result.add(
            Check.TESTS,
            False,
            f"{command}: exit status {run.exit_code}; the baseline run could not decide: "
            f"{before.problem}",
        )
    elif before.exit_code == run.exit_code:
        result.add(
            Check.TESTS,
            True,
            f"not judged: {command} exits {run.exit_code} before the change too "
            "(its output is not read per test)",
        )
        result.notes.append(
            f"warning: {command} fails before the change as well (exit status "
            f"{run.exit_code}), so the tests could not tell this change's effect ({last})"
        )
    else:
        result.add(
            Check.TESTS,
            False,
            f"{command}: exit status {run.exit_code} after the change, {before.exit_code} "
            f"before it ({last})",
        )


def _check_tests(
    kit_run: Run, analysis: Analysis, baseline: Inventory, scope: Scope, result: Verification
) -> None:
    workspace, reporter = kit_run.workspace, kit_run.reporter
    suite = _test_suite(workspace, analysis, baseline, scope)
    if suite is None:
        result.add(Check.TESTS, True, "no tests: the plan's test paths are not in this tree")
        result.notes.append("warning: no tests were run for this change")
        return
    runs = _TestRuns(
        workspace, suite, baseline.commit, RecordedRuns(workspace.repository), reporter
    )
    run = runs.now()
    if run.run_failed:
        _judge_broken_run(runs, run, result)
        return
    if run.by_exit_code:
        _judge_exit_status(runs, run, result)
        return
    if run.no_tests:
        result.add(Check.TESTS, True, "no tests collected")
        result.notes.append("warning: no tests were run for this change")
        return
    about_shim = [
        r
        for r in analysis.inventory.references
        if r.exercises_shim and _names_retired(r, scope.retired)
    ]
    excused = [f for f in run.failures if _excused(f, about_shim)]
    failures = [f for f in run.failures if f not in excused]
    result.decisions.extend(f"{f} fails: it exercises a retired shim" for f in excused)
    if not failures:
        result.add(Check.TESTS, True, f"{run.passed} passed ({suite.source})")
        if excused:
            result.add(
                Check.NEEDS_DECISION,
                None,
                f"{_listing(excused)} fail(s): exercising a retired shim, to delete or rewrite; "
                f"see: python -m pytest {' '.join(sorted(excused)[:3])}",
            )
        return
    # a test that failed when step 1 ran the plan's tests is pre-existing: no re-run needed
    recorded = sorted(f for f in failures if f in set(baseline.test_failures))
    result.notes.extend(f"pre-existing test failure (it failed at step 1): {f}" for f in recorded)
    failures = [f for f in failures if f not in set(recorded)]
    if not failures:
        result.add(
            Check.TESTS,
            True,
            f"{len(recorded)} pre-existing failure(s) (recorded at step 1); {run.passed} passed",
        )
        return
    errors = {e.node_id: e.message for e in run.collection_errors}
    shown = [f + (f" (does not collect: {errors[f]})" if f in errors else "") for f in failures]
    if baseline.commit is None:
        result.add(
            Check.TESTS, False, f"failing: {_listing(shown)} (no baseline commit to compare)"
        )
        return
    comparison = runs.compared(failures, result)
    if comparison.undecided:
        problem = comparison.baseline.problem if comparison.baseline else "it did not run"
        result.add(
            Check.TESTS,
            False,
            f"failing: {_listing(shown)}; the baseline re-run could not decide: {problem}",
        )
        return
    regressions = [f for f, verdict in comparison.verdicts.items() if verdict == REGRESSION]
    preexisting = [f for f, verdict in comparison.verdicts.items() if verdict == PRE_EXISTING]
    result.notes.extend(f"pre-existing test failure: {f}" for f in sorted(preexisting))
    preexisting += recorded
    result.add(
        Check.TESTS,
        not regressions,
        (f"regressions: {_listing(regressions)}; " if regressions else "")
        + (f"{len(preexisting)} pre-existing failure(s); " if preexisting else "")
        + f"{run.passed} passed",
    )


@timed(OTHER_CHECKS)
def verify(run: Run, scope: Scope, baseline: Inventory) -> Verification:
    workspace = run.workspace
    watched = scope.retired | scope.kept | {module for module, _ in scope.retired_names}
    analysis = analyse(
        workspace,
        extra_shims=watched,
        watched=watched,
        names_before=_names_before(scope, baseline),
        referenced_only=True,  # the checks read references to the plan's shims and ``watched``
    )
    result = Verification()
    with doing("verifying"):
        _check_parse(analysis, result)
        _check_contracts(workspace, analysis, baseline, scope, result)
        _check_retired(analysis, scope, result)
        _check_imports(run, analysis, baseline, scope, result)
        _check_tests(run, analysis, baseline, scope, result)
    return result


def _names_before(scope: Scope, baseline: Inventory) -> dict[str, frozenset[str]]:
    """What each retired module bound before the change, so that a string names one of them
    exactly when it did for the rewrite (``"hpo.yaml"``, a file name, never does)."""
    if scope.before is not None:
        before = scope.before.analysis
        return {
            m: before.index.string_names(m) for m in scope.retired if before.codebase.has_module(m)
        }
    names: dict[str, set[str]] = {}
    for layer in baseline.shims:
        if layer.module in scope.retired:
            names.setdefault(layer.module, set()).update(
                r.name for r in layer.reexports if r.name != "*"
            )
    for resolution in baseline.resolutions:
        if resolution.shim in names:
            names[resolution.shim].add(resolution.name)
    return {module: frozenset(bound) for module, bound in names.items()}


def plan_scope(workspace: Workspace, baseline: Inventory) -> Scope:
    """Step 5: the plan's steps done so far (its retired modules that are gone), its kept layers."""
    analysis = analyse(workspace)
    modules = analysis.inventory.modules
    plan = workspace.plan
    return Scope(
        retired=frozenset(m for m in plan.retired if is_gone(m, modules)),
        kept=frozenset(m for m in plan.keep if m in modules),
    )


def run_verify(run: Run) -> int:
    reporter = run.reporter
    reporter.heading(f"Step 5: {TITLE.lower()}")
    run.workspace.check()
    run = run.on(check_plan_doc(run.workspace, reporter))
    workspace = run.workspace
    baseline = load_baseline(workspace)
    result = verify(run, plan_scope(workspace, baseline), baseline)
    report(result, reporter)
    report_success_criteria(run, baseline, run.analysis(), result.checks)
    pending = report_progress(run)
    if result.ok and not pending:
        mark_steps_done(run, (5,))
    return 0 if result.ok else 1


def report_progress(run: Run) -> list[tuple[int, str, str]]:
    """The plan's steps not carried out yet, and what each would change: "not done yet" is not
    "broken"."""
    workspace, reporter = run.workspace, run.reporter
    pending = pending_steps(run)
    if not pending:
        reporter.info(f"plan: every step of {workspace.plan.title!r} is carried out")
        return pending
    reporter.table(
        "Plan steps still pending (not done yet, not broken)",
        ("step", "would change"),
        [(f"{number}: {title}", what) for number, title, what in pending],
    )
    reporter.info("pending: " + ", ".join(f"step {number}" for number, _, _ in pending))
    return pending


def report(result: Verification, reporter: Reporter) -> None:
    reporter.checks("Verification", result.rows)
    for note in result.notes:
        reporter.info(note)
    for decision in result.decisions:
        reporter.warning(decision)
    reporter.info("verification passed" if result.ok else "verification FAILED")
