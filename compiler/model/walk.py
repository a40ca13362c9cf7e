"""Walks over expressions of the checked model: their children, and what they read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, assert_never

from compiler.model.expr import (
    Aggregate,
    Arith,
    Call,
    Choice,
    CodeSetRef,
    Combine,
    Compare,
    Const,
    Empty,
    Expr,
    FactRef,
    FieldRef,
    Intersects,
    Known,
    Lookup,
    Member,
    Not,
    Operand,
    Present,
    ProvisionRef,
    Quantify,
    Records,
    Shift,
    ValueRef,
)


def children(e: Expr | Operand) -> tuple[Expr | Operand, ...]:
    """The sub-expressions and operands of an expression, without following provision references."""
    if isinstance(e, (Compare, Intersects, Arith)):
        return (e.left, e.right)
    if isinstance(e, Member):
        return (e.element, e.collection)
    if isinstance(e, (Empty, Known, Present, Not, ValueRef)):
        return (e.operand,)
    if isinstance(e, Shift):
        return (e.date,) if e.count is None else (e.date, e.count)
    if isinstance(e, Call):
        return e.arguments
    if isinstance(e, Combine):
        return e.operands
    if isinstance(e, Lookup):
        return e.keys
    if isinstance(e, Choice):
        return (e.condition, e.then, e.otherwise)
    if isinstance(e, Quantify):
        return tuple(x for x in (e.distinct, e.records.where) if x is not None)
    if isinstance(e, Aggregate):
        return tuple(x for x in (e.value, e.records.where, e.fallback) if x is not None)
    if isinstance(e, FactRef | FieldRef | Const | ProvisionRef | CodeSetRef):
        return ()
    assert_never(e)


def preorder(expr: Expr | Operand) -> Iterator[Expr | Operand]:
    """An expression and everything in it, parents first, without following provision references."""
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        stack.extend(reversed(children(e)))


def facts_read(expr: Expr | Operand) -> tuple[str, ...]:
    """The facts an expression reads directly, in order of first appearance: a list of records too."""
    return tuple(
        dict.fromkeys(
            e.fact if isinstance(e, FactRef) else e.records.fact
            for e in preorder(expr)
            if isinstance(e, FactRef | Quantify | Aggregate)
        )
    )


def divides(expr: Expr | Operand) -> bool:
    """Whether a formula divides anywhere, through the computed values it reads; a quantifier's or
    aggregate's own values aside (they are computed apart)."""
    stack: list[Expr | Operand] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Arith) and e.op == "/":
            return True
        if not isinstance(e, Quantify | Aggregate) or e is expr:
            stack.extend(children(e))
    return False


def records_read(expr: Expr | Operand) -> tuple[Quantify | Aggregate, ...]:
    """The quantifiers and aggregates over records in an expression, outermost first."""
    return tuple(e for e in preorder(expr) if isinstance(e, Quantify | Aggregate))


def outermost_records(expr: Expr | Operand) -> list[Quantify | Aggregate]:
    """The quantifiers and aggregates in an expression that no other one holds (through computed values)."""
    found: list[Quantify | Aggregate] = []
    stack: list[Expr | Operand] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Quantify | Aggregate):
            found.append(e)
        else:
            stack.extend(children(e))
    return found


def provisions_referenced(expr: Expr) -> tuple[str, ...]:
    """The provisions a condition refers to, in order of first appearance."""
    return tuple(dict.fromkeys(e.label for e in preorder(expr) if isinstance(e, ProvisionRef)))


def values_read(expr: Expr | Operand) -> tuple[str, ...]:
    """The computed values an expression reads, in order of first appearance (inner ones first)."""
    found: dict[str, None] = {}

    def visit(e: Expr | Operand) -> None:
        if isinstance(e, ValueRef):
            visit(e.operand)
            found[e.name] = None
        for child in children(e):
            visit(child)

    visit(expr)
    return tuple(found)



Node = Expr | Operand
_NODES = (
    *(Aggregate, Arith, Call, Choice, CodeSetRef, Combine, Compare, Const, Empty, FactRef, FieldRef, Intersects, Known),
    *(Lookup, Member, Not, Present, ProvisionRef, Quantify, Shift, ValueRef),
)


def rewrite(expr: Node, replace: Callable[[Node], Node | None]) -> Node:
    """`expr` with every node for which `replace` gives a node put in its place, outermost first;
    nodes that nothing inside changed are kept as they are."""
    found = replace(expr)
    if found is not None:
        return found
    changes = {}
    for f in dataclasses.fields(expr):
        value = getattr(expr, f.name)
        new = _rewrite_field(value, replace)
        if new is not value:
            changes[f.name] = new
    return dataclasses.replace(expr, **changes) if changes else expr


def _rewrite_field(value: Any, replace: Callable[[Node], Node | None]) -> Any:
    if isinstance(value, _NODES):
        return rewrite(value, replace)
    if isinstance(value, Records) and value.where is not None:
        where = rewrite(value.where, replace)
        return value if where is value.where else dataclasses.replace(value, where=where)  # type: ignore[arg-type]
    if isinstance(value, tuple) and value and isinstance(value[0], _NODES):
        items = tuple(rewrite(v, replace) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
