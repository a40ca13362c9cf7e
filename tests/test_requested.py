"""One round trip: a decision that stops on an unknown fact asks, at once, for every fact that could still
change its outcome, in the order of the rules that need them (issue 15, item 6)."""

from __future__ import annotations

import decimal
import random
from pathlib import Path
from typing import Any

import pytest

from compiler import find_sources, interpret, load, model
from compiler.targets import python
from tests.conftest import ROOT
from tests.test_interpret import value_pools

SOURCES = find_sources([ROOT / "policies"])
MP_MM_1308 = load(ROOT / "policies" / "MP-MM-1308.policy")
EVALUATOR = python.load_module(MP_MM_1308)
SAMPLE_CODES = {"CPT": "43644", "HCPCS": "E0601", "ICD10CM": "G47.33"}


def test_an_empty_request_asks_for_everything_rule_by_rule() -> None:
    decision = EVALUATOR.evaluate({})
    assert decision.missing == ("service_date", "state")  # what stopped it: applicability
    assert decision.requested == (
        "service_date", "state",  # applicability
        "diagnosis",  # D.III, experimental
        "contraindications",  # D.IV
        "age",  # D.II, needs review
        "achalasia_type", "eckardt_score", "failed_conventional_therapy", "heller_surgical_candidate",
        "prior_open_foregut_surgery",  # D.I, medically necessary (diagnosis is asked for already)
    )  # fmt: skip
    asked = [item["fact"] for item in decision.to_dict()["requested_information"]]
    assert asked == list(decision.requested)
    assert interpret.evaluate(MP_MM_1308, {})["requested_information"] == decision.to_dict()["requested_information"]


def test_nothing_is_asked_for_past_a_rule_that_holds_whatever_comes_before() -> None:
    request = {"state": "OH", "service_date": "2025-12-01", "contraindications": ["cirrhosis_with_portal_hypertension"]}
    decision = EVALUATOR.evaluate(request)  # D.III (experimental) is unknown, D.IV (contraindicated) holds
    assert (decision.outcome, decision.section) == ("insufficient_information", "D.III")
    assert decision.requested == ("diagnosis",)


def test_a_decided_request_asks_for_nothing() -> None:
    request = {"state": "TX", "service_date": "2025-12-01"}  # not applicable, whatever else
    assert EVALUATOR.evaluate(request).requested == ()


def _known(policy: model.Policy, fact: model.Fact, rng: random.Random) -> Any:
    """A valid value of any fact, around the policy's thresholds."""
    t = fact.type
    if isinstance(t, model.Decimal):
        return rng.choice([t.low, t.high, (t.low + t.high) / 2, t.low + decimal.Decimal("0.5")])
    if isinstance(t, model.Code):
        return SAMPLE_CODES[t.system]
    if isinstance(t, model.Codes):
        return rng.choice([[], [SAMPLE_CODES[t.system]]])
    return rng.choice(value_pools(policy)[fact.name][0])


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_answering_every_requested_fact_decides(source: Path) -> None:
    """The promise: ask once. Whatever the answers, the next decision is definite."""
    policy = load(source)
    evaluator = python.load_module(policy)
    rng = random.Random(source.stem)
    undecided = 0
    for _ in range(300):
        request = {f.name: _known(policy, f, rng) for f in policy.facts if rng.random() < 0.5}
        decision = evaluator.evaluate(request)
        assert decision.to_dict()["requested_information"] == interpret.evaluate(policy, request)[
            "requested_information"
        ]
        if decision.outcome != policy.unknown:
            assert decision.requested == ()
            continue
        undecided += 1
        assert decision.requested[: len(decision.missing)] == decision.missing
        for _ in range(3):  # any answers to what was asked
            answered = {**request, **{name: _known(policy, policy.fact(name), rng) for name in decision.requested}}
            assert evaluator.evaluate(answered).outcome != policy.unknown, answered
    assert undecided > 0
