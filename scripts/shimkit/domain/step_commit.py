"""A commit the kit made for a step, as the history shows it."""

from __future__ import annotations

from dataclasses import dataclass

TRAILER = "Shim-Step"  # the trailer naming the step a kit's commit carries out


@dataclass(frozen=True)
class StepCommit:
    sha: str
    step: str  # the trailer's value: "1".."5", or "retire"
    subject: str
    files: tuple[str, ...]  # the paths it touched, relative to the root

    @property
    def number(self) -> int | None:
        return int(self.step) if self.step.isdigit() else None
