"""Bindings files: every shipped policy has one that checks clean, and an author's mistakes are
reported once each, at their place."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.diagnostics import render_all
from compiler.fhir import bindings
from tests.fhir.conftest import POLICIES, bound, policy

SHIPPED = sorted(p.name.removesuffix(".policy") for p in POLICIES.glob("*.policy"))


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_every_shipped_policy_has_us_core_bindings(policy_id: str) -> None:
    made = bound(policy_id)
    assert [b.fact for b in made.bindings] == [f.name for f in policy(policy_id).facts]
    assert {kind for _, kind in made.kinds} <= set(bindings.KINDS)


def _errors(text: str, policy_id: str = "MP-MM-1308") -> list[tuple[int, int, str]]:
    made, diagnostics = bindings.read(text, "x.bindings", policy(policy_id))
    assert made is None
    return sorted((d.span.line, d.span.column, d.code) for d in diagnostics)


def test_each_mistake_is_reported_once_where_it_is() -> None:
    text = (Path(__file__).parent / "fixtures" / "mistakes.bindings").read_text(encoding="utf-8")
    made, diagnostics = bindings.read(text, "mistakes.bindings", policy("MP-MM-1308"))
    assert made is None
    expected = (Path(__file__).parent / "fixtures" / "mistakes.expected").read_text(encoding="utf-8")
    assert render_all(diagnostics, {"mistakes.bindings": text}) + "\n" == expected


def test_a_syntax_error_is_E001() -> None:
    assert _errors('bindings "MP-MM-1308" profile "x" { state patient.state }') == [
        (1, 43, "E001")
    ]  # at `patient`: a colon was expected


def test_bindings_for_another_policy_are_refused() -> None:
    text = (POLICIES / "MP-MM-1308.us-core.bindings").read_text(encoding="utf-8")
    assert (4, 10, "E1001") in _errors(text.replace('"MP-MM-1308"', '"MP-MM-1309"'))


def test_a_code_may_not_map_to_two_values() -> None:
    text = (POLICIES / "MP-MM-1308.us-core.bindings").read_text(encoding="utf-8")
    text = text.replace('esophageal_spasm: ICD10CM "K22.4"', 'esophageal_spasm: ICD10CM "K22.0"')
    assert [code for _, _, code in _errors(text)] == ["E1008"]


def test_outcome_kinds_default_from_their_names_and_may_be_declared() -> None:
    made = bound("MP-MM-1308")
    assert dict(made.kinds) == {
        "not_applicable": "not_applicable",
        "experimental": "denial",
        "contraindicated": "denial",
        "needs_review": "review",
        "medically_necessary": "approval",
        "not_medically_necessary": "denial",
        "insufficient_information": "unknown",
    }
    text = (POLICIES / "MP-MM-1308.us-core.bindings").read_text(encoding="utf-8")
    declared = text.rstrip().removesuffix("}") + "    outcomes { needs_review: denial }\n}\n"
    changed, diagnostics = bindings.read(declared, "x.bindings", policy("MP-MM-1308"))
    assert changed is not None, diagnostics
    assert changed.kind("needs_review") == "denial"
    wrong = text.rstrip().removesuffix("}") + "    outcomes { needs_reviw: denial medically_necessary: maybe }\n}\n"
    assert [code for _, _, code in _errors(wrong)] == ["E1004", "E1005"]
