"""`policyc diff`'s proof: no request changes, or a confirmed witness for each pair of outcomes that does."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import z3

from compiler import compile_source, find_sources, interpret, load
from compiler.analysis.impact import Proof, prove
from compiler.targets import python
from tests.conftest import ROOT

BARIATRIC = ROOT / "policies" / "CMS-NCD-100.1.policy"


def proof(old_text: str, new_text: str, timeout: float = 30) -> Proof:
    old, _ = compile_source(old_text, "old.policy")
    new, _ = compile_source(new_text, "new.policy")
    assert old is not None and new is not None
    return prove(old, new, (python.load_module(old), python.load_module(new)), timeout)


def test_raising_the_bmi_threshold_from_35_to_40_gives_a_witness_for_each_pair_of_decisions() -> None:
    source = BARIATRIC.read_text(encoding="utf-8")
    raised = source.replace("bmi >= 35", "bmi >= 40").replace("bmi < 35", "bmi < 40")
    found = proof(source, raised)
    assert found.status == "changed" and found.bound == ""
    assert {(w.old, w.new) for w in found.witnesses} == {
        ("covered by B.II", "not_covered by D.II"),
        ("contractor_discretion by C.I", "not_covered by D.II"),
        ("not_covered by B.I", "not_covered by D.II"),
        ("not_addressed by otherwise", "not_covered by D.II"),
        ("insufficient_information by B.I", "not_covered by D.II"),
        ("insufficient_information by D.II", "not_covered by D.II"),
    }
    old, new = load(BARIATRIC), compile_source(raised, "new.policy")[0]
    assert new is not None
    for witness in found.witnesses:
        assert witness.confirmed and "bmi in [35, 40)" in witness.region
        request = witness.request
        bmi = Fraction(request["weight_kg"]) / Fraction(request["height_m"]) ** 2  # the oracle: exact rationals
        assert 35 <= bmi < 40
        before, after = interpret.evaluate(old, request), interpret.evaluate(new, request)
        assert f"{before['outcome']} by {before['section']}" == witness.old
        assert f"{after['outcome']} by {after['section']}" == witness.new
    covered = next(w for w in found.witnesses if w.old == "covered by B.II")
    assert covered.region == [
        "bmi in [35, 40)",
        "comorbidities is not empty",
        "procedure_code in covered_procedures",
        "failed_medical_treatment is true",
    ]


@pytest.mark.parametrize("source", find_sources([ROOT / "policies"]), ids=lambda p: p.stem)
def test_a_policy_against_itself_is_proved_unchanged(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    found = proof(text, text)
    assert found.status == "unchanged" and found.witnesses == []
    policy = load(source)
    histories = any(f.type.kind == "list" for f in policy.facts)
    assert found.bound.startswith("for histories of up to ") == histories  # every answer says its bound


def test_a_changed_term_is_a_change_with_the_same_outcome() -> None:
    source = (ROOT / "policies" / "ODM-UPDL-MIGRAINE.policy").read_text(encoding="utf-8")
    changed = source.replace('period_days unit "days" = 180', 'period_days unit "days" = 200')
    found = proof(source, changed)
    assert found.status == "changed"
    [witness] = found.witnesses
    assert witness.confirmed
    assert witness.old.startswith("approved_initial by B.1") and "period_days = 180" in witness.old
    assert witness.new.startswith("approved_initial by B.1") and "period_days = 200" in witness.new


def test_a_narrower_range_makes_requests_invalid() -> None:
    source = (ROOT / "policies" / "MP-MM-1308.policy").read_text(encoding="utf-8")
    narrowed = source.replace("fact age: integer 0..130", "fact age: integer 10..130")
    found = proof(source, narrowed)
    assert found.status == "changed"
    assert {w.new for w in found.witnesses} == {"invalid"}
    assert all(w.confirmed and w.request["age"] < 10 for w in found.witnesses)


def test_a_question_that_runs_out_of_time_is_not_called_a_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "check", lambda self, *assumptions: z3.unknown)
    text = BARIATRIC.read_text(encoding="utf-8")
    found = proof(text, text, timeout=1)
    assert found.status == "incomplete" and "ran out of time (1 s)" in found.reason
