"""Kill battery: SIGKILL the kit at every rename and unlink of a write, and at random moments;
then the next run must leave the tree as an uninterrupted run does, with nothing half-done.

    python tests/batteries/kill_battery.py [--kills N] [--scripts step2,step4,retire,migrate]
                                           [--per-script N] [--seed S] [--work DIR]

For each script (step 2 ``--write``; step 4 ``--write`` after steps 1-3; ``retire_shims.py
--deprecated --write``; ``migrate.py --write``) on the bundled legacy tree, git-committed:

1. one uninterrupted run in a fresh copy gives the "after" tree, its exit status and duration;
2. one run under ``strace`` lists the renames and unlinks the kit's own process makes in the
   tree (the write phase: journal, backups, renames, deletions, clean-up);
3. a kill case per such call (``strace -e inject=SYSCALL:signal=SIGKILL:when=N``), then random
   kills (SIGKILL after a random delay) until ``--kills`` kills were made in total.

After each kill: no child process of the killed run may be left (a few seconds' grace); the
recovery every run starts with must leave the whole tree equal to the before or the after (never
a mix), CHANGELOG.md included; then the same command is run again (``--allow-dirty``): the tree
must equal the after, no temporary file, journal or working copy may remain, and the result must
be verified as the uninterrupted run's was (same exit status; its verification verdict printed).
Prints one line per case and the totals; exit 1 if any check failed. Runs outside the test suite
(a sample runs in ``tests/kit/test_interruptions.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
WRITE_SYSCALLS = ("rename", "renameat", "renameat2", "unlink", "unlinkat")
CASE_VARIABLE = "SHIMKIT_BATTERY_CASE"
TEMP_SUFFIX = ".shimkit-tmp"
NOT_CONTENT = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".shimkit"}
STRAY_GRACE = 5.0
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_VERDICT = re.compile(r"verification (passed|FAILED)")

Snapshot = dict[str, bytes]


@dataclass(frozen=True)
class Scenario:
    name: str
    script: str
    args: tuple[str, ...]
    before: tuple[tuple[str, ...], ...] = ()  # (script, *args) run and committed first


SCENARIOS = {
    "step2": Scenario("step2", "step2_consolidate.py", ("--write",)),
    "step4": Scenario(
        "step4",
        "step4_update_imports.py",
        ("--write",),
        (
            ("step1_inventory.py", "--write-contracts"),
            ("step2_consolidate.py", "--write"),
            ("step3_remove_deprecated.py", "--write"),
        ),
    ),
    "retire": Scenario("retire", "retire_shims.py", ("--deprecated", "--write")),
    "migrate": Scenario("migrate", "migrate.py", ("--write",)),
}


@dataclass(frozen=True)
class Run:
    status: int
    output: str
    seconds: float


@dataclass
class Totals:
    cases: int = 0
    kills: int = 0
    torn: int = 0  # after recovery, the tree was neither the before nor the after
    temps_left: int = 0
    changelogs_broken: int = 0
    copies_left: int = 0
    strays: int = 0
    unverified: int = 0
    wrong_final: int = 0
    by_script: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return (
            self.torn
            + self.temps_left
            + self.changelogs_broken
            + self.copies_left
            + self.strays
            + self.unverified
            + self.wrong_final
        )

    def line(self) -> str:
        return (
            f"cases {self.cases}, kills {self.kills}, files torn {self.torn}, temp files left "
            f"{self.temps_left}, CHANGELOGs not whole {self.changelogs_broken}, working copies "
            f"left {self.copies_left}, stray processes {self.strays}, unverified results "
            f"{self.unverified}, final state wrong {self.wrong_final}"
        )


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=battery", "-c", "user.email=b@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True, env=_base_env(),
    )  # fmt: skip


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PYTHONDONTWRITEBYTECODE="1",  # no .pyc renames: the kit's rename count is the same each run
        COLUMNS="200",
    )
    return env


def case_env(case: str, temp: Path) -> dict[str, str]:
    return {**_base_env(), CASE_VARIABLE: _marked(case), "TMPDIR": str(temp)}


def _marked(case: str) -> str:
    """``case`` named apart from another battery's case of the same name running meanwhile
    (whose processes this one would otherwise count and kill as its own)."""
    return f"{os.getpid()}-{case}"


def build_base(work: Path, scenario: Scenario) -> Path:
    """The legacy tree, committed, with the scenario's earlier steps run and committed."""
    root = work / f"base-{scenario.name}" / "legacy"
    if root.exists():
        shutil.rmtree(root.parent)
    root.parent.mkdir(parents=True)
    subprocess.run(
        [sys.executable, str(REPO / "tests/fixtures/build_legacy.py"), str(root)],
        check=True, capture_output=True,
    )  # fmt: skip
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "legacy tree")
    for script, *args in scenario.before:
        temp = work / f"base-{scenario.name}" / "tmp"
        temp.mkdir(exist_ok=True)
        done = run_kit(root, script, args, case_env("base", temp))
        if done.status:
            raise SystemExit(f"{script} failed while preparing {scenario.name}:\n{done.output}")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", script)
    return root


def fresh_copy(base: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(base, dest, symlinks=True)
    return dest


def command(root: Path, script: str, args: Sequence[str]) -> list[str]:
    """``script`` is a path, or a name in this repository's ``scripts/``."""
    return [sys.executable, str(SCRIPTS / script), "--root", str(root), *args]


def from_kit(scenario: Scenario, kit: Path) -> Scenario:
    """``scenario`` run with the scripts of ``kit`` (a copy of ``scripts/`` with another plan)."""
    return replace(
        scenario,
        script=str(kit / scenario.script),
        before=tuple((str(kit / script), *args) for script, *args in scenario.before),
    )


def run_kit(
    root: Path, script: str, args: Sequence[str], env: dict[str, str], prefix: Sequence[str] = ()
) -> Run:
    started = time.monotonic()
    done = subprocess.run(
        [*prefix, *command(root, script, args)],
        env=env, capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Run(done.returncode, done.stdout + done.stderr, time.monotonic() - started)


def snapshot(root: Path) -> Snapshot:
    found: Snapshot = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            NOT_CONTENT & set(relative.parts)
            or not path.is_file()
            or path.name.endswith(TEMP_SUFFIX)
        ):
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def leftovers(root: Path) -> list[str]:
    """Temporary files, journals and backups the kit left in the tree or its git dir."""
    found = [p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
    for state in (root / ".git" / "shimkit", root / ".shimkit"):
        found += [p for p in (state / "journal.json", state / "journal-backup") if p.exists()]
    return sorted(str(p.relative_to(root)) for p in found)


# where the kit keeps scratch folders for a temp dir: the temp dir, and its folder in memory
_BASES = "from shimkit.system.scratch import scratch_bases; print(*scratch_bases(), sep='\\0')"


def working_copies(temp: Path) -> list[str]:
    """The kit's scratch folders left for ``temp``, in it or in its folder in memory."""
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(SCRIPTS)}
    listed = subprocess.run(
        [sys.executable, "-c", _BASES], env=env, capture_output=True, text=True, check=True
    ).stdout.strip("\n")
    bases = [Path(base) for base in listed.split("\0")]
    return sorted(p.name for base in bases for p in base.iterdir() if p.name.startswith("shimkit-"))


def processes_of(case: str) -> list[int]:
    """Live processes started for ``case`` (they carry its variable in their environment)."""
    marker = f"{CASE_VARIABLE}={_marked(case)}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker not in handle.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
        except OSError:
            continue
        found.append(int(entry))
    return found


def strays_after_kill(case: str) -> list[str]:
    """The command lines of the case's processes that outlived the kill by more than a short
    grace."""
    deadline = time.monotonic() + STRAY_GRACE
    while (left := processes_of(case)) and time.monotonic() < deadline:
        time.sleep(0.1)
    described = [_command_line(pid) for pid in left]
    for pid in left:  # do not let them disturb the next case
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return described


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().rstrip(b"\0").split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as handle:
            parent = handle.read().rsplit(b")", 1)[1].split()[1].decode()
    except (OSError, IndexError):
        return f"{pid} (gone)"
    line = " ".join(word.decode(errors="replace") for word in words)
    return f"{pid} (parent {parent}) {line[:160]}"


def write_calls(trace: Path, root: Path) -> list[tuple[str, int]]:
    """``(syscall, n)`` for each rename/unlink the traced process made under ``root``: the n-th
    call of that syscall (strace counts each syscall per process)."""
    counts: dict[str, int] = {}
    found: list[tuple[str, int]] = []
    inside = str(root) + "/"
    for line in trace.read_text(errors="replace").splitlines():
        name = line.split("(", 1)[0].strip()
        if name not in WRITE_SYSCALLS:
            continue
        counts[name] = counts.get(name, 0) + 1
        if any(path.startswith(inside) for path in _QUOTED.findall(line)):
            found.append((name, counts[name]))
    return found


def strace_available() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-qq", "-o", os.devnull, "true"], capture_output=True)
    return probe.returncode == 0


@dataclass(frozen=True)
class Reference:
    """What the uninterrupted run did."""

    before: Snapshot
    after: Snapshot
    status: int
    verdict: str | None
    seconds: float
    calls: tuple[tuple[str, int], ...]


def reference(work: Path, base: Path, scenario: Scenario, use_strace: bool) -> Reference:
    temp = work / f"ref-{scenario.name}-tmp"
    temp.mkdir(exist_ok=True)
    root = fresh_copy(base, work / f"ref-{scenario.name}" / "legacy")
    before = snapshot(root)
    done = run_kit(root, scenario.script, scenario.args, case_env("reference", temp))
    (work / f"ref-{scenario.name}.log").write_text(done.output)
    calls: list[tuple[str, int]] = []
    if use_strace:
        traced = fresh_copy(base, work / f"trace-{scenario.name}" / "legacy")
        log = work / f"trace-{scenario.name}.log"
        run_kit(
            traced,
            scenario.script,
            scenario.args,
            case_env("reference", temp),
            ["strace", "-qq", "-o", str(log), "-e", "trace=" + ",".join(WRITE_SYSCALLS)],
        )
        calls = write_calls(log, traced)
    verdict = _VERDICT.search(done.output)
    return Reference(
        before,
        snapshot(root),
        done.status,
        verdict.group(0) if verdict else None,
        done.seconds,
        tuple(calls),
    )


@dataclass(frozen=True)
class Kill:
    """Where a case kills the kit: at the n-th call of a syscall, or after ``delay`` seconds."""

    syscall: str | None = None
    nth: int = 0
    delay: float = 0.0

    def describe(self) -> str:
        return f"{self.syscall} #{self.nth}" if self.syscall else f"after {self.delay:.2f} s"


def _killed_run(
    root: Path, scenario: Scenario, kill: Kill, env: dict[str, str]
) -> tuple[bool, str]:
    """Run the script and kill it as ``kill`` says; whether it was killed, and what it printed
    (for a kill at a system call)."""
    argv = command(root, scenario.script, scenario.args)
    if kill.syscall:
        inject = f"inject={kill.syscall}:signal=SIGKILL:when={kill.nth}"
        trace = ["-e", f"trace={kill.syscall}", "-e", inject]
        argv = ["strace", "-qq", "-o", os.devnull, *trace, *argv]
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, errors="replace",
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return done.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), done.stdout
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        process.wait(kill.delay)
        return False, ""  # finished before the kill
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True, ""


_RECOVER = """
import sys
from pathlib import Path
from shimkit.apply import recover
from shimkit.system.scratch import remove_orphaned_scratch
print(recover(Path(sys.argv[1])).describe())
remove_orphaned_scratch()
"""


def recover_only(root: Path, env: dict[str, str]) -> str:
    """What every run does first (``application.session``), and nothing else."""
    done = subprocess.run(
        [sys.executable, "-c", _RECOVER, str(root)],
        env={**env, "PYTHONPATH": str(SCRIPTS)}, capture_output=True, text=True,
    )  # fmt: skip
    return (done.stdout + done.stderr).strip()


def run_case(
    work: Path,
    base: Path,
    scenario: Scenario,
    ref: Reference,
    kill: Kill,
    number: int,
    totals: Totals,
) -> None:
    case = f"{scenario.name}-{number}"
    temp = work / "cases" / case / "tmp"
    temp.mkdir(parents=True, exist_ok=True)
    root = fresh_copy(base, work / "cases" / case / "legacy")
    env = case_env(case, temp)
    killed, printed = _killed_run(root, scenario, kill, env)
    if not killed:
        shutil.rmtree(work / "cases" / case, ignore_errors=True)
        return
    totals.cases += 1
    totals.kills += 1
    totals.by_script[scenario.name] = totals.by_script.get(scenario.name, 0) + 1
    problems: list[str] = []
    strays = strays_after_kill(case)
    if strays:
        totals.strays += 1
        problems.append(f"{len(strays)} stray process(es): " + " | ".join(strays))
    said = recover_only(root, env)
    middle = snapshot(root)
    state = "before" if middle == ref.before else "after" if middle == ref.after else None
    if state is None:
        totals.torn += 1
        problems.append("tree is neither before nor after: " + ", ".join(_differing(middle, ref)))
    changelog = middle.get("CHANGELOG.md")
    if changelog not in (ref.before.get("CHANGELOG.md"), ref.after.get("CHANGELOG.md")):
        totals.changelogs_broken += 1
        problems.append("CHANGELOG.md is not whole")
    again = run_kit(root, scenario.script, (*scenario.args, "--allow-dirty"), env)
    if snapshot(root) != ref.after:
        totals.wrong_final += 1
        problems.append("after the rerun: " + ", ".join(_differing(snapshot(root), ref)))
    left = leftovers(root)
    if left:
        totals.temps_left += 1
        problems.append("left in the tree: " + ", ".join(left[:5]))
    # the rerun's removing processes may still be at work in the temp dir: wait for them first
    if strays := strays_after_kill(case):
        totals.strays += 1
        problems.append("stray process(es) after the rerun: " + " | ".join(strays))
    copies = working_copies(temp)
    if copies:
        totals.copies_left += 1
        problems.append("left in the temp dir: " + ", ".join(copies[:5]))
    # a write verified before it began, finished by the recovery (or by the killed run itself,
    # which printed its verdict before the write), leaves the rerun nothing to do
    verdict = (
        _VERDICT.search(again.output)
        or _VERDICT.search(said)
        or (_VERDICT.search(printed) if state == "after" else None)
    )
    same_verdict = ref.verdict is None or (verdict is not None and verdict.group(0) == ref.verdict)
    if again.status != ref.status or not same_verdict:
        totals.unverified += 1
        last = again.output.strip().splitlines()[-1:] or [""]
        problems.append(f"rerun exit {again.status} ({last[0][:100]}), uninterrupted {ref.status}")
    verdict_text = "ok" if not problems else "FAIL: " + "; ".join(problems)
    print(
        f"{case:12} kill {kill.describe():18} recovered to {state or '?':6} "
        f"[{said[:70]}] {verdict_text}",
        flush=True,
    )
    if not problems:
        shutil.rmtree(work / "cases" / case, ignore_errors=True)


def _differing(actual: Snapshot, ref: Reference) -> list[str]:
    paths = sorted(set(actual) | set(ref.before) | set(ref.after))
    return [p for p in paths if actual.get(p) not in (ref.before.get(p), ref.after.get(p))][:3] or [
        "a mix of before and after"
    ]


def plan_kills(
    refs: dict[str, Reference], kills: int, per_script: int | None, rng: random.Random
) -> list[tuple[str, Kill]]:
    """A kill at every write call of each script (at most ``per_script`` of them, spread
    evenly), then random kills round the scripts until ``kills`` in all."""
    planned: list[tuple[str, Kill]] = []
    for name, ref in refs.items():
        calls = list(ref.calls)
        if per_script is not None and len(calls) > per_script:
            step = len(calls) / max(per_script, 1)
            calls = [calls[int(i * step)] for i in range(per_script)]
        planned += [(name, Kill(syscall, nth)) for syscall, nth in calls]
    names = list(refs)
    index = 0
    while len(planned) < kills and names:
        name = names[index % len(names)]
        seconds = refs[name].seconds
        planned.append((name, Kill(delay=rng.uniform(0.05, 0.95) * seconds)))
        index += 1
    return planned


def main(argv: Iterable[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=200, help="kills in all (default 200)")
    parser.add_argument("--scripts", default="step2,step4,retire,migrate")
    parser.add_argument(
        "--per-script", type=int, default=None, help="at most this many syscall kills a script"
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temp)")
    parser.add_argument(
        "--kit", type=Path, default=SCRIPTS, help="the scripts to run (default: this repo's)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    names = [n for n in args.scripts.split(",") if n]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown script {unknown[0]} (choose from {', '.join(SCENARIOS)})")
    work = args.work or Path(tempfile.mkdtemp(prefix="kill-battery-"))
    work.mkdir(parents=True, exist_ok=True)
    use_strace = strace_available()
    if not use_strace:
        out("strace cannot run here: random kills only")
    bases = {}
    refs = {}
    scenarios = {name: from_kit(SCENARIOS[name], args.kit.resolve()) for name in names}
    for name in names:
        scenario = scenarios[name]
        bases[name] = build_base(work, scenario)
        refs[name] = reference(work, bases[name], scenario, use_strace)
        ref = refs[name]
        out(
            f"{name}: uninterrupted exit {ref.status} in {ref.seconds:.1f} s, "
            f"{len(ref.calls)} renames/unlinks in the tree, {ref.verdict or 'no verification'}"
        )
    totals = Totals()
    plan = plan_kills(refs, args.kills, args.per_script, random.Random(args.seed))
    attempts = 0
    while totals.kills < args.kills or attempts < len(plan):
        if attempts >= len(plan):  # a random kill came too late: plan another
            plan += plan_kills(refs, len(plan) + 1, 0, random.Random(args.seed + attempts))[-1:]
        name, kill = plan[attempts]
        attempts += 1
        run_case(work, bases[name], scenarios[name], refs[name], kill, attempts, totals)
    out(totals.line())
    out("kills per script: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.by_script.items())))
    if not totals.failures:
        shutil.rmtree(work, ignore_errors=True)
    else:
        out(f"failing cases kept in {work}")
    return 1 if totals.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
