"""The ``protected`` contract, for a shim list that outlives some of its shims."""

from __future__ import annotations

from typing import cast

from grimp import ImportGraph
from importlinter import ContractCheck, fields, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.contracts.protected import ProtectedContract
from importlinter.domain.imports import ModuleExpression


class ProtectedShimsContract(ProtectedContract):
    """
    A ``protected`` contract whose protected modules may be absent from the graph.

    The built-in ``protected`` contract stops the whole run ("... not present in the graph") when a
    protected module does not exist. A shim list names retired shims too, and those are deleted
    along the way; this contract skips them (the ``retired`` contract holds them deleted) and
    otherwise behaves exactly like ``protected``: same options, same checks, same report.

    Extra configuration option:
        - absent_modules_alerting: How to report protected modules (without wildcards) that are
                                   not in the graph: "none", "warn" or "error". Default "none".
    """

    type_name = "protected_shims"

    absent_modules_alerting = fields.EnumField(AlertLevel, default=AlertLevel.NONE)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        expressions = cast(list[ModuleExpression], self.protected_modules)
        absent = sorted(
            expression.expression
            for expression in expressions
            if not expression.has_wildcard_expression()
            and expression.expression not in graph.modules
        )
        alerting = cast(AlertLevel, self.absent_modules_alerting)
        if absent and alerting is AlertLevel.ERROR:
            raise ValueError(
                "Protected modules not present in the graph: " + ", ".join(absent) + "."
            )
        for name in absent:
            output.verbose_print(verbose, f"Skipping protected module {name}: not in the graph.")

        present = [e for e in expressions if e.expression not in absent]
        # Fields are plain instance attributes; narrow the list for the built-in check only.
        self.protected_modules = present  # type: ignore[assignment]
        try:
            check = super().check(graph, verbose)
        finally:
            self.protected_modules = expressions  # type: ignore[assignment]

        check.metadata["absent_modules"] = absent
        if absent and alerting is AlertLevel.WARN:
            check.warnings.extend(
                f"Protected module {name} is not present in the graph." for name in absent
            )
        return check
