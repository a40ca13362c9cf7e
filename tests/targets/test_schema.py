"""JSON Schema and pydantic models: golden files, valid schemas, and three validators that agree."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import load, targets
from compiler.cli import main
from tests.conftest import EVALUATOR, POLICY_SOURCE, ROOT, import_file
from tests.test_interpret import requests

POLICY = load(POLICY_SOURCE)
GENERATED = ROOT / "generated"
REQUEST_SCHEMA = json.loads((GENERATED / "schema" / "MP-MM-1308.request.schema.json").read_text())
DECISION_SCHEMA = json.loads((GENERATED / "schema" / "MP-MM-1308.decision.schema.json").read_text())
EVALUATE = import_file(EVALUATOR, "mp_mm_1308_schema_tests")
MODELS = import_file(GENERATED / "models" / "mp_mm_1308.py", "mp_mm_1308_models")
Validator = jsonschema.Draft202012Validator


def validator(document: dict[str, Any]) -> jsonschema.protocols.Validator:
    return Validator(document, format_checker=Validator.FORMAT_CHECKER)


REQUEST = validator(REQUEST_SCHEMA)
DECISION = validator(DECISION_SCHEMA)
MODEL_REQUEST = validator(MODELS.Request.model_json_schema())
MODEL_DECISION = validator(MODELS.Decision.model_json_schema())


def test_committed_schemas_and_models_are_what_the_source_compiles_to(update_golden: bool) -> None:
    emitted = {**targets.emit("schema", POLICY), **targets.emit("models", POLICY)}
    for path, text in emitted.items():
        if update_golden:
            (GENERATED / path).write_text(text, encoding="utf-8")
        assert (GENERATED / path).read_text(encoding="utf-8") == text, path


@pytest.mark.parametrize(
    "document",
    [REQUEST_SCHEMA, DECISION_SCHEMA, MODELS.Request.model_json_schema(), MODELS.Decision.model_json_schema()],
    ids=["request", "decision", "model-request", "model-decision"],
)
def test_every_schema_is_valid_draft_2020_12(document: dict[str, Any]) -> None:
    Validator.check_schema(document)


def test_request_schema_describes_the_facts() -> None:
    assert REQUEST_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert REQUEST_SCHEMA["$id"] == "urn:policyc:MP-MM-1308:request"
    assert REQUEST_SCHEMA["additionalProperties"] is False
    props = REQUEST_SCHEMA["properties"]
    assert props["age"] == {
        "description": "Member age in whole years on the date of service.",
        "x-policy-sections": ["D.II"],
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 130,
    }
    assert props["achalasia_type"]["enum"] == ["I", "II", "III", None]
    assert props["contraindications"]["uniqueItems"] is True
    assert props["service_date"]["format"] == "date"
    assert props["diagnosis"]["x-policy-sections"] == ["D.I.A", "D.III"]


def evaluator_accepts(instance: object) -> bool:
    try:
        EVALUATE.validate(instance)
    except EVALUATE.InvalidRequest:
        return False
    return True


def model_accepts(instance: object) -> bool:
    try:
        MODELS.Request.model_validate(instance)
    except pydantic.ValidationError:
        return False
    return True


def verdicts(instance: object) -> dict[str, bool]:
    return {
        "evaluator": evaluator_accepts(instance),
        "schema": REQUEST.is_valid(instance),
        "pydantic": model_accepts(instance),
        "pydantic schema": MODEL_REQUEST.is_valid(instance),
    }


HOSTILE_VALUES = st.sampled_from(
    [
        None, True, False, 0, 1, -1, 3, 12, 13, 18, 130, 131, 10**100, 45.0, 45.5, float("nan"), float("inf"),
        "", "6", "true", "OH", "oh", "OH\n", "KY", "OHIO", "I", "IV", "other", "primary_achalasia",
        "2025-11-01", "2026-02-30", "2026-2-3", "20260203", "2025-11-01\n", "２０２５-１１-０１", "x" * 1000,
        [], ["esophageal_malignancy"], ["esophageal_malignancy", "esophageal_malignancy"], ["pneumatic_dilation"],
        [1], [None], {}, {"a": 1}, [[[]]],
    ]
)  # fmt: skip


@st.composite
def hostile_requests(draw: st.DrawFn) -> object:
    """Requests broken in every way the contract names, and some that are fine."""
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([[], "request", 3, None, True]))
    request: dict[str, object] = draw(requests())
    for name in draw(st.lists(st.sampled_from([f.name for f in POLICY.facts]), max_size=3)):
        request[name] = draw(HOSTILE_VALUES)
    if draw(st.integers(0, 9)) == 0:
        request[draw(st.sampled_from(["agee", "State", "", "contraindication"]))] = draw(HOSTILE_VALUES)
    return request


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_requests())
def test_evaluator_schema_and_pydantic_agree_on_every_request(instance: object) -> None:
    found = verdicts(instance)
    assert len(set(found.values())) == 1, found


@pytest.mark.parametrize(
    ("changes", "valid"),
    [
        ({}, True),
        ({"age": True}, False),
        ({"age": 131}, False),
        ({"age": 45.0}, True),
        ({"agee": 1}, False),
        ({"diagnosis": "achalasia"}, False),
        ({"service_date": "2026-02-30"}, False),
        ({"contraindications": ["esophageal_malignancy"] * 2}, False),
        ({"state": "OH\n"}, False),
        ({"eckardt_score": None}, True),
    ],
)
def test_named_cases_agree(changes: dict[str, object], valid: bool) -> None:
    from tests.conftest import APPROVABLE

    assert verdicts({**APPROVABLE, **changes}) == dict.fromkeys(
        ("evaluator", "schema", "pydantic", "pydantic schema"), valid
    )


@settings(max_examples=500, deadline=None)
@given(requests())
def test_every_decision_matches_the_decision_schema_and_model(instance: dict[str, Any]) -> None:
    try:
        decision = EVALUATE.evaluate(instance).to_dict()
    except EVALUATE.InvalidRequest:
        return
    DECISION.validate(decision)
    MODEL_DECISION.validate(decision)
    assert MODELS.Decision.model_validate(decision).model_dump() == decision


def test_schema_command_prints_the_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "MP-MM-1308"]) == 0
    assert json.loads(capsys.readouterr().out) == REQUEST_SCHEMA
    assert main(["schema", str(POLICY_SOURCE), "--decision"]) == 0
    assert json.loads(capsys.readouterr().out) == DECISION_SCHEMA
    assert main(["schema", "NO-SUCH"]) == 2


@pytest.mark.parametrize("name", ["CMS-NCD-100.1", "CMS-NCD-210.14", "CMS-NCD-240.4"])
def test_decimal_facts_refuse_nan_in_the_schema_too(name: str) -> None:
    """Red-team F12: jsonschema passes NaN through `minimum` and `maximum`; the schema must not."""
    request_schema = json.loads((ROOT / "generated" / "schema" / f"{name}.request.schema.json").read_text())
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema.Draft202012Validator(request_schema, format_checker=checker)
    properties = request_schema["properties"]
    decimals = [fact for fact, s in properties.items() if s.get("type") == ["number", "null"]]
    assert decimals
    for fact in decimals:
        low = properties[fact]["minimum"]
        assert validator.is_valid({fact: low}) and validator.is_valid({fact: None})
        assert not validator.is_valid(json.loads(f'{{"{fact}": NaN}}'))
        assert not validator.is_valid({fact: float("inf")})
    # the pydantic model's own schema says the same of each decimal (pydantic's default admits strings)
    module = import_file(GENERATED / "models" / f"{name.lower().replace('-', '_').replace('.', '_')}.py", f"m_{name}")
    own = module.Request.model_json_schema()["properties"]
    for fact in decimals:
        number = next(option for option in own[fact]["anyOf"] if option.get("type") == "number")
        expected = {k: properties[fact][k] for k in ("minimum", "maximum", "not")}
        assert {k: number[k] for k in expected} == expected and number["type"] == "number"
