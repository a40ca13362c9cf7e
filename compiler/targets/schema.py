"""The JSON Schema target: `model.Policy` -> draft 2020-12 schemas of the request and the decision.

The request schema accepts exactly the requests the generated evaluator's
`validate` accepts (tests/targets/test_schema.py holds the two, and the
pydantic models, to that). Patterns are anchored with `^(?:...)(?![\\s\\S])`
rather than `$`, because `$` also matches before a final newline in Python's
`re`, which jsonschema uses.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from compiler import contract, model
from compiler.targets.shared import Built, Files, schema_id


def emit(policy: model.Policy, built: Built) -> Files:
    directory = PurePosixPath("schema")
    return {
        directory / f"{policy.policy_id}.request.schema.json": dump(request_schema(policy)),
        directory / f"{policy.policy_id}.decision.schema.json": dump(decision_schema(policy)),
    }


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def request_schema(policy: model.Policy) -> dict[str, Any]:
    return {
        "$schema": contract.DRAFT,
        "$id": schema_id(policy.policy_id, "request"),
        "title": f"{policy.policy_id} request: {policy.title}",
        "description": (
            f"The facts of one request to the {policy.policy_id} evaluator (effective "
            f"{policy.effective.isoformat()}). A fact that is absent or null is unknown; "
            "any other key is an error."
        ),
        "type": "object",
        "properties": {field.name: contract.field_schema(field) for field in contract.request(policy)},
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def decision_schema(policy: model.Policy) -> dict[str, Any]:
    spec = contract.decision(policy)
    facts, labels = list(spec.explained), list(spec.sections)  # criteria show computed values too
    fact_values = {"type": "object", "propertyNames": {"enum": facts}}
    return {
        "$schema": contract.DRAFT,
        "$id": schema_id(policy.policy_id, "decision"),
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
                    if not spec.by_revision
                    else {
                        "description": "The effective date of the revision in force on the date of service "
                        "(null: the earliest revision, in force from the start).",
                        "enum": list(spec.effective_dates),
                    }
                ),
                "outcome": {
                    "description": "; ".join(f"{o.name}: {o.description}" for o in spec.outcomes),
                    "enum": [o.name for o in spec.outcomes],
                },
                "section": {"description": "The provision that decided (a rule's first).", "enum": labels},
                "sections": {
                    "description": "Every provision the decision cites: its section, or each one its rule combines.",
                    "type": "array",
                    "items": {"enum": labels},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "missing": {
                    "description": "The unknown facts that block the decision, sorted.",
                    "type": "array",
                    "items": {"enum": facts},
                    "uniqueItems": True,
                },
                "requested_information": {
                    "description": (
                        "What to ask for, in one round: the missing facts, then every fact that a later rule "
                        "that could still decide reads, in the order of the rules; each with its description "
                        "and the sections that read it."
                    ),
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
                            "cited_as": {
                                "type": "string",
                                "description": "The policy's own label for the provision, or its section.",
                            },
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
                "terms": {
                    "description": "The terms the outcome carries (an approval period, a limit): "
                    + ("; ".join(f"{o}: {', '.join(t.name for t in ts)}" for o, ts in spec.terms) or "none"),
                    "type": "object",
                },
            }
        ),
        # Each outcome carries exactly its own terms.
        "allOf": [
            {
                "if": {"properties": {"outcome": {"const": o.name}}},
                "then": {"properties": {"terms": _object({t.name: contract.term_schema(t) for t in o.terms})}},
            }
            for o in spec.outcomes
        ],
    }
