"""Presence, after the conditions are typed: reads of a value that a request may say is absent (W107).

An absent fact has no value, so a comparison that reads it stays unknown, and a decision that
needs it can ask for nothing. A read is guarded when the condition around it settles first:
`x is present and x <= 55` (an `all` beside `x is present`) or `x is absent or x <= 55` (an
`any` beside `x is absent`), also inside `such that` for a record's field.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler import model
from compiler.check.report import Report
from compiler.diagnostics import Span


def check_guards(conditions: list[model.Expr], absent: frozenset[str], report: Report) -> None:
    """W107 for each read of a fact or field declared `or absent` that no presence test beside it guards."""
    reported: set[tuple[str, Span]] = set()
    for condition in conditions:
        for name, found in _unguarded(condition, frozenset(), absent):
            span = found or condition.span
            if span is not None and (name, span) not in reported:
                reported.add((name, span))
                report.warning(
                    "W107",
                    f"'{name}' may be absent, and this reads it without testing `{name} is present`: "
                    "when it is absent the condition is unknown",
                    span,
                    hint=f"write `{name} is present and ...`, or `{name} is absent or ...`",
                )


def _unguarded(
    expr: model.Expr | model.Operand, guarded: frozenset[str], absent: frozenset[str]
) -> Iterator[tuple[str, Span | None]]:
    """The facts and fields that may be absent which `expr` reads outside the guards around it."""
    if isinstance(expr, model.Present | model.Known | model.ProvisionRef):
        return  # a presence or knowledge test reads no value; a provision is checked on its own
    if isinstance(expr, model.Combine) and expr.kind != "at_least":
        guards = frozenset(g for g in (_presence(o, expr.kind == "all") for o in expr.operands) if g)
        for operand in expr.operands:
            yield from _unguarded(operand, guarded | guards, absent)
        return
    if isinstance(expr, model.ValueRef):  # reported where the value is read, not where it is declared
        for name, _ in _unguarded(expr.operand, guarded, absent):
            yield name, expr.span
        return
    if isinstance(expr, model.FactRef) and expr.fact in absent and expr.fact not in guarded:
        yield expr.fact, expr.span
    elif isinstance(expr, model.FieldRef) and expr.absent and expr.dotted not in guarded:
        yield expr.dotted, expr.span
    for child in model.children(expr):
        yield from _unguarded(child, guarded, absent)


def _presence(expr: model.Expr, present: bool) -> str | None:
    """The name `expr` tests: `x is present` (present=True) or `x is absent` (present=False)."""
    if not present and isinstance(expr, model.Not):
        expr, present = expr.operand, True
    return expr.name if present and isinstance(expr, model.Present) else None
