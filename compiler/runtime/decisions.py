"""Decisions: what an evaluator returns, its JSON written fast from constant pieces, and its explanation.

Part of the evaluator runtime (see `compiler/runtime/__init__.py`). The tables at the top stand
in for the ones an evaluator defines from its policy, here those of a one-criterion policy.
"""

from __future__ import annotations

import datetime
import json
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, NamedTuple, TypeAlias

POLICY_ID: Final = "EXAMPLE-1"
TITLE: Final = "Example"
EFFECTIVE_DATE: Final = "2025-01-01"
EffectiveDate: TypeAlias = str
OUTCOMES: Final = {"approve": "The service is covered.", "deny": "The service is not covered."}
FACTS: Final = {"age": "Age in years", "bmi": "Body-mass index"}
_PROVISIONS: Final[dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "A": ("criterion", "The member is 18 or older.", ("age",)),
    "B": ("clarification", "BMI is read from the chart.", ("bmi",)),
}
_READ_BY: Final[dict[str, tuple[str, ...]]] = {"age": ("A",), "bmi": ("B",)}
_CITED_AS: Final[dict[str, str]] = {"A": "(a)"}
_CLARIFIES: Final[dict[str, str]] = {"B": "A"}
_EVALUATED: Final[tuple[tuple[str, ...], ...]] = (("A",),)
_ADVISORIES: Final[dict[str, tuple[str, ...]]] = {"approve": (), "deny": ()}
_FACT_INDEX: Final = {name: i for i, name in enumerate(FACTS)}
_ENUM_TABLES: Final[tuple[tuple[str, ...], ...]] = ()
_UNITS: Final[dict[str, str]] = {"bmi": "kg/m2"}
# The terms each outcome carries: name, the property of Facts that computes it, and its unit.
_TERMS: Final[dict[str, tuple[tuple[str, str, str | None], ...]]] = {"approve": (("review_after", "age", "years"),)}


class Facts(NamedTuple):
    age: int | None = None
    bmi: Decimal | None = None


def _facts_json(f: Facts) -> list[str]:
    return [_value_json(f.age), _value_json(f.bmi)]


# The stand-in's rules: A (age 18 or older), then B, which holds when a BMI is under 40.
def _A(f: Facts) -> bool | None:
    return None if f.age is None else f.age >= 18


def _missing_A(f: Facts) -> set[str]:
    return {"age"} if f.age is None else set()


def _B(f: Facts) -> bool | None:
    return None if f.bmi is None else f.bmi >= 40


def _missing_B(f: Facts) -> set[str]:
    return {"bmi"} if f.bmi is None else set()


_RULES: Final = ((_A, _missing_A, False), (_B, _missing_B, True))

###{classes


class Criterion(NamedTuple):
    section: str
    cited_as: str  # the policy's own label for it, or `section`
    kind: str
    wording: str
    facts: tuple[tuple[str, Any], ...]
    result: str  # met, not_met or unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "cited_as": self.cited_as,
            "kind": self.kind,
            "wording": self.wording,
            "facts": {name: _json(value) for name, value in self.facts},
            "result": self.result,
        }


# Rules of a revision: each one's provision, the unknown facts behind its value, and whether it is negated.
_Rules: TypeAlias = tuple[tuple[Callable[[Facts], bool | None], Callable[[Facts], set[str]], bool], ...]


def _after_each(rules: _Rules) -> tuple[tuple[_Rules], ...]:
    """For each rule, the rules after it: what a decision that stops there may still ask for."""
    return tuple((rules[i + 1 :],) for i in range(len(rules)))


class Decision(NamedTuple):
    policy: str
    effective_date: EffectiveDate  # the policy's, or that of the revision in force on the date of service
    outcome: str
    section: str
    missing: tuple[str, ...]  # the unknown facts that stopped the decision
    advisories: tuple[str, ...]
    evaluated: tuple[str, ...]  # the section of each provision evaluated, in order
    results: tuple[bool | None, ...]  # the value of each: True met, False not met, None unknown
    clarifications: tuple[str, ...]
    facts: Facts
    pending: tuple[_Rules, ...] = ()  # the rules after the one that stopped: what else to ask for (made on demand)
    cited: tuple[str, ...] = ()  # every provision a rule that combines several cites (else `section` alone)

    @property
    def sections(self) -> tuple[str, ...]:
        """The provisions the decision cites: its section, or each one its rule combines."""
        return self.cited or (self.section,)

    @property
    def requested(self) -> tuple[str, ...]:
        """What to ask for in one round: the missing facts, then those of each later rule that could still
        decide, in order, up to the first later rule that holds whatever they turn out to be."""
        asked = dict.fromkeys(self.missing)
        for rules in self.pending:  # one run of rules, or one for each revision when the date is unknown
            for value, missing_of, negated in rules:
                holds = value(self.facts)
                if holds is None:
                    asked.update(dict.fromkeys(sorted(missing_of(self.facts))))
                elif holds is not negated:  # it decides if those before it do not: nothing after it matters
                    break
        return tuple(asked)

    @property
    def terms(self) -> tuple[tuple[str, Any], ...]:
        """The terms its outcome carries (an approval period, a limit), computed from the facts (on demand)."""
        return tuple((name, getattr(self.facts, attribute)) for name, attribute, _ in _TERMS.get(self.outcome, ()))

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Each provision evaluated, with its wording and the facts it read (made on demand)."""
        pairs = zip(self.evaluated, self.results, strict=True)
        return tuple(_criterion(self.facts, label, value) for label, value in pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._summary(),
            "criteria": [c.to_dict() for c in self.criteria],
            "clarifications": [
                {
                    "section": label,
                    "wording": _PROVISIONS[label][1],
                    "clarifies": _CLARIFIES[label],
                    "facts": {name: _json(_given(self.facts, name)) for name in _PROVISIONS[label][2]},
                }
                for label in self.clarifications
            ],
            "terms": {name: _json(value) for name, value in self.terms},
        }

    def _summary(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "effective_date": self.effective_date,
            "outcome": self.outcome,
            "section": self.section,
            "sections": list(self.sections),
            "missing": list(self.missing),
            "requested_information": [
                {"fact": name, "description": FACTS[name], "sections": list(_READ_BY[name])}
                for name in self.requested
            ],
            "advisories": [
                {"section": label, "wording": _PROVISIONS[label][1]} for label in self.advisories
            ],
        }

    def to_json(self) -> str:
        """`json.dumps(self.to_dict(), ensure_ascii=False)`, mostly from pieces encoded once."""
        key: tuple[Any, ...] = self[:6]  # policy, effective date, outcome, section, missing, advisories
        if self.pending:  # what else to ask for depends on the facts
            key = (*key, self.requested)
        if self.cited:
            key = (*key, self.cited)
        summary = _SUMMARY_JSON.get(key)
        if summary is None:
            summary = _ENCODE(self._summary())[:-1] + ', "criteria": ['
            if len(_SUMMARY_JSON) < 4096:  # a policy has few ways to decide; never grow without bound
                _SUMMARY_JSON[key] = summary
        terms = _terms_json(self.terms) if self.outcome in _TERMS else '"terms": {}}'
        if not self.results and not self.clarifications:
            return summary + '], "clarifications": [], ' + terms
        facts = _facts_json(self.facts)
        criteria = _criteria_json(self, facts) if self.results else ""
        clarifications = ", ".join([_clarification_json(label, facts) for label in self.clarifications])
        return "".join((summary, criteria, '], "clarifications": [', clarifications, "], ", terms))

###}
###{decisions
_RESULTS: Final = {True: "met", False: "not_met", None: "unknown"}


class _Absent:
    """A fact or field the request says does not exist (`{"absent": true}`), as explanations show it."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


def _given(f: Facts, name: str) -> Any:
    """A fact as the request gave it: its value, None when unknown, or ABSENT."""
    value = getattr(f, name)
    return ABSENT if value is None and name in getattr(f, "absent", ()) else value


def _criterion(f: Facts, label: str, value: bool | None) -> Criterion:
    kind, wording, names = _PROVISIONS[label]
    facts = tuple((name, _given(f, name)) for name in names)
    return Criterion(label, _CITED_AS.get(label, label), kind, wording, facts, _RESULTS[value])


def _decision(
    f: Facts,
    outcome: str,
    section: str,
    missing: set[str],
    evaluated: tuple[str, ...],
    results: list[bool | None],
    clarifications: tuple[str, ...],
    effective_date: EffectiveDate = EFFECTIVE_DATE,
    pending: tuple[_Rules, ...] = (),
    cited: tuple[str, ...] = (),
) -> Decision:
    return Decision(
        POLICY_ID,
        effective_date,
        outcome,
        section,
        tuple(sorted(missing)) if missing else (),
        _ADVISORIES[outcome],
        evaluated,
        tuple(results),
        clarifications,
        f,
        pending,
        cited,
    )


# -- JSON, fast: each decision is mostly policy text that never changes ------------------

_ENCODE: Final = json.JSONEncoder(ensure_ascii=False).encode
_SUMMARY_JSON: dict[tuple[Any, ...], str] = {}  # filled as decisions are encoded
_KEY_JSON: Final = {name: _ENCODE(name) + ": " for name in FACTS}
_CLARIFICATION_HEAD: Final = {
    label: _ENCODE({"section": label, "wording": _PROVISIONS[label][1], "clarifies": clarified})[:-1]
    + ', "facts": {'
    for label, clarified in _CLARIFIES.items()
}
_STRING_JSON: Final[dict[str, str]] = {value: _ENCODE(value) for values in _ENUM_TABLES for value in values}


def _value_json(value: Any) -> str:
###{?decimals
    if isinstance(value, Decimal):
        return str(value)  # exact, as a JSON number
###}
    return _ENCODE(_json(value))
###{?list


def _records_json(records: tuple[Any, ...]) -> str:
    """A list of records as JSON: each record an object of its fields, exact numbers as written, and
    {"absent": true} for a field the record says it has none of."""
    objects = []
    for r in records:
        fields = r._asdict()
        absent = fields.pop("absent", ())
        objects.append(
            ", ".join(f"{_ENCODE(k)}: {_ABSENT_JSON if k in absent else _value_json(v)}" for k, v in fields.items())
        )
    return "[" + ", ".join("{" + o + "}" for o in objects) + "]"


_ABSENT_JSON: Final = '{"absent": true}'
###}


def _terms_json(terms: tuple[tuple[str, Any], ...]) -> str:
    return '"terms": {' + ", ".join(f"{_ENCODE(name)}: {_value_json(value)}" for name, value in terms) + "}}"


def _set_json(values: frozenset[str]) -> str:
    return "[" + ", ".join([_STRING_JSON.get(v) or _ENCODE(v) for v in sorted(values)]) + "]" if values else "[]"


def _criteria_form(labels: tuple[str, ...]) -> tuple[list[str], Callable[[list[str]], tuple[str, ...]]]:
    """These criteria's JSON as its constant pieces with a slot after each, to fill with `pick(values)`,
    where `values` is the JSON of each fact followed by the JSON of each criterion's result."""
    pieces, picks = [""], []
    for i, label in enumerate(labels):
        kind, wording, names = _PROVISIONS[label]
        head = {"section": label, "cited_as": _CITED_AS.get(label, label), "kind": kind, "wording": wording}
        pieces[-1] += (", " if i else "") + _ENCODE(head)[:-1]
        pieces[-1] += ', "facts": {'
        for j, name in enumerate(names):
            pieces[-1] += (", " if j else "") + _ENCODE(name) + ": "
            pieces.append("")
            picks.append(_FACT_INDEX[name])
        pieces[-1] += '}, "result": '
        pieces.append("}")
        picks.append(len(_FACT_INDEX) + i)
    form = [""] * (2 * len(pieces) - 1)
    form[0::2] = pieces  # joining is faster than %-formatting a long string
    if len(picks) == 1:  # itemgetter of one index gives the item, not a tuple
        return form, lambda values: (values[picks[0]],)
    return form, operator.itemgetter(*picks)


# Keyed by the provisions a decision lists, in order: one list for each rule `decide` can stop at.
_CRITERIA_FORMS: Final = {labels: _criteria_form(labels) for labels in _EVALUATED}
_RESULT_NAME_JSON: Final = {value: _ENCODE(result) for value, result in _RESULTS.items()}


def _criteria_json(decision: Decision, facts: list[str]) -> str:
    form = _CRITERIA_FORMS.get(decision.evaluated)  # `decide` passes these very tuples: found at once
    if form is None or len(decision.results) != len(decision.evaluated):  # not made by `decide`
        return ", ".join(_criterion_json(c) for c in decision.criteria)
    pieces, pick = form
    parts = pieces[:]
    parts[1::2] = pick(facts + list(map(_RESULT_NAME_JSON.__getitem__, decision.results)))
    return "".join(parts)


def _criterion_json(c: Criterion) -> str:
    head = _ENCODE({"section": c.section, "cited_as": c.cited_as, "kind": c.kind, "wording": c.wording})[:-1]
    facts = ", ".join([_ENCODE(name) + ": " + _value_json(value) for name, value in c.facts])
    return "".join((head, ', "facts": {', facts, '}, "result": ', _ENCODE(c.result), "}"))


def _clarification_json(label: str, facts: list[str]) -> str:
    read = ", ".join([_KEY_JSON[name] + facts[_FACT_INDEX[name]] for name in _PROVISIONS[label][2]])
    return _CLARIFICATION_HEAD[label] + read + "}}"


def _json(value: Any) -> Any:
    """A value for JSON: dates as text, sets as sorted lists; decimals stay exact (`to_json` writes their digits)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if value is ABSENT:
        return {"absent": True}
###{?list
    if isinstance(value, tuple):  # a list of records, each field as given
        return [{k: _json(_given(r, k)) for k in r._fields if k != "absent"} for r in value]
###}
###{?quotients
    if isinstance(value, Fraction):
        return str(value)  # an exact quotient with no end in decimals: "625/18"
###}
    return value


# -- Explanation for a person -------------------------------------------------------------


def explain(decision: Decision) -> str:
    """The decision as text: outcome, deciding section, criteria with wording and facts."""
    lines = [
        f"{POLICY_ID} {TITLE} (effective {EFFECTIVE_DATE})",
        f"Outcome: {decision.outcome} (decided by {', '.join(decision.sections)})",
        f"  {OUTCOMES[decision.outcome]}",
    ]
    if decision.requested:
        lines.append("Information needed:")
        for name in decision.requested:
            lines.append(f"  - {name}: {FACTS[name]} (read by {', '.join(_READ_BY[name])})")
    if decision.criteria:
        lines.append("Criteria:")
        for c in decision.criteria:
            cited = f" ({c.cited_as})" if c.cited_as != c.section else ""
            lines.append(f"  [{c.result.replace('_', ' ')}] {c.section}{cited}: {c.wording}")
            facts = ", ".join(_shown(name, value) for name, value in c.facts)
            lines.append(f"      facts: {facts}")
    if decision.terms:
        lines.append("Terms:")
        for (name, _, unit), (_, value) in zip(_TERMS[decision.outcome], decision.terms, strict=True):
            lines.append(f"  {name} = {_show(value)}" + (f" {unit}" if unit and value is not None else ""))
    for label in decision.advisories:
        lines.append(f"Advisory {label}: {_PROVISIONS[label][1]}")
    for label in decision.clarifications:
        facts = ", ".join(_shown(name, _given(decision.facts, name)) for name in _PROVISIONS[label][2])
        lines.append(f"Considered {label}: {_PROVISIONS[label][1]}")
        lines.append(f"      facts: {facts}")
    return "\n".join(lines)


def _shown(name: str, value: Any) -> str:
    """`bmi = 35 kg/m2`: a fact or computed value, exactly, with its unit."""
    unit = _UNITS.get(name) if value is not None and value is not ABSENT else None
    return f"{name} = {_show(value)}" + (f" {unit}" if unit else "")


def _show(value: Any) -> str:
    if value is None or value is ABSENT:
        return "unknown" if value is None else "absent"
###{?decimals ?quotients
    if isinstance(value, Decimal):
        return str(value)
###}
###{?quotients
    if isinstance(value, Fraction):
        return str(value)
###}
    return json.dumps(_json(value), ensure_ascii=False)
###}
