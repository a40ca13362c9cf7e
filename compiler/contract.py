"""The contract: a policy's request and decision, described once for every target that speaks JSON.

`request(policy)` gives one `Field` per fact: the JSON value it takes and the Python value it
becomes; `decision(policy)` gives what a decision's JSON draws from. The JSON Schema, the
pydantic models, the docs' fact dictionary and the Python evaluator read these instead of the
fact types, so the knowledge of a fact kind lives here, in `field()`, and in each target's one
`match` on `Shape`, which mypy checks for exhaustiveness (`assert_never`).
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
from dataclasses import dataclass
from typing import Any, assert_never

from compiler import model


class Shape(enum.Enum):
    """What a fact's value is, in JSON and in Python: one member per fact kind."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CODE = "code"
    CODES = "codes"
    ENUM = "enum"
    SET = "set"
    DATE = "date"
    STRING = "string"
    RECORDS = "records"


# The Python type of a known value of each shape, in the evaluator.
PYTHON_TYPES = {
    Shape.BOOLEAN: "bool",
    Shape.INTEGER: "int",
    Shape.DECIMAL: "Decimal",
    Shape.CODE: "str",
    Shape.CODES: "frozenset[str]",
    Shape.ENUM: "str",
    Shape.SET: "frozenset[str]",
    Shape.DATE: "datetime.date",
    Shape.STRING: "str",
}
DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"  # then a real date of the calendar
DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True, slots=True)
class Field:
    """One fact of the request: left out or null means unknown."""

    name: str
    description: str
    sections: tuple[str, ...]  # the provisions that read it
    shape: Shape
    minimum: int | decimal.Decimal | None = None
    maximum: int | decimal.Decimal | None = None
    unit: str | None = None
    values: tuple[str, ...] = ()  # an enum's values, or those a set's members come from
    labels: tuple[str | None, ...] = ()
    pattern: str | None = None  # the whole value (an item, for a list) matches it
    code_system: str | None = None
    code_description: str | None = None  # how the system's codes look: "CPT (five characters: ...)"
    fields: tuple[Field, ...] = ()  # a record's, for a list of records
    absent: bool = False  # a request may give {"absent": true}: known not to exist

    @property
    def record_class(self) -> str:
        """The evaluator's class of one record of a list: `sessions` -> `SessionsRecord`."""
        return "".join(part.capitalize() for part in self.name.split("_")) + "Record"

    @property
    def many(self) -> bool:
        """A JSON array of distinct items, a frozenset in Python."""
        return self.shape in (Shape.CODES, Shape.SET)

    @property
    def python_type(self) -> str:
        return f"tuple[{self.record_class}, ...]" if self.shape is Shape.RECORDS else PYTHON_TYPES[self.shape]


def request(policy: model.Policy) -> tuple[Field, ...]:
    return tuple(field(fact) for fact in policy.facts)


def field(fact: model.Fact) -> Field:
    found = _field(fact.name, fact.description, fact.sections, fact.type)
    return dataclasses.replace(found, absent=True) if fact.absent else found


def _field(name: str, description: str, sections: tuple[str, ...], t: model.FactType) -> Field:
    head = (name, description, sections)
    if isinstance(t, model.Boolean):
        return Field(*head, Shape.BOOLEAN)
    if isinstance(t, model.Integer):
        return Field(*head, Shape.INTEGER, t.low, t.high, t.unit)
    if isinstance(t, model.Decimal):
        return Field(*head, Shape.DECIMAL, t.low, t.high, t.unit)
    if isinstance(t, model.Code | model.Codes):
        pattern, description = model.CODE_SYSTEMS[t.system]
        shape = Shape.CODE if isinstance(t, model.Code) else Shape.CODES
        return Field(*head, shape, pattern=pattern, code_system=t.system, code_description=description)
    if isinstance(t, model.Enum):
        return Field(*head, Shape.ENUM, values=t.values, labels=t.labels)
    if isinstance(t, model.EnumSet):
        return Field(*head, Shape.SET, values=t.values, labels=t.labels)
    if isinstance(t, model.Date):
        return Field(*head, Shape.DATE, pattern=DATE_PATTERN)
    if isinstance(t, model.String):
        return Field(*head, Shape.STRING, pattern=t.pattern)
    if isinstance(t, model.RecordList):
        fields = tuple(
            dataclasses.replace(_field(f.name, f.description or "", (), f.type), absent=f.absent) for f in t.fields
        )
        return Field(*head, Shape.RECORDS, fields=fields)
    assert_never(t)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a decision's JSON draws from."""

    policy_id: str
    outcomes: tuple[model.Outcome, ...]
    sections: tuple[str, ...]  # the sections a decision can cite
    effective_dates: tuple[str | None, ...]  # the policy's, or each revision's (None: from the start)
    explained: tuple[str, ...]  # the facts, then the computed values, that criteria show
    by_revision: bool  # the effective date is that of the revision in force on the date of service
    terms: tuple[tuple[str, tuple[model.Computed, ...]], ...]  # each outcome that carries terms, with them


def decision(policy: model.Policy) -> Decision:
    sections = [p.label for p in policy.provisions]
    dates: list[str | None] = [policy.effective.isoformat()]
    if any(r.otherwise_section == model.OTHERWISE for r in policy.revisions):
        sections.append(model.OTHERWISE)  # cited by a fallback that rests on no provision
    if policy.revision_fact is not None:
        sections.append(model.REVISION)  # cited when the date that picks the revision is unknown
        dates += [r.start.isoformat() if r.start else None for r in policy.revisions]
    return Decision(
        policy.policy_id,
        policy.outcomes,
        tuple(sections),
        tuple(dict.fromkeys(dates)),
        tuple(f.name for f in policy.facts) + tuple(v.name for v in policy.computed),
        policy.revision_fact is not None,
        tuple((o.name, o.terms) for o in policy.outcomes if o.terms),
    )


def term_schema(term: model.Computed) -> dict[str, Any]:
    """A term's value: a date (as text past 9999-12-31), or an exact number (a quotient with no end
    in decimals as the text "p/q"); null when a fact it reads is unknown."""
    schema: dict[str, Any] = {"description": term.description}
    if term.text:
        schema["type"] = ["string", "null"]
    elif term.date:
        schema.update(type=["string", "null"], pattern=anchored("-?[0-9]{4,}-[0-9]{2}-[0-9]{2}"))
    elif term.whole:
        schema["type"] = ["integer", "null"]
    else:
        schema["anyOf"] = [{"type": ["number", "null"]}, {"type": "string", "pattern": anchored("-?[0-9]+/[0-9]+")}]
    if term.unit:
        schema["x-unit"] = term.unit
    return schema


# -- The request in JSON Schema: the emitted schema and the pydantic models both say this ------------


# What a request gives for a fact or field declared `or absent` that is known not to exist.
ABSENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"absent": {"const": True}},
    "required": ["absent"],
    "additionalProperties": False,
}


def field_schema(field: Field) -> dict[str, Any]:
    """The schema of one fact's value; null is allowed, meaning unknown."""
    value = value_schema(field)
    schema: dict[str, Any] = {}
    if field.many:
        schema.update({"type": ["array", "null"], "items": value, "uniqueItems": True})
    elif field.shape is Shape.RECORDS:
        schema.update({"type": ["array", "null"], "items": value})
    elif "enum" in value:
        schema["enum"] = [*value["enum"], None]
    else:
        schema.update(value, type=[value["type"], "null"])
    if field.absent:  # or {"absent": true}: known not to exist
        schema = {"anyOf": [schema, ABSENT_SCHEMA]}
    schema = {"description": field.description, "x-policy-sections": list(field.sections), **schema}
    if field.unit:
        schema["x-unit"] = field.unit
    if field.code_system:
        schema["x-code-system"] = field.code_system
    return schema


def value_schema(field: Field) -> dict[str, Any]:
    """The schema of a known value, or of an item of a list."""
    shape = field.shape
    if shape is Shape.BOOLEAN:
        return {"type": "boolean"}
    if shape is Shape.INTEGER:
        return {"type": "integer", "minimum": field.minimum, "maximum": field.maximum}
    if shape is Shape.DECIMAL:
        assert isinstance(field.minimum, decimal.Decimal) and isinstance(field.maximum, decimal.Decimal)
        low, high = json_number(field.minimum), json_number(field.maximum)
        return {"type": "number", "minimum": low, "maximum": high, "not": not_nan(low)}
    if shape is Shape.CODE or shape is Shape.CODES or shape is Shape.STRING:
        return {"type": "string"} | ({"pattern": anchored(field.pattern)} if field.pattern is not None else {})
    if shape is Shape.ENUM or shape is Shape.SET:
        return {"enum": list(field.values)}
    if shape is Shape.DATE:
        return {"type": "string", "format": "date", "pattern": anchored(DATE_PATTERN)}
    if shape is Shape.RECORDS:  # a record: each field absent or null when unknown
        properties = {f.name: field_schema(f) for f in field.fields}
        return {"type": "object", "properties": properties, "additionalProperties": False}
    assert_never(shape)


def json_number(value: decimal.Decimal) -> int | float:
    """A decimal bound as a JSON number: written with as few digits as the policy wrote it."""
    return int(value) if value == value.to_integral_value() else float(value)


def not_nan(low: int | float) -> dict[str, Any]:
    """Refuses NaN, which Python's json reads although JSON has no such number: every real number
    at or above `minimum` fails `exclusiveMaximum`, but NaN passes it, as it passes every bound."""
    return {"type": "number", "exclusiveMaximum": low}


def anchored(pattern: str) -> str:
    """A pattern that must match the whole string, in ECMA 262 and Python alike."""
    return f"^(?:{pattern})(?![\\s\\S])"


