"""`x is known` (issue 15, item 2, in part): a condition on whether a fact was given, never unknown itself."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from compiler import compile_source, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import python

SOURCE = """\
policy "T-KNOWN" {
    title: "Blood gases"
    effective: 2025-01-01
}

fact abg_po2: integer 0..200 unit "mmHg"
    "Arterial PO2, when an arterial blood gas was done."
fact oximetry: integer 0..100 unit "%"
    "Oxygen saturation by oximetry, when it was measured."
fact on_oxygen: boolean
    "The patient is on oxygen at the test."

section D "Criteria" {
    criterion D.1 "PO2 55 or less, or saturation 88 or less; the blood gas is preferred when both were done."
        when abg_po2 is known and abg_po2 <= 55
            or abg_po2 is not known and oximetry <= 88
    criterion D.2 "Tested at rest, on room air, or on oxygen only when that is stated."
        when on_oxygen is known
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when D.1
    otherwise not_covered by D.1
    unknown unsure
}
"""

POLICY, DIAGNOSTICS = compile_source(SOURCE, "known.policy")


def _expected(abg: int | None, oximetry: int | None) -> str:
    """The policy's words: the blood gas when it was done, else oximetry; unknown only when neither decides."""
    if abg is not None:
        return "covered" if abg <= 55 else "not_covered"
    if oximetry is None:
        return "unsure"
    return "covered" if oximetry <= 88 else "not_covered"


def test_it_compiles_without_a_word() -> None:
    assert POLICY is not None and [d.message for d in DIAGNOSTICS] == []


@pytest.mark.parametrize(("abg", "oximetry"), list(itertools.product([None, 40, 55, 56, 120], [None, 80, 88, 89])))
def test_a_known_fact_is_preferred_and_an_unknown_one_is_not_missing(abg: int | None, oximetry: int | None) -> None:
    assert POLICY is not None
    module = python.load_module(POLICY)
    request: dict[str, Any] = {"abg_po2": abg, "oximetry": oximetry}
    decision = module.evaluate(request)
    assert decision.outcome == _expected(abg, oximetry)
    assert interpret.evaluate(POLICY, request)["outcome"] == decision.outcome
    assert module.evaluate(request, explain=False).outcome == decision.outcome
    if decision.outcome == "unsure":
        assert decision.missing == ("oximetry",)  # never abg_po2: whether it is known is known


def test_is_known_is_never_unknown() -> None:
    assert POLICY is not None
    module = python.load_module(POLICY)
    for value in (None, True, False):
        assert module._D_2(module.validate({"on_oxygen": value})) is (value is not None)


def test_the_formatter_and_the_checker() -> None:
    assert format_source(SOURCE, "known.policy")[0] == SOURCE
    policy, diagnostics = compile_source(SOURCE.replace("on_oxygen is known", "3 is known"), "known.policy")
    assert policy is None
    assert [d.message for d in diagnostics if d.code == "E203"] == ["'is known' tests a fact or a computed value"]
