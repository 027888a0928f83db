"""The rich implementation of the use cases' ``Reporter`` port."""

from __future__ import annotations

import difflib
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from shimkit.application.ports import Progress as ProgressPort
from shimkit.domain.model import ChangeSet, FileChange, Inventory
from shimkit.domain.phases import PhaseClock

PROGRESS_THRESHOLD = 20  # below this many items a progress line is noise
LOG_WIDTH = 160
LOG_INTERVAL = 5.0  # seconds between progress lines when the output is not a terminal


class _Silent:
    def advance(self, description: str = "") -> None:
        return None


class _RichProgress:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, description: str = "") -> None:
        self._progress.update(self._task, advance=1, item=description)


class _LoggedProgress:
    """Progress as plain lines for a log (CI, ``tee``): one at the start, then at most one every
    ``interval`` seconds, and one at the end."""

    def __init__(
        self,
        console: Console,
        description: str,
        total: int,
        clock: Callable[[], float],
        interval: float,
    ) -> None:
        self._console = console
        self._description = description
        self._total = total
        self._clock = clock
        self._interval = interval
        self._started = self._last = clock()
        self._printed = ""
        self.done = 0
        self._line()

    def advance(self, description: str = "") -> None:
        self.done += 1
        if self._clock() - self._last >= self._interval:
            self._line()

    def finish(self) -> None:
        self._line()

    def _line(self) -> None:
        self._last = self._clock()
        minutes, seconds = divmod(int(self._last - self._started), 60)
        line = (
            f"{self._description}: {self.done}/{self._total} "
            f"({minutes // 60}:{minutes % 60:02d}:{seconds:02d} elapsed)"
        )
        if line != self._printed:
            self._console.print(line, markup=False, highlight=False)
            self._printed = line


class RichReporter:
    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = Console(file=out, highlight=False, soft_wrap=True)
        if not self.out.is_terminal:
            self.out.width = LOG_WIDTH  # CI logs: full module names rather than an 80-column cut
        self.err = Console(file=err, stderr=err is None, highlight=False, soft_wrap=True)
        self.clock = clock

    def heading(self, text: str) -> None:
        self.out.rule(f"[bold]{text}")

    def info(self, text: str) -> None:
        self.out.print(text, markup=False)

    def warning(self, text: str) -> None:
        self.err.print(Text("warning: ", style="yellow") + Text(text))

    def inventory(self, inventory: Inventory) -> None:
        if inventory.parse_failures:
            table = Table(title="Files that do not parse")
            table.add_column("file:line")
            table.add_column("error", overflow="fold")
            table.add_column("blocks the run, or skipped", overflow="fold")
            for failure in inventory.parse_failures:
                verdict = f"blocks: {failure.blocks}" if failure.blocks else "skipped"
                if failure.masked:
                    verdict += "; import-linter sees an empty module: not checked"
                table.add_row(f"{failure.path}:{failure.line}", failure.message, verdict)
            self.out.print(table)
        if inventory.skipped_cells:
            table = Table(title="Notebook cells not analysed (their cell magic is not Python)")
            table.add_column("notebook")
            table.add_column("cell")
            table.add_column("magic")
            for skipped in inventory.skipped_cells:
                table.add_row(skipped.path, str(skipped.cell), f"%%{skipped.magic}")
            self.out.print(table)
        table = Table(title="Re-export layers")
        for column in ("shim", "warns", "chain to the source of truth, per name", "usages"):
            table.add_column(column, overflow="fold")
        for shim in inventory.shims:
            chains = sorted(
                f"{r.name}: "
                + " -> ".join(m + (" (lazy)" if r.provides_lazily(m) else "") for m in r.chain)
                + ("" if r.definition else f" (not found: {r.unresolved or 'leaves the tree'})")
                for r in inventory.resolutions
                if r.shim == shim.module
            )
            areas = Counter(r.area.value for r in inventory.references if r.shim == shim.module)
            table.add_row(
                shim.module + (" (package facade)" if shim.facade else ""),
                "yes" if shim.warns else "",
                "\n".join(chains),
                ", ".join(f"{area} {count}" for area, count in sorted(areas.items())) or "unused",
            )
        self.out.print(table)
        if inventory.references:
            # the long values (path, shim) share one column on two lines, so that the names
            # keep room on a 100-column terminal
            sites = Table(title="Usage sites", expand=True)
            sites.add_column("file:line / kind of shim", overflow="fold", ratio=5)
            sites.add_column("names", overflow="fold", ratio=3)
            sites.add_column("context", overflow="fold", ratio=2)
            for ref in inventory.references:
                where = f"{ref.path}:{ref.line}" + (
                    f" (cell {ref.cell})" if ref.cell is not None else ""
                )
                context = sorted(c.value for c in ref.contexts)
                if ref.exercises_shim:
                    context.append("tests the shim itself")
                sites.add_row(
                    f"{where}\n  {ref.kind.value} of {ref.shim}",
                    ", ".join(ref.names),
                    ", ".join(context),
                )
            self.out.print(sites)

    def changes(self, changes: ChangeSet) -> None:
        """Every change as a unified diff, written as it is: a rich print would expand tabs,
        drop carriage returns and turn ``:smile:`` into an emoji, and the printed diff would no
        longer apply (it also costs seconds of CPU for thousands of files)."""
        stream = self.out.file
        for change in changes.changes:
            stream.write(_unified_diff(change))
        stream.flush()

    def checks(self, title: str, rows: Sequence[tuple[str, bool | None, str]]) -> None:
        table = Table(title=title)
        table.add_column("check")
        table.add_column("result")
        table.add_column("details", overflow="fold")
        for name, ok, details in rows:
            table.add_row(name, _verdict(ok), details)
        self.out.print(table)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table = Table(title=title)
        for column in header:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    def phase_times(self, clock: PhaseClock) -> None:
        """Where the run's time went: seconds per phase, in the order they first ran, and what no
        phase accounts for (git, planning, reports); how far each phase raised the peak memory."""
        table = Table(title="Where the time went")
        table.add_column("phase")
        table.add_column("seconds", justify="right")
        table.add_column("share", justify="right")
        table.add_column("peak MB", justify="right")
        total, seconds, rises = clock.total(), clock.seconds(), clock.rise_mb()
        for phase, spent in seconds.items():
            table.add_row(phase, f"{spent:.2f}", _share(spent, total), f"+{rises[phase]:.0f}")
        rest = max(total - sum(seconds.values()), 0.0)
        grown = max(clock.peak_mb() - sum(rises.values()), 0.0)
        table.add_row(
            "other (git, planning, reports)", f"{rest:.2f}", _share(rest, total), f"+{grown:.0f}"
        )
        table.add_section()
        table.add_row("total", f"{total:.2f}", "100%", f"{clock.peak_mb():.0f}")
        self.out.print(table)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[ProgressPort]:
        if total < PROGRESS_THRESHOLD:
            yield _Silent()
            return
        if not self.err.is_terminal:  # a log: a bar cannot redraw there, so lines it is
            logged = _LoggedProgress(self.err, description, total, self.clock, LOG_INTERVAL)
            try:
                yield logged
            finally:
                logged.finish()
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[item]}"),
        )
        with Progress(*columns, console=self.err, transient=False) as progress:
            yield _RichProgress(progress, progress.add_task(description, total=total, item=""))


def _share(part: float, total: float) -> str:
    return f"{part / total:.0%}" if total > 0 else ""


def _lines(text: str) -> list[str]:
    """``text`` cut after each newline, as diff and patch see lines (``str.splitlines`` would
    also cut at a form feed, a line or paragraph separator, ``\\x1c``-``\\x1e`` or ``\\x85``)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _unified_diff(change: FileChange) -> str:
    old = _lines(change.old_text or "")
    new = _lines(change.new_text or "")
    before = f"a/{change.path}" if change.old_text is not None else "/dev/null"
    after = f"b/{change.path}" if change.new_text is not None else "/dev/null"
    lines = difflib.unified_diff(old, new, before, after)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _verdict(ok: bool | None) -> Text:
    if ok is None:
        return Text("DECIDE", "bold yellow")
    return Text("ok", "green") if ok else Text("FAILED", "bold red")
