"""DTR: the questionnaire has one item per fact, and its answers come back as the same request."""

from __future__ import annotations

import decimal
from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpath_evaluate
from fhirpathpy.models import models

from compiler.fhir import questionnaire
from compiler.model import types
from compiler.targets import python
from tests.fhir.conftest import bound, fixture, policy, resources
from tests.fhir.test_bindings import SHIPPED

BASE = "http://policyc.test"


def response_for(policy_id: str, request: dict[str, Any], canonical: str | None = None) -> dict[str, Any]:
    """A QuestionnaireResponse answering with `request`, written as a DTR client writes one."""
    facts = {f.name: f for f in policy(policy_id).facts}
    items: list[dict[str, Any]] = []
    for name, value in request.items():
        kind = facts[name].type
        if isinstance(kind, types.RecordList):  # the group repeated, one per record; one, empty, for none
            fields = {f.name: f.type for f in kind.fields}
            records = [{"item": [{"linkId": k, **_answered(fields[k], v)} for k, v in r.items()]} for r in value]
            items += [{"linkId": name, **record} for record in records] or [{"linkId": name}]
        else:
            items.append({"linkId": name, **_answered(kind, value)})
    made: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    made["questionnaire"] = canonical or f"{BASE}/Questionnaire/{policy_id}"
    made["authored"] = "2026-01-10T09:00:00Z"
    return made


def _answered(kind: object, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if value == [] and isinstance(kind, types.EnumSet):
        return {"answer": [{"valueCoding": questionnaire.NONE_OF_THESE}]}
    values = value if isinstance(kind, types.EnumSet) else [value]
    key = {
        types.Boolean: "valueBoolean",
        types.Integer: "valueInteger",
        types.Decimal: "valueDecimal",
        types.Date: "valueDate",
        types.Enum: "valueCoding",
        types.EnumSet: "valueCoding",
    }.get(type(kind), "valueString")
    return {"answer": [{key: {"code": v} if key == "valueCoding" else v} for v in values]}


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_one_item_per_fact_with_its_declaration(policy_id: str) -> None:
    made = questionnaire.questionnaire(policy(policy_id), bound(policy_id), BASE)
    assert [item["linkId"] for item in made["item"]] == [f.name for f in policy(policy_id).facts]
    for item, fact in zip(made["item"], policy(policy_id).facts, strict=True):
        if isinstance(fact.type, (types.Enum, types.EnumSet)):
            codes = [o["valueCoding"]["code"] for o in item["answerOption"]]
            none = ["none"] if isinstance(fact.type, types.EnumSet) else []  # "none of these": the empty set
            assert codes == [*fact.type.values, *none]
        if isinstance(fact.type, types.Integer):
            bounds = [e["valueInteger"] for e in item["extension"] if e["url"].endswith(("minValue", "maxValue"))]
            assert bounds == [fact.type.low, fact.type.high]


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_answers_to_every_example_give_back_its_request_and_its_decision(policy_id: str) -> None:
    evaluator = python.load_module(policy(policy_id))
    for example in policy(policy_id).examples:
        request = {k: v for k, v in example.request.items() if v is not None}
        back = questionnaire.answers(policy(policy_id), response_for(policy_id, request))
        assert _exact(back) == _exact(request)
        assert evaluator.evaluate(back).outcome == example.expect


def _exact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return decimal.Decimal(str(value)) if isinstance(value, (float, decimal.Decimal)) else value


def test_documented_elsewhere_stays_unknown_and_a_stranger_item_is_named() -> None:
    made = response_for("MP-MM-1308", {"eckardt_score": 6, "age": 40})
    made["item"][0]["answer"][0]["extension"] = [
        {"url": questionnaire.DATA_ABSENT_EXTENSION, "valueCode": "asked-declined"}
    ]
    made["item"].append({"linkId": "eckardt", "answer": [{"valueInteger": 1}]})
    made["item"].append({"linkId": "diagnosis", "answer": [{"valueBoolean": True}]})
    with pytest.raises(questionnaire.BadResponse) as caught:
        questionnaire.answers(policy("MP-MM-1308"), made)
    assert [e["field"] for e in caught.value.errors] == ["eckardt", "diagnosis"]
    del made["item"][2:]
    assert questionnaire.answers(policy("MP-MM-1308"), made) == {"age": 40}


def test_the_questionnaire_of_a_decision_shows_exactly_what_it_still_needs() -> None:
    evaluator = python.load_module(policy("MP-MM-1308"))
    decision = evaluator.evaluate({"state": "OH", "service_date": "2026-01-15", "diagnosis": "primary_achalasia"})
    made = questionnaire.questionnaire(policy("MP-MM-1308"), bound("MP-MM-1308"), BASE, decision.requested)
    assert [item["linkId"] for item in made["item"]] == [f for f in evaluator.FACTS if f in decision.requested]
    achalasia = next(item for item in made["item"] if item["linkId"] == "achalasia_type")
    assert achalasia["enableWhen"] == [
        {"question": "diagnosis", "operator": "=", "answerCoding": {"code": "primary_achalasia"}}
    ]


def test_initial_expressions_fill_in_what_the_chart_says() -> None:
    made = questionnaire.questionnaire(policy("MP-MM-1308"), bound("MP-MM-1308"), BASE)
    chart = resources(fixture("poem-chart.json"))
    variables = {
        "patient": chart[0],
        "order": fixture("poem-order.json"),
        "conditions": {"resourceType": "Bundle", "entry": [{"resource": r} for r in chart[2:5]]},
        "procedures": {"resourceType": "Bundle", "entry": [{"resource": r} for r in chart[5:]]},
    }
    initial = {}
    for item in made["item"]:
        for extension in item.get("extension", []):
            if extension["url"].endswith("initialExpression"):
                expression = extension["valueExpression"]["expression"]
                initial[item["linkId"]] = fhirpath_evaluate({}, expression, variables, models["r4"])
    assert initial == {
        "state": ["OH"],
        "service_date": ["2026-01-15"],
        "diagnosis": ["primary_achalasia"],
        "contraindications": [],
        "prior_achalasia_therapies": ["pneumatic_dilation"],
    }
