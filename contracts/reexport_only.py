"""The ``reexport_only`` contract type: listed modules contain nothing but re-exports."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain.imports import Module
from rich.markup import escape

from ._source import display_path, find_module_file, parse_file, shorten

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


@dataclass(frozen=True, order=True)
class Violation:
    module: str
    location: str  # "path:line", or "" when the module has no file
    found: str

    def describe(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return f"{self.module}{where}: {self.found}"


class ReExportOnlyContract(Contract):
    """
    Re-export-only contracts check that each listed module contains nothing but re-exports.

    The check is static: each module's file is located below its top-level package (found with
    ``importlib.util.find_spec``, which does not execute it) and parsed with ``ast``; nothing of
    the checked code is imported. The graph is not consulted.

    Allowed top-level statements: the module docstring, ``import`` and ``from ... import``
    statements (``from __future__`` included), and ``__all__ = [...]`` (or a tuple; optionally
    annotated) whose items are string literals. Anything else is a violation: function or class
    definitions, other assignments, ``try``/``except ImportError`` fallbacks, calls such as
    ``warnings.warn(...)``, ``if`` blocks, further string expressions. A listed module that does
    not exist (or cannot be parsed) is a violation too.

    Configuration options:
        - modules:                  The modules that must only re-export.
        - broken_contract_guidance: Guidance explaining how to fix the contract if it's broken.
                                    Displayed after the contract's violations. (Optional.)
    """

    type_name = "reexport_only"

    modules = fields.ListField(subfield=fields.ModuleField())
    broken_contract_guidance = fields.TextField(required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        violations: list[Violation] = []
        for module in cast(list[Module], self.modules):
            output.verbose_print(verbose, f"Checking that {module.name} only re-exports...")
            violations.extend(_check_module(module.name))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        violations: list[Violation] = check.metadata["violations"]
        for module in sorted({violation.module for violation in violations}):
            output.print_error(f"{module} is not re-export only:", bold=False)
            output.new_line()
            for violation in violations:
                if violation.module == module:
                    output.print_error(f"- {escape(violation.describe())}", bold=False)
            output.new_line()
        contract_utils.render_broken_contract_guidance(
            cast("str | None", self.broken_contract_guidance)
        )


def _check_module(module: str) -> list[Violation]:
    path = find_module_file(module)
    if path is None:
        return [Violation(module, "", "module not found (no source file below its package)")]
    shown = display_path(path)
    try:
        tree = parse_file(path)
    except (SyntaxError, ValueError, OSError) as error:
        line = getattr(error, "lineno", None) or 1
        return [Violation(module, f"{shown}:{line}", f"could not be parsed: {error}")]
    source = path.read_text(encoding="utf-8", errors="replace")
    return [
        Violation(module, f"{shown}:{statement.lineno}", found)
        for index, statement in enumerate(tree.body)
        if (found := _describe_disallowed(statement, index, source)) is not None
    ]


def _describe_disallowed(statement: ast.stmt, index: int, source: str) -> str | None:
    """None if ``statement`` is allowed at module level of a re-export module, else what it is."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return None
    if index == 0 and _is_string_expression(statement):
        return None  # the module docstring
    if _is_literal_dunder_all(statement):
        return None
    segment = ast.get_source_segment(source, statement) or ""
    code = shorten(segment.splitlines()[0]) if segment else ""
    return f"{_kind(statement)}: `{code}`" if code else _kind(statement)


def _is_string_expression(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_literal_dunder_all(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign):
        targets, value = statement.targets, statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets, value = [statement.target], statement.value
    else:
        return False
    return (
        len(targets) == 1
        and isinstance(targets[0], ast.Name)
        and targets[0].id == "__all__"
        and isinstance(value, ast.List | ast.Tuple)
        and all(
            isinstance(item, ast.Constant) and isinstance(item.value, str) for item in value.elts
        )
    )


def _kind(statement: ast.stmt) -> str:
    """What a disallowed statement is, in words."""
    match statement:
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
            return f"function definition '{name}'"
        case ast.ClassDef(name=name):
            return f"class definition '{name}'"
        case ast.Try() | ast.TryStar():
            return _describe_try(statement)
        case ast.Assign(targets=targets):
            return _describe_assignment(targets)
        case ast.AnnAssign(target=target) | ast.AugAssign(target=target):
            return _describe_assignment([target])
        case ast.Expr(value=ast.Call(func=func)):
            return f"call to {ast.unparse(func)}()"
        case ast.Expr(value=ast.Constant(value=str())):
            return "string expression (not the module docstring)"
        case ast.Expr():
            return "expression statement"
        case ast.If():
            return "if block"
        case _:
            return f"{type(statement).__name__} statement"


def _describe_assignment(targets: list[ast.expr]) -> str:
    names = ", ".join(ast.unparse(target) for target in targets)
    if names == "__all__":
        return "__all__ that is not a list or tuple of string literals"
    return f"assignment to {names}"


def _describe_try(statement: ast.Try | ast.TryStar) -> str:
    caught = {
        ast.unparse(name)
        for handler in statement.handlers
        if handler.type is not None
        for name in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])
    }
    if not caught & _IMPORT_ERRORS:
        return "try block"
    fallbacks = sorted(
        f"{ast.unparse(target)} = None"
        for handler in statement.handlers
        for node in ast.walk(handler)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and node.value.value is None
        for target in node.targets
    )
    if fallbacks:
        return f"try/except ImportError with fallback {', '.join(fallbacks)}"
    return "try/except ImportError block"
