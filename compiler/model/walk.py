"""Walks over expressions of the checked model: their children, and what they read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_never

from compiler.model.expr import (
    Arith,
    Call,
    CodeSetRef,
    Combine,
    Compare,
    Const,
    Empty,
    Expr,
    FactRef,
    Intersects,
    Known,
    Member,
    Not,
    Operand,
    ProvisionRef,
    Shift,
    ValueRef,
)


def children(e: Expr | Operand) -> tuple[Expr | Operand, ...]:
    """The sub-expressions and operands of an expression, without following provision references."""
    if isinstance(e, (Compare, Intersects, Arith)):
        return (e.left, e.right)
    if isinstance(e, Member):
        return (e.element, e.collection)
    if isinstance(e, (Empty, Known, Not, ValueRef)):
        return (e.operand,)
    if isinstance(e, Shift):
        return (e.date,)
    if isinstance(e, Call):
        return e.arguments
    if isinstance(e, Combine):
        return e.operands
    if isinstance(e, FactRef | Const | ProvisionRef | CodeSetRef):
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
    """The facts an expression reads directly, in order of first appearance."""
    return tuple(dict.fromkeys(e.fact for e in preorder(expr) if isinstance(e, FactRef)))


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

