"""The checked model: spans on every expression, typed operators, and a visitor that fails loudly."""

from __future__ import annotations

import dataclasses

import pytest

from compiler import model
from compiler.diagnostics import Span
from tests.test_constructs import POLICY


def _expressions(e: model.Expr | model.Operand) -> list[model.Expr | model.Operand]:
    return [e, *(x for child in model.children(e) for x in _expressions(child))]


def test_every_checked_expression_carries_the_span_it_was_written_at() -> None:
    for provision in POLICY.provisions:
        if provision.condition is None:
            continue
        for e in _expressions(provision.condition):
            assert e.span is not None and e.span.file.endswith("constructs.policy"), (provision.label, e)
            assert e.span.line >= 1 and e.span.column >= 1


def test_a_span_takes_no_part_in_equality() -> None:
    here, there = Span("a.policy", 1, 1, 1, 5), Span("b.policy", 9, 3, 9, 8)
    assert model.FactRef("age", span=here) == model.FactRef("age", span=there)
    assert hash(model.Const(3, span=here)) == hash(model.Const(3, span=there))
    assert dataclasses.replace(model.FactRef("age"), span=here).span == here


def test_a_visitor_fails_loudly_on_a_node_it_does_not_handle() -> None:
    class Facts(model.ExprVisitor[list[str]]):
        def visit_FactRef(self, node: model.FactRef) -> list[str]:
            return [node.fact]

    assert Facts().visit(model.FactRef("age")) == ["age"]
    with pytest.raises(model.UnsupportedNode, match="Facts does not handle Not"):
        Facts().visit(model.Not(model.FactRef("age")))


def test_operators_are_the_models_own() -> None:
    assert set(model.COMPARE_OPS) == {"==", "!=", "<", "<=", ">", ">="}
    assert all(model.MIRRORED[model.MIRRORED[op]] == op for op in model.COMPARE_OPS.values())


def test_every_declaration_carries_its_span() -> None:
    records = [*POLICY.facts, *POLICY.provisions, *POLICY.outcomes, *POLICY.rules, *POLICY.codesets, *POLICY.computed]
    for record in records:
        assert record.span is not None, record
        assert record.span.line == getattr(record, "line", record.span.line)
