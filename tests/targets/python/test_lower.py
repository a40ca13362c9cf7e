"""The lowering: one condition, three-valued where facts may be unknown and two-valued where they are known."""

from __future__ import annotations

from typing import Any

import pytest

from compiler import interpret, model
from compiler.targets.python import printer, pyir
from compiler.targets.python.lower import Block, Lowering, counter
from compiler.targets.python.values import Values
from tests.test_constructs import POLICY, every_request, generated

MODULE = generated()
CONDITIONS = [p for p in POLICY.provisions if p.condition is not None]


def _run(code: pyir.Expr | list[pyir.Stmt], facts: Any, result: str | None = None) -> Any:
    namespace = {**MODULE.__dict__, "f": facts}
    if isinstance(code, list):
        exec(printer.block(code, 0), namespace)  # our own output, not input
        return namespace[result or ""]
    return eval(printer.expression(code), namespace)  # our own output, not input


@pytest.mark.parametrize("provision", CONDITIONS, ids=lambda p: p.label)
def test_the_known_branch_and_the_three_valued_one_agree(provision: model.Provision) -> None:
    assert provision.condition is not None
    lowering = Lowering(POLICY, Values(POLICY))
    reads = frozenset(lowering.reads(model.ProvisionRef(provision.label)))
    kleene = lowering.condition(provision.condition, frozenset(), "inline")
    known = lowering.condition(provision.condition, reads, "inline")
    block = Block(frozenset(), counter())
    lowering.compute(provision.label, block)  # straight-line, with temporaries
    local = provision.label.lower().replace(".", "_")
    for request in every_request()[::7]:
        facts = MODULE.validate(request)
        expected = interpret.Evaluation(POLICY, interpret.validate(POLICY, request)).value(provision.condition)
        assert _run(kleene, facts) is expected
        assert _run(list(block.statements), facts, local) is expected
        if all(getattr(facts, name) is not None for name in reads):
            assert _run(known, facts) is expected  # a plain bool: never None where its facts are known


def test_a_known_branch_needs_no_guard() -> None:
    lowering = Lowering(POLICY, Values(POLICY))
    for provision in CONDITIONS:
        assert provision.condition is not None
        reads = frozenset(lowering.reads(model.ProvisionRef(provision.label)))
        text = printer.flat(lowering.condition(provision.condition, reads, "inline"))
        assert "None" not in text and "_all(" not in text and "_any(" not in text, text
