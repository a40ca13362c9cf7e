"""The JSON Schema target: `model.Policy` -> draft 2020-12 schemas of the request and the decision.

The request schema accepts exactly the requests the generated evaluator's
`validate` accepts (tests/targets/test_schema.py holds the two, and the
pydantic models, to that). Patterns are anchored with `^(?:...)(?![\\s\\S])`
rather than `$`, because `$` also matches before a final newline in Python's
`re`, which jsonschema uses.
"""

from __future__ import annotations

import decimal
import json
from pathlib import PurePosixPath
from typing import Any

from compiler import model

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?![\\s\\S])"


def anchored(pattern: str) -> str:
    """A pattern that must match the whole string, in ECMA 262 and Python alike."""
    return f"^(?:{pattern})(?![\\s\\S])"


def schema_id(policy: model.Policy, kind: str) -> str:
    return f"urn:policyc:{policy.policy_id}:{kind}"


def emit(policy: model.Policy) -> dict[PurePosixPath, str]:
    directory = PurePosixPath("schema")
    return {
        directory / f"{policy.policy_id}.request.schema.json": dump(request_schema(policy)),
        directory / f"{policy.policy_id}.decision.schema.json": dump(decision_schema(policy)),
    }


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def effective_dates(policy: model.Policy) -> list[str | None]:
    """The effective dates a decision can report: the policy's, or that of each revision (None: from the start)."""
    dates: list[str | None] = [policy.effective.isoformat()]
    if policy.revision_fact is not None:
        dates += [r.start.isoformat() if r.start else None for r in policy.revisions]
    return list(dict.fromkeys(dates))


def section_labels(policy: model.Policy) -> list[str]:
    """The sections a decision can cite; `revision` when the date that picks the revision is unknown."""
    labels = [p.label for p in policy.provisions]
    return labels + [model.REVISION] if policy.revision_fact is not None else labels


def fact_schema(fact: model.Fact) -> dict[str, Any]:
    """The schema of one fact's value; null is allowed, meaning unknown."""
    t = fact.type
    schema: dict[str, Any] = {"description": fact.description, "x-policy-sections": list(fact.sections)}
    if isinstance(t, model.Boolean):
        schema["type"] = ["boolean", "null"]
    elif isinstance(t, model.Integer):
        schema.update({"type": ["integer", "null"], "minimum": t.low, "maximum": t.high})
        if t.unit:
            schema["x-unit"] = t.unit
    elif isinstance(t, model.Decimal):
        low, high = json_number(t.low), json_number(t.high)
        schema.update({"type": ["number", "null"], "minimum": low, "maximum": high, "not": not_nan(low)})
        if t.unit:
            schema["x-unit"] = t.unit
    elif isinstance(t, model.Code):
        schema.update({"type": ["string", "null"], "pattern": anchored(model.CODE_SYSTEMS[t.system][0])})
        schema["x-code-system"] = t.system
    elif isinstance(t, model.Codes):
        item = {"type": "string", "pattern": anchored(model.CODE_SYSTEMS[t.system][0])}
        schema.update({"type": ["array", "null"], "items": item, "uniqueItems": True, "x-code-system": t.system})
    elif isinstance(t, model.Enum):
        schema["enum"] = [*t.values, None]
    elif isinstance(t, model.EnumSet):
        schema.update({"type": ["array", "null"], "items": {"enum": list(t.values)}, "uniqueItems": True})
    elif isinstance(t, model.Date):
        schema.update({"type": ["string", "null"], "format": "date", "pattern": DATE_PATTERN})
    elif isinstance(t, model.String):
        schema["type"] = ["string", "null"]
        if t.pattern is not None:
            schema["pattern"] = anchored(t.pattern)
    else:
        raise TypeError(f"unhandled fact type {type(t).__name__}")
    return schema


def json_number(value: decimal.Decimal) -> int | float:
    """A decimal bound as a JSON number: written with as few digits as the policy wrote it."""
    return int(value) if value == value.to_integral_value() else float(value)


def not_nan(low: int | float) -> dict[str, Any]:
    """Refuses NaN, which Python's json reads although JSON has no such number: every real number
    at or above `minimum` fails `exclusiveMaximum`, but NaN passes it, as it passes every bound."""
    return {"type": "number", "exclusiveMaximum": low}


def request_schema(policy: model.Policy) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": schema_id(policy, "request"),
        "title": f"{policy.policy_id} request: {policy.title}",
        "description": (
            f"The facts of one request to the {policy.policy_id} evaluator (effective "
            f"{policy.effective.isoformat()}). A fact that is absent or null is unknown; "
            "any other key is an error."
        ),
        "type": "object",
        "properties": {fact.name: fact_schema(fact) for fact in policy.facts},
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def decision_schema(policy: model.Policy) -> dict[str, Any]:
    facts = [f.name for f in policy.facts] + [v.name for v in policy.computed]  # criteria show values too
    labels = section_labels(policy)
    fact_values = {"type": "object", "propertyNames": {"enum": facts}}
    return {
        "$schema": DRAFT,
        "$id": schema_id(policy, "decision"),
        "title": f"{policy.policy_id} decision: {policy.title}",
        "description": (
            f"What the {policy.policy_id} evaluator decides for a valid request, with the policy's own "
            "sections and wording."
        ),
        **_object(
            {
                "policy": {"const": policy.policy_id},
                "effective_date": (
                    {"const": policy.effective.isoformat(), "format": "date"}
                    if policy.revision_fact is None
                    else {
                        "description": "The effective date of the revision in force on the date of service "
                        "(null: the earliest revision, in force from the start).",
                        "enum": effective_dates(policy),
                    }
                ),
                "outcome": {
                    "description": "; ".join(f"{o.name}: {o.description}" for o in policy.outcomes),
                    "enum": [o.name for o in policy.outcomes],
                },
                "section": {"description": "The provision that decided.", "enum": labels},
                "missing": {
                    "description": "The unknown facts that block the decision, sorted.",
                    "type": "array",
                    "items": {"enum": facts},
                    "uniqueItems": True,
                },
                "requested_information": {
                    "description": "What to ask for: each missing fact, its description and the sections that read it.",
                    "type": "array",
                    "items": _object(
                        {
                            "fact": {"enum": facts},
                            "description": {"type": "string"},
                            "sections": {"type": "array", "items": {"enum": labels}},
                        }
                    ),
                },
                "advisories": {
                    "type": "array",
                    "items": _object({"section": {"enum": labels}, "wording": {"type": "string"}}),
                },
                "criteria": {
                    "description": "Each provision evaluated, in order, with the facts it read.",
                    "type": "array",
                    "items": _object(
                        {
                            "section": {"enum": labels},
                            "kind": {"type": "string"},
                            "wording": {"type": "string"},
                            "facts": fact_values,
                            "result": {"enum": ["met", "not_met", "unknown"]},
                        }
                    ),
                },
                "clarifications": {
                    "type": "array",
                    "items": _object(
                        {
                            "section": {"enum": labels},
                            "wording": {"type": "string"},
                            "clarifies": {"enum": labels},
                            "facts": fact_values,
                        }
                    ),
                },
            }
        ),
    }
