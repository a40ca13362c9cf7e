"""DTR: a policy's facts as a FHIR R4 Questionnaire (SDC), and a QuestionnaireResponse back to a request.

One item per fact, its `linkId` the fact's name: the type, range, unit and answer options of its
declaration; `initialExpression` from the bindings, so that a DTR client fills in what the chart
already says; `enableWhen` where the policy reads a fact only under one value of an enum. An answer
that says why there is none (the `data-absent-reason` extension or code, e.g. "documented
elsewhere") leaves its fact unknown, as does an item left unanswered.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from typing import Any

from compiler import model
from compiler.fhir import fhirpath
from compiler.fhir.bindings import Ask, Bindings, Found, Measured, OrderElement, PatientElement
from compiler.model import expr, types

SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition"
CORE = "http://hl7.org/fhir/StructureDefinition"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DATA_ABSENT_EXTENSION = f"{CORE}/data-absent-reason"
NONE_OF_THESE = {"system": "urn:policyc:answer", "code": "none", "display": "None of these"}  # an empty set
SEARCHES = {  # the SDC variables a questionnaire's initial expressions read, as FHIR searches
    "Condition": "Condition?patient={{%patient.id}}",
    "Observation": "Observation?patient={{%patient.id}}",
    "Procedure": "Procedure?patient={{%patient.id}}",
    "MedicationRequest": "MedicationRequest?patient={{%patient.id}}",
}


def canonical(base: str, policy: model.Policy) -> str:
    return f"{base.rstrip('/')}/Questionnaire/{policy.policy_id}"


def questionnaire(
    policy: model.Policy, bindings: Bindings | None, base: str, only: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The policy's Questionnaire; with `only`, just those facts' items (what a decision still needs)."""
    wanted = [f for f in policy.facts if only is None or f.name in only]
    guards = _guards(policy)
    items = [_item(policy, fact, bindings, guards.get(fact.name)) for fact in wanted]
    # The searches that initial expressions read: those of the chart's resources a binding finds.
    searched = {b.source.resource for b in bindings.bindings if isinstance(b.source, Found)} if bindings else set()
    extensions: list[dict[str, Any]] = [
        _launch("patient", "Patient"),
        _launch("order", "ServiceRequest"),  # DTR passes the order it was launched for
    ]
    for kind in sorted(searched):
        query = {
            "name": fhirpath.PREFETCH_KEYS[kind],
            "language": "application/x-fhir-query",
            "expression": SEARCHES[kind],
        }
        extensions.append({"url": f"{SDC}/sdc-questionnaire-variable", "valueExpression": query})
    return {
        "resourceType": "Questionnaire",
        "id": policy.policy_id,
        "meta": {"profile": [f"{SDC}/sdc-questionnaire-pop-exp"]},
        "extension": extensions,
        "url": canonical(base, policy),
        "version": policy.source_sha256,
        "name": "".join(part.capitalize() for part in re.findall(r"[A-Za-z0-9]+", policy.policy_id)),
        "title": f"{policy.policy_id}: {policy.title}",
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"What {policy.policy_id} needs to decide a request, one item per fact.",
        "item": items,
    }


def _launch(name: str, kind: str) -> dict[str, Any]:
    code = {"system": "http://hl7.org/fhir/uv/sdc/CodeSystem/launchContext", "code": name}
    return {
        "url": f"{SDC}/sdc-questionnaire-launchContext",
        "extension": [{"url": "name", "valueCoding": code}, {"url": "type", "valueCode": kind}],
    }


def _item(policy: model.Policy, fact: types.Fact, bindings: Bindings | None, guard: tuple[str, str] | None) -> Any:
    kind = fact.type
    item: dict[str, Any] = {"linkId": fact.name, "text": fact.description}
    extensions: list[dict[str, Any]] = []
    if isinstance(kind, types.Boolean):
        item["type"] = "boolean"
    elif isinstance(kind, (types.Integer, types.Decimal)):
        value = "valueInteger" if isinstance(kind, types.Integer) else "valueDecimal"
        item["type"] = "integer" if isinstance(kind, types.Integer) else "decimal"
        extensions += [{"url": f"{CORE}/minValue", value: kind.low}, {"url": f"{CORE}/maxValue", value: kind.high}]
        if kind.unit:
            extensions.append({"url": f"{CORE}/questionnaire-unit", "valueCoding": {"display": kind.unit}})
    elif isinstance(kind, types.Date):
        item["type"] = "date"
    elif isinstance(kind, (types.Enum, types.EnumSet)):
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": {"code": value, "display": label or value}}
            for value, label in zip(kind.values, kind.labels, strict=True)
        ]
        if isinstance(kind, types.EnumSet):
            item["repeats"] = True
            item["answerOption"].append({"valueCoding": NONE_OF_THESE})
    elif isinstance(kind, types.RecordList):
        item["type"] = "group"
        item["repeats"] = True
        item["item"] = [_item(policy, _as_fact(f), None, None) for f in kind.fields]
    else:  # a text or a code
        item["type"] = "string"
        pattern = getattr(kind, "pattern", None)
        if pattern:
            extensions.append({"url": f"{CORE}/regex", "valueString": pattern})
    if bindings is not None:
        initial = _initial(bindings, fact)
        if initial is not None:
            extensions.append(
                {
                    "url": f"{SDC}/sdc-questionnaire-initialExpression",
                    "valueExpression": {"language": "text/fhirpath", "expression": initial},
                }
            )
    if extensions:
        item = {"extension": extensions, **item}
    if guard is not None:
        item["enableWhen"] = [{"question": guard[0], "operator": "=", "answerCoding": {"code": guard[1]}}]
    return item


def _as_fact(field: types.RecordField) -> types.Fact:
    return types.Fact(field.name, field.type, field.description or field.name, (), 0)


def _initial(bindings: Bindings, fact: types.Fact) -> str | None:
    binding = bindings.of(fact.name)
    source = binding.source
    if isinstance(source, (Ask, Measured)):
        return None  # "the latest in a window" is not FHIRPath (N1); the extractor reads it
    if isinstance(source, PatientElement) and source.element == "age":
        return None  # whole years on a date: computed, not a path
    found = fhirpath.expressions(binding, fhirpath.in_variable)
    if "" in found:
        return found[""]
    if isinstance(source, (Found, OrderElement)) and found:
        return " | ".join(f"iif({test}, {fhirpath.literal(value)})" for value, test in found.items())
    return None


def _guards(policy: model.Policy) -> dict[str, tuple[str, str]]:
    """Facts that only matter under one value of an enum: every provision that reads them is
    `G == v and ...`, so with G another value they are never read."""
    guards: dict[str, set[tuple[str, str] | None]] = {}
    for provision in policy.provisions:
        if provision.condition is None or provision.children:
            continue
        guard = _guard(provision.condition)
        for name in provision.facts:
            if guard is None or name != guard[0]:
                guards.setdefault(name, set()).add(guard)
    return {name: next(iter(found)) for name, found in guards.items() if len(found) == 1 and None not in found}  # type: ignore[misc]


def _guard(condition: expr.Expr) -> tuple[str, str] | None:
    if not isinstance(condition, expr.Combine) or condition.kind != "all":
        return None
    first = condition.operands[0]
    if isinstance(first, expr.Compare) and first.op == "==" and isinstance(first.left, expr.FactRef):
        if isinstance(first.right, expr.Const) and isinstance(first.right.value, str):
            return first.left.fact, first.right.value
    return None


# -- QuestionnaireResponse -> request ------------------------------------------------------------


class BadResponse(ValueError):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def answers(policy: model.Policy, response: object) -> dict[str, Any]:
    """The facts a QuestionnaireResponse answers, by linkId, as JSON types; raises BadResponse
    naming each item that is not an answer to this policy's questionnaire.

    A history is its group item repeated, one per record; one such item with no fields says there
    are none. A set with no members is answered "none of these" (FHIR has no empty answer)."""
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise BadResponse([{"field": "resourceType", "message": "expected a QuestionnaireResponse"}])
    facts = {f.name: f for f in policy.facts}
    errors: list[dict[str, str]] = []
    grouped: dict[str, list[dict[str, Any]]] = {}
    items = response.get("item", [])
    for item in items if isinstance(items, list) else [None]:
        link = item.get("linkId") if isinstance(item, dict) else None
        if not isinstance(link, str) or link not in facts:
            errors.append({"field": str(link), "message": "not an item of this policy's questionnaire"})
            continue
        assert isinstance(item, dict)
        grouped.setdefault(link, []).append(item)
    request: dict[str, Any] = {}
    for name, found in grouped.items():
        kind = facts[name].type
        if isinstance(kind, types.RecordList):
            value: Any = _records(kind, found, name, errors)
        elif len(found) > 1:
            errors.append({"field": name, "message": "answered more than once"})
            continue
        else:
            value = _answer(kind, found[0], name, errors)
        if value is not None:
            request[name] = value
    if errors:
        raise BadResponse(errors)
    return request


def _records(kind: types.RecordList, groups: list[dict[str, Any]], where: str, errors: list[dict[str, str]]) -> Any:
    if any(_absent(group) for group in groups):
        return None
    records = []
    for group in groups:
        if not group.get("item"):
            continue  # the group answered with no fields: no records
        record: dict[str, Any] = {}
        for sub in group["item"] if isinstance(group["item"], list) else []:
            field = next((f for f in kind.fields if isinstance(sub, dict) and f.name == sub.get("linkId")), None)
            if field is None:
                errors.append({"field": where, "message": "a record's item that is not one of its fields"})
                continue
            value = _answer(field.type, sub, f"{where}.{field.name}", errors)
            if value is not None:
                record[field.name] = value
        records.append(record)
    return records


def _answer(kind: object, item: Mapping[str, Any], where: str, errors: list[dict[str, str]]) -> Any:
    given = item.get("answer")
    if given is None or _absent(item):
        return None
    if not isinstance(given, list) or not all(isinstance(a, dict) for a in given):
        errors.append({"field": where, "message": "answer is not a list of answers"})
        return None
    if any(_absent(a) for a in given):
        return None
    if isinstance(kind, types.EnumSet) and [a.get("valueCoding") for a in given] == [NONE_OF_THESE]:
        return []
    values = [_value(kind, a, where, errors) for a in given]
    if isinstance(kind, types.EnumSet):
        return None if any(v is None for v in values) else values
    if len(values) != 1:
        errors.append({"field": where, "message": "takes one answer"})
        return None
    return values[0]


def _absent(part: Mapping[str, Any]) -> bool:
    """An answer that says why there is none: 'documented elsewhere', 'asked but unknown'."""
    extensions = part.get("extension")
    if isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == DATA_ABSENT_EXTENSION for e in extensions
    ):
        return True
    coding = part.get("valueCoding")
    return isinstance(coding, dict) and coding.get("system") == DATA_ABSENT


_VALUE_KEYS: dict[type, tuple[str, ...]] = {
    types.Boolean: ("valueBoolean",),
    types.Integer: ("valueInteger",),
    types.Decimal: ("valueDecimal", "valueInteger"),
    types.Date: ("valueDate",),
    types.Enum: ("valueCoding",),
    types.EnumSet: ("valueCoding",),
    types.String: ("valueString",),
    types.Code: ("valueString", "valueCoding"),
}


def _value(kind: object, answer: Mapping[str, Any], where: str, errors: list[dict[str, str]]) -> Any:
    keys = _VALUE_KEYS.get(type(kind), ())
    key = next((k for k in keys if k in answer), None)
    if key is None:
        found = ", ".join(k for k in answer if k.startswith("value")) or "no value"
        errors.append({"field": where, "message": f"expected {' or '.join(keys)}, got {found}"})
        return None
    value = answer[key]
    if key == "valueCoding":
        value = value.get("code") if isinstance(value, dict) else None
        if not isinstance(value, str):
            errors.append({"field": where, "message": "valueCoding has no code"})
            return None
    if isinstance(value, float):  # read by a plain JSON reader: keep the digits it was written with
        value = decimal.Decimal(repr(value))
    return value
