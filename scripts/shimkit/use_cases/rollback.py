"""Rolling the plan back, as its rollback section says: revert the kit's step commits in reverse
order (``git revert``: history is never rewritten), which restores the deleted re-export files
and reverts the import changes byte for byte; then check the restored tree.

``--to N`` keeps steps 1..N: every step commit of the kit after the last one of step N is
reverted (default: every step commit, back to the tree before step 1). A commit that is not the
kit's and touches a file a reverted commit touched makes the rollback refuse, naming it, unless
told to go on (``force``); a revert that conflicts is aborted whole.

What the checks of a restored tree are (step 5's, where they mean something for it):

- restored exactly: every file the reverted commits touched is byte for byte what it was before
  the oldest of them (files that later commits changed too, with ``force``, are listed instead);
- no blocking file fails to parse; what the plan still has retired stays gone and unnamed;
- every module that imported at step 1's baseline imports again, with no project
  DeprecationWarning the baseline did not have (every module: the rollback changed what they
  import);
- kept layers re-export the very objects of their source;
- the plan's tests: no failure that was not there at the baseline;
- import contracts: no violation that the contracts in the restored tree did not already report
  at the commit rolled back to (step 1's baseline when its ``.importlinter`` is the same; else
  import-linter run on that commit, in a temporary worktree).
"""

from __future__ import annotations

from dataclasses import replace

from shimkit.application.options import ImportOptions
from shimkit.application.run import Run
from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.apply import require_clean
from shimkit.apply.git_steps import require_committer, revert_commits, short
from shimkit.domain.errors import KitError
from shimkit.domain.importlinter_file import CONFIG
from shimkit.domain.model import Inventory
from shimkit.domain.step_commit import StepCommit
from shimkit.planning.checks import Check, CheckResult
from shimkit.use_cases.inventory import load_baseline, violations
from shimkit.use_cases.verify import Verification, plan_scope, report, verify
from shimkit.verify import probe_contracts, temporary_worktree

LAST_STEP = 5


def commits_to_revert(commits: tuple[StepCommit, ...], to_step: int) -> list[StepCommit]:
    """The step commits after the newest one of a step ``<= to_step`` (newest first)."""
    chosen: list[StepCommit] = []
    for commit in commits:
        if commit.number is not None and commit.number <= to_step:
            break
        chosen.append(commit)
    return chosen


def _later(workspace: Workspace, commits: list[StepCommit]) -> dict[str, tuple[str, set[str]]]:
    """Commits that are not being reverted and touch a file a reverted commit touched."""
    reverted = {commit.sha for commit in commits}
    later: dict[str, tuple[str, set[str]]] = {}
    git = ports().git
    for commit in commits:
        for sha, subject, files in git.later_commits_touching(workspace.root, commit, reverted):
            later.setdefault(sha, (subject, set()))[1].update(files)
    return later


def run_rollback(run: Run, to_step: int, force: bool) -> int:
    workspace, reporter = run.workspace, run.reporter
    reporter.heading(
        f"Rollback to after step {to_step}" if to_step else "Rollback of every step commit"
    )
    workspace.check()
    if not 0 <= to_step <= LAST_STEP:
        raise KitError(f"--to must be a step from 0 to {LAST_STEP}, not {to_step}")
    require_clean(workspace.root, allow_dirty=False, overridable=False)
    commits = commits_to_revert(ports().git.step_commits(workspace.root), to_step)
    if not commits:
        reporter.info("nothing to roll back: no step commit of the kit to revert")
        return 0
    reporter.table(
        "Step commits to revert, in this order",
        ("commit", "step", "subject", "files"),
        [(short(c.sha), c.step, c.subject, str(len(c.files))) for c in commits],
    )
    later = _later(workspace, commits)
    named = "; ".join(
        f"{short(sha)} {subject!r} ({', '.join(sorted(files))})"
        for sha, (subject, files) in later.items()
    )
    if later and not force:
        raise KitError(
            f"later commits touch files of the step commits: {named}; revert them first, or "
            "pass --force to revert the step commits anyway"
        )
    if later:
        reporter.warning(f"--force: later commits touch the same files: {named}")
    require_committer(workspace.root)
    revert_commits(workspace.root, [c.sha for c in commits])
    reporter.info(f"reverted {len(commits)} step commit(s), newest first, one revert commit each")
    overwritten = {path for _, files in later.values() for path in files}
    result = check_restored(run, commits, overwritten)
    report(result, reporter)
    return 0 if result.ok else 1


def check_restored(run: Run, commits: list[StepCommit], overwritten: set[str]) -> Verification:
    workspace, reporter = run.workspace, run.reporter
    target = f"{commits[-1].sha}^"
    touched = {path for commit in commits for path in commit.files}
    differing = ports().git.differing_files(workspace.root, target, touched)
    differ = [p for p in differing if p not in overwritten]
    exact = CheckResult(
        Check.RESTORED_EXACTLY,
        not differ,
        f"differ from {short(commits[-1].sha)}^: {', '.join(differ)}"
        if differ
        else f"{len(touched) - len(overwritten & touched)} file(s) as before "
        f"{short(commits[-1].sha)}"
        + (f"; changed by later commits: {', '.join(sorted(overwritten))}" if overwritten else ""),
    )
    try:
        baseline = load_baseline(workspace)
    except KitError as error:
        reporter.warning(f"{error}: the restored tree is checked for exactness only")
        result = Verification()
        result.checks.append(exact)
        return result
    baseline = replace(baseline, contract_violations=_contracts_at(workspace, baseline, target))
    scope = replace(plan_scope(workspace, baseline), contracts_required=False, plan_contracts=False)
    every_module = replace(run.imports or ImportOptions(), all_modules=True)
    result = verify(replace(run, imports=every_module), scope, baseline)
    result.checks.insert(0, exact)
    return result


def _contracts_at(workspace: Workspace, baseline: Inventory, target: str) -> tuple[str, ...]:
    """The contract violations the restored ``.importlinter`` counts as already there."""
    if baseline.commit is not None:
        try:
            same = not ports().git.differing_files(workspace.root, baseline.commit, {CONFIG})
        except KitError:  # the baseline commit is not in this repository
            same = False
        if same:
            return baseline.contract_violations
    if not (workspace.root / CONFIG).is_file():
        return ()
    with temporary_worktree(workspace.root, target) as tree:
        if not (tree / CONFIG).is_file():
            return ()
        return violations(probe_contracts(tree, workspace.src, CONFIG))
