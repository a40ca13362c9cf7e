"""Fact types of the checked model, code systems and code sets, facts and computed values."""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field

from compiler.diagnostics import Span
from compiler.model.expr import Operand


@dataclass(frozen=True, slots=True)
class Boolean:
    kind = "boolean"


@dataclass(frozen=True, slots=True)
class Integer:
    low: int
    high: int
    unit: str | None = None
    kind = "integer"


@dataclass(frozen=True, slots=True)
class Decimal:
    """A number with a fractional part, read and computed exactly: never a binary float."""

    low: decimal.Decimal
    high: decimal.Decimal
    unit: str | None = None
    kind = "decimal"


@dataclass(frozen=True, slots=True)
class Enum:
    values: tuple[str, ...]
    labels: tuple[str | None, ...]
    kind = "enum"


@dataclass(frozen=True, slots=True)
class EnumSet:
    values: tuple[str, ...]
    labels: tuple[str | None, ...]
    kind = "set"


@dataclass(frozen=True, slots=True)
class Date:
    kind = "date"


@dataclass(frozen=True, slots=True)
class String:
    pattern: str | None
    kind = "string"


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a coding system (CPT, HCPCS, ICD10CM), such as the procedure code of a claim."""

    system: str
    kind = "code"


@dataclass(frozen=True, slots=True)
class Codes:
    """The codes a claim carries, of one coding system; may be empty."""

    system: str
    kind = "codes"


ScalarType = Boolean | Integer | Decimal | Enum | EnumSet | Date | String | Code | Codes


@dataclass(frozen=True, slots=True)
class RecordField:
    name: str
    type: ScalarType
    description: str | None
    absent: bool = False  # `or absent`: a record may say it has none ({"absent": true}), which is not unknown


@dataclass(frozen=True, slots=True)
class RecordList:
    """A history: a list of records with typed fields (a session's date, a trial's drug), each maybe unknown."""

    fields: tuple[RecordField, ...]
    kind = "list"

    def field(self, name: str) -> RecordField:
        return next(f for f in self.fields if f.name == name)

    @property
    def order(self) -> str | None:
        """The field that orders records in time, for latest and earliest: the first date field."""
        return next((f.name for f in self.fields if isinstance(f.type, Date)), None)


FactType = ScalarType | RecordList

# The form of a code in each system, as a request must give it (ICD-10-CM with its dot).
CODE_SYSTEMS: dict[str, tuple[str, str]] = {
    "CPT": ("[0-9]{4}[0-9AFMTU]", "CPT (five characters: 43497, 0213T)"),
    "HCPCS": ("[A-V][0-9]{4}", "HCPCS Level II (a letter and four digits: E0601)"),
    "ICD10CM": ("[A-TV-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?", "ICD-10-CM (G47.33, K22.0)"),
}


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A named set of codes: `exact` codes and `prefixes` (from "E10.*") that cover every code under them."""

    name: str
    system: str
    title: str
    entries: tuple[tuple[str, str | None], ...]  # as written, with their labels, for the docs
    exact: tuple[str, ...]
    prefixes: tuple[str, ...]
    line: int
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and (code in self.exact or code.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class Computed:
    """A value computed from facts, named by the policy: `bmi = weight_kg / (height_m * height_m)`."""

    name: str
    unit: str | None
    formula: str  # as written
    description: str
    facts: tuple[str, ...]
    line: int
    operand: Operand  # the formula, checked
    whole: bool  # whole numbers (or dates) only
    date: bool = False  # a date (or a date moved past the calendar's years), not a number
    text: bool = False  # a term in words: a text, or an enum fact's value ("sleep only")
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    description: str
    sections: tuple[str, ...]  # the provisions whose conditions read it, in policy order
    line: int
    absent: bool = False  # `or absent`: a request may say it is known not to exist, which is not unknown
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared

