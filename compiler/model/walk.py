"""Walks over expressions of the checked model: their children, and what they read."""

from __future__ import annotations

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
    if isinstance(e, (Empty, Not, ValueRef)):
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


def facts_read(expr: Expr | Operand) -> tuple[str, ...]:
    """The facts an expression reads directly, in order of first appearance."""
    found: dict[str, None] = {}

    def visit(e: Expr | Operand) -> None:
        if isinstance(e, FactRef):
            found[e.fact] = None
        for child in children(e):
            visit(child)

    visit(expr)
    return tuple(found)


def provisions_referenced(expr: Expr) -> tuple[str, ...]:
    found: dict[str, None] = {}

    def visit(e: Expr) -> None:
        if isinstance(e, ProvisionRef):
            found[e.label] = None
        elif isinstance(e, Not):
            visit(e.operand)
        elif isinstance(e, Combine):
            for operand in e.operands:
                visit(operand)

    visit(expr)
    return tuple(found)


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

