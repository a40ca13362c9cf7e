"""CRD 2.0.1: every outcome of every policy as coverage information that keeps CRD's invariants."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.fhir import crd
from compiler.service.registry import Served
from compiler.targets import python
from tests.fhir.conftest import bound, policy
from tests.fhir.test_bindings import SHIPPED


def _decision(policy_id: str, outcome: str) -> dict[str, Any]:
    evaluator = python.load_module(policy(policy_id))
    made = Served(policy(policy_id), evaluator, bound(policy_id), None).decide({})
    return {**made, "outcome": outcome, "description": evaluator.OUTCOMES[outcome]}


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_every_outcome_keeps_the_invariants(policy_id: str) -> None:
    for outcome in policy(policy_id).outcomes:
        decision = _decision(policy_id, outcome.name)
        made = crd.coverage_information(bound(policy_id), decision, {}, "Coverage/c", "2026-01-02", None, "q")
        kind = bound(policy_id).kind(outcome.name)
        if kind == "not_applicable":
            assert made is None
            continue
        assert made is not None and crd.invariants(made) == []
        covered = next(p["valueCode"] for p in made["extension"] if p["url"] == "covered")
        assert covered == {"approval": "covered", "denial": "not-covered"}.get(kind, "conditional")
        assert any(p["url"] == "questionnaire" for p in made["extension"]) == (kind == "unknown")


@pytest.mark.parametrize(
    ("parts", "broken"),
    [
        ({"questionnaire": "q"}, "crd-ci-q1"),
        ({"covered": "not-covered", "pa-needed": "auth-needed"}, "crd-ci-q2"),
        ({"covered": "conditional"}, "crd-ci-q3"),
        ({"covered": "covered", "info-needed": "OTH", "reason": "x"}, "crd-ci-q3"),
        ({"pa-needed": "satisfied", "doc-purpose": "withpa", "satisfied-pa-id": "1"}, "crd-ci-q4"),
        ({"pa-needed": "satisfied"}, "crd-ci-q5"),
        ({"covered": "conditional", "info-needed": "OTH"}, "crd-ci-q6"),
    ],
)
def test_the_invariant_check_finds_each_broken_rule(parts: dict[str, str], broken: str) -> None:
    made = [{"url": "coverage", "valueReference": {}}, {"url": "coverage-assertion-id", "valueString": "a"}]
    made += [{"url": key, "valueString": value} for key, value in parts.items()]
    assert broken in crd.invariants({"extension": made})


def test_the_assertion_id_is_the_same_for_the_same_policy_and_facts() -> None:
    one = crd.assertion_id("abc", {"b": 1, "a": "x"})
    assert one == crd.assertion_id("abc", {"a": "x", "b": 1})
    assert one != crd.assertion_id("abd", {"a": "x", "b": 1})


def test_the_billing_code_is_one_the_policy_names() -> None:
    cpt = "http://www.ama-assn.org/go/cpt"
    assert bound("CMS-NCD-100.1").billing_code(policy("CMS-NCD-100.1"), [("urn:x", "1"), (cpt, "43644")]) == (
        cpt,
        "43644",
    )  # covered_procedures lists it
    assert bound("CMS-NCD-100.1").billing_code(policy("CMS-NCD-100.1"), [(cpt, "99213")]) is None
    assert bound("CMS-NCD-100.1").governs([(cpt, "99213")])  # no `orders`: every order, decided not_addressed
    assert bound("MP-MM-1308").billing_code(policy("MP-MM-1308"), [(cpt, "43497")]) == (cpt, "43497")
    assert not bound("MP-MM-1308").governs([(cpt, "43239")])
