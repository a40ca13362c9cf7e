"""The reference interpreter: decides a request by walking a `model.Policy`.

It is written for clarity, not speed, and shares no code with the generated
evaluators: the tests hold the two against each other on many requests, so a
bug in either shows up as a disagreement. Its decisions are plain dicts in the
same JSON shape as the generated `Decision.to_dict()`.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, assert_never

from compiler import model
from compiler.diagnostics import Diagnostic, Span, error

Truth = bool | None  # Kleene: True, False or None for unknown


class _Absent:
    """A fact or field the request says does not exist: known, yet with no value to read."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class InvalidRequest(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = sorted(errors)
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.errors))


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def quote(text: str) -> str:
    return '"' + (text if len(text) <= 40 else text[:40] + "...") + '"'


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_PLACES = 100  # digits after the decimal point of a decimal fact (an input limit, documented)


def exact_number(value: object) -> decimal.Decimal | None:
    """A JSON number's exact value: a float by its shortest decimal form (what its writer wrote).

    None for what is not a finite number (booleans, NaN, infinities, strings, ...).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return decimal.Decimal(repr(value))
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return value
    return None


def _shown_type(value: object) -> str:
    """The JSON type of a value, naming NaN and the infinities, which JSON has no number for."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "an infinity"
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return "NaN" if value.is_nan() else "an infinity"
    return json_type(value)


def validate(policy: model.Policy, request: object) -> dict[str, Any]:
    """The request's facts, typed (dates as dates, sets as frozensets); unknown facts are None."""
    return validate_facts(policy.facts, request)


def validate_facts(declared: Sequence[model.Fact], request: object) -> dict[str, Any]:
    """`validate` against the declarations alone: the checker validates examples with it even
    when the rest of the policy has errors."""
    if not isinstance(request, Mapping):
        raise InvalidRequest([("$", f"expected a JSON object, got {json_type(request)}")])
    errors: list[tuple[str, str]] = []
    names = [f.name for f in declared]
    for key in request:
        if not isinstance(key, str) or key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {quote(close[0])}?)" if close else ""
            errors.append((str(key), "not a fact of this policy" + hint))
    facts: dict[str, Any] = {}
    for fact in declared:
        facts[fact.name] = _validate_given(fact.type, fact.absent, fact.name, request.get(fact.name), errors)
    if errors:
        raise InvalidRequest(errors)
    return facts


def _records(t: model.RecordList, name: str, value: object, errors: list[tuple[str, str]]) -> Any:
    """A list of records: each a JSON object of the list's fields, any of them left out or null (unknown)."""
    if not isinstance(value, (list, tuple)):
        errors.append((name, f"expected an array of objects, got {json_type(value)}"))
        return None
    fields = {f.name for f in t.fields}
    records = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            errors.append((where, f"expected an object, got {json_type(item)}"))
            continue
        errors.extend((f"{where}.{key}", "not a field of these records") for key in item if key not in fields)
        records.append(
            {f.name: _validate_given(f.type, f.absent, f"{where}.{f.name}", item.get(f.name), errors) for f in t.fields}
        )
    return tuple(records)


def _validate_given(
    t: model.FactType, may_be_absent: bool, name: str, value: object, errors: list[tuple[str, str]]
) -> Any:
    """A fact's or field's value: None when unknown, ABSENT when the request says it does not exist."""
    if value is None:
        return None
    if isinstance(value, Mapping) and "absent" in value:
        if len(value) != 1 or value["absent"] is not True:
            errors.append((name, 'an absent value is written {"absent": true}'))
        elif not may_be_absent:
            errors.append((name, "cannot be absent: the policy gives no meaning to its absence"))
        else:
            return ABSENT
        return None
    return _validate_value(t, name, value, errors)


def _validate_value(t: model.FactType, name: str, value: object, errors: list[tuple[str, str]]) -> Any:
    got = json_type(value)
    if isinstance(t, model.Boolean):
        if isinstance(value, bool):
            return value
        errors.append((name, f"expected true or false, got {got}"))
    elif isinstance(t, model.Integer):
        number = exact_number(value)
        if number is None:
            errors.append((name, f"expected an integer, got {_shown_type(value)}"))
        elif number != number.to_integral_value():  # JSON does not tell 6.0 from 6; JSON Schema calls both integers
            errors.append((name, f"expected an integer, got {got}"))
        elif t.low <= number <= t.high:
            return int(number)
        else:
            errors.append((name, f"must be an integer from {t.low} to {t.high}"))
    elif isinstance(t, model.Decimal):
        number = exact_number(value)
        if number is None:
            errors.append((name, f"expected a number, got {_shown_type(value)}"))
        elif not t.low <= number <= t.high:
            errors.append((name, f"must be a number from {t.low} to {t.high}"))
        elif number.as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]  # finite: an int
            errors.append((name, f"has more than {MAX_PLACES} digits after the decimal point"))
        else:
            return number
    elif isinstance(t, (model.Code, model.Codes)):
        pattern, description = model.CODE_SYSTEMS[t.system]
        items = [value] if isinstance(t, model.Code) else value
        if not isinstance(items, (list, tuple)):
            errors.append((name, f"expected an array, got {got}"))
            return None
        codes: set[str] = set()
        for i, item in enumerate(items):
            field = name if isinstance(t, model.Code) else f"{name}[{i}]"
            if not isinstance(item, str):
                errors.append((field, f"expected a string, got {json_type(item)}"))
            elif not re.fullmatch(pattern, item):
                system = description.split(" (")[0]
                article = "an" if system[0] in "AEFHILMNORSX" else "a"  # an ICD-10-CM, a CPT: as said aloud
                errors.append((field, f"{quote(item)} is not {article} {system} code"))
            elif item in codes:
                errors.append((field, f"{quote(item)} is repeated"))
            else:
                codes.add(item)
        if isinstance(t, model.Code):
            return value if codes else None
        return frozenset(codes)
    elif isinstance(t, model.Enum):
        if not isinstance(value, str):
            errors.append((name, f"expected a string, got {got}"))
        elif value in t.values:
            return value
        else:
            errors.append((name, f"{quote(value)} is not one of: {', '.join(t.values)}"))
    elif isinstance(t, model.EnumSet):
        if not isinstance(value, (list, tuple)):
            errors.append((name, f"expected an array, got {got}"))
            return None
        seen: set[str] = set()
        for i, item in enumerate(value):
            field = f"{name}[{i}]"
            if not isinstance(item, str):
                errors.append((field, f"expected a string, got {json_type(item)}"))
            elif item not in t.values:
                errors.append((field, f"{quote(item)} is not one of: {', '.join(t.values)}"))
            elif item in seen:
                errors.append((field, f"{quote(item)} is repeated"))
            else:
                seen.add(item)
        return frozenset(seen)
    elif isinstance(t, model.Date):
        if not isinstance(value, str):
            errors.append((name, f"expected a date string YYYY-MM-DD, got {got}"))
        elif not _DATE.fullmatch(value):
            errors.append((name, f"{quote(value)} is not a date in the form YYYY-MM-DD"))
        else:
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                errors.append((name, f"{quote(value)} is not a real date"))
    elif isinstance(t, model.String):
        if not isinstance(value, str):
            errors.append((name, f"expected a string, got {got}"))
        elif t.pattern is not None and not re.fullmatch(t.pattern, value):
            errors.append((name, f"{quote(value)} does not match {t.pattern}"))
        else:
            return value
    elif isinstance(t, model.RecordList):
        return _records(t, name, value, errors)
    else:
        assert_never(t)
    return None


class Evaluation:
    """Kleene values of expressions over one request's facts."""

    def __init__(self, policy: model.Policy, facts: dict[str, Any], bound: Mapping[str, Any] | None = None) -> None:
        self.policy = policy
        self.facts = facts
        self.bound = bound or {}  # the records that quantifiers name, by name

    def each(self, records: model.Records) -> list[tuple[Evaluation, Truth]] | None:
        """For each record of a list, the evaluation with it named and whether it is selected; None if unknown."""
        found = self.facts[records.fact]
        if found is None:
            return None
        result = []
        for record in found:
            inner = Evaluation(self.policy, self.facts, {**self.bound, records.record: record})
            result.append((inner, True if records.where is None else inner.value(records.where)))
        return result

    def value(self, expr: model.Expr) -> Truth:
        return _Truth(self).visit(expr)

    def given(self, ref: model.FactRef | model.FieldRef) -> Any:
        """What the request gives for a fact or field: a value, ABSENT, or None (unknown)."""
        return self.facts[ref.fact] if isinstance(ref, model.FactRef) else self.bound[ref.record][ref.name]

    def operand(self, operand: model.Operand) -> Any:
        """The value of an operand; None (unknown) when any fact it reads is unknown."""
        return _Value(self).visit(operand)

    def computed(self, value: model.Computed) -> Any:
        """A computed value as explanations show it: a moved date as a date, or its text past year 9999."""
        result = self.operand(value.operand)
        operand = value.operand
        while isinstance(operand, model.ValueRef | model.Aggregate):
            if isinstance(operand, model.Aggregate):  # a date of a record, or the fallback, moved
                if operand.fallback is None or isinstance(result, datetime.date):
                    break
                operand = operand.fallback
            else:
                operand = operand.operand
        if model.shifts(operand) and isinstance(result, int):
            in_range = 1 <= result <= datetime.date.max.toordinal()
            return datetime.date.fromordinal(result) if in_range else calendar_text(result)
        return result

    def missing(self, expr: model.Expr) -> set[str]:
        """The unknown facts that make an unknown expression unknown."""
        if isinstance(expr, model.ProvisionRef):
            condition = self.policy.provision(expr.label).condition
            assert condition is not None
            return self.missing(condition)
        if isinstance(expr, model.Not):
            return self.missing(expr.operand)
        if isinstance(expr, model.Combine):
            found: set[str] = set()
            for operand in expr.operands:
                if self.value(operand) is None:
                    found |= self.missing(operand)
            return found
        unknown = {f for f in model.facts_read(expr) if self.facts[f] is None}
        # Known facts, yet unknown: a record's field is; what is asked for is each list, complete,
        # that an unknown quantifier or aggregate reads.
        return unknown or {
            r.records.fact for node in model.outermost_records(expr) if self.operand_or_value(node) is None
            for r in model.records_read(node)
        }  # fmt: skip

    def operand_or_value(self, node: model.Quantify | model.Aggregate) -> Any:
        return self.value(node) if isinstance(node, model.Quantify) else self.operand(node)


# Dates moved by a duration are day numbers (date.toordinal(): 0001-01-01 is 1), which run past
# either end of datetime.date's years. The Gregorian calendar repeats every 400 years, so a date
# of any year is found by moving it into datetime's range by whole cycles.
_CYCLE_DAYS = 146097  # the days of 400 Gregorian years
Day = datetime.date | int  # a date, or a day number


def day_number(day: Day) -> int:
    return day if isinstance(day, int) else day.toordinal()


def _number_of(year: int, month: int, day: int) -> int:
    cycles, year = divmod(year - 1, 400)
    return datetime.date(year + 1, month, day).toordinal() + cycles * _CYCLE_DAYS


def _parts(day: Day) -> tuple[int, int, int]:
    if isinstance(day, datetime.date):
        return day.year, day.month, day.day
    cycles, rest = divmod(day - 1, _CYCLE_DAYS)
    found = datetime.date.fromordinal(rest + 1)
    return found.year + 400 * cycles, found.month, found.day


def shift_months(day: Day, months: int) -> int:
    """The same day of the month, `months` later (or earlier); the 31st becomes the month's last day."""
    year, month, date = _parts(day)
    year, month = divmod(year * 12 + month - 1 + months, 12)
    first, following = _number_of(year, month + 1, 1), _number_of(year + (month == 11), (month + 1) % 12 + 1, 1)
    return first + min(date, following - first) - 1


def months_between(start: Day, end: Day) -> int:
    """Whole calendar months from start to end (negative when end is earlier)."""
    if day_number(end) < day_number(start):
        return -months_between(end, start)
    (start_year, start_month, _), (end_year, end_month, _) = _parts(start), _parts(end)
    months = (end_year - start_year) * 12 + end_month - start_month
    return months if shift_months(start, months) <= day_number(end) else months - 1


def _order(value: Any) -> Fraction:
    """Dates (as day numbers, as moved dates are) and numbers, in one exact order."""
    return Fraction(day_number(value) if isinstance(value, datetime.date) else value)


def calendar_text(number: int) -> str:
    year, month, day = _parts(number)
    return f"{year:04d}-{month:02d}-{day:02d}"


def to_json(value: Any) -> Any:
    """A fact's or computed value's JSON; an exact quotient with no end in decimals is the string "p/q"."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):  # a list of records
        return [{k: to_json(v) for k, v in record.items()} for record in value]
    if value is ABSENT:
        return {"absent": True}
    if isinstance(value, Fraction):
        exact = model.finite_decimal(value)
        return exact if exact is not None else f"{value.numerator}/{value.denominator}"
    return value


def evaluate(policy: model.Policy, request: object) -> dict[str, Any]:
    facts = validate(policy, request)
    ev = Evaluation(policy, facts)
    criteria: list[dict[str, Any]] = []
    evaluated: list[str] = []

    def explain(rule: model.Rule) -> None:
        for p in policy.rule_explained(rule):
            assert p.condition is not None
            value = ev.value(p.condition)
            evaluated.append(p.label)
            criteria.append(
                {
                    "section": p.label,
                    "cited_as": p.citation,
                    "kind": p.kind,
                    "wording": p.wording,
                    "facts": {
                        **{f: to_json(facts[f]) for f in p.facts},
                        **{v: to_json(ev.computed(policy.value(v))) for v in p.values},
                    },
                    "result": {True: "met", False: "not_met", None: "unknown"}[value],
                }
            )

    revision: model.Revision | None = policy.revisions[0]
    effective: str | None = policy.effective.isoformat()
    outcome, section, missing = policy.unknown, model.REVISION, set()
    requested: dict[str, None] = {}
    if policy.revision_fact is not None:
        day = facts[policy.revision_fact]
        revision = None if day is None else policy.revision_on(day)
        if revision is None:  # the date that picks the revision is unknown (revisions cover every day)
            missing = {policy.revision_fact}
            requested = dict.fromkeys(sorted(missing))
            for each in policy.revisions:  # then what each revision would ask for
                requested.update(_still_open(ev, each.rules))
        else:
            effective = revision.start.isoformat() if revision.start else None
    if revision is not None:
        outcome, section = revision.otherwise, revision.otherwise_section
        cited: tuple[str, ...] = (section,)
        for position, rule in enumerate(revision.rules):
            explain(rule)
            value = ev.value(rule.condition)
            if value is None:
                outcome, section, missing = policy.unknown, rule.section, ev.missing(rule.condition)
                cited = rule.cited
                requested = dict.fromkeys(sorted(missing))
                requested.update(_still_open(ev, revision.rules[position + 1 :]))
                break
            if value:
                outcome, section, cited = rule.outcome, rule.section, rule.cited
                break

    return {
        "policy": policy.policy_id,
        "effective_date": effective,
        "outcome": outcome,
        "section": section,
        "sections": list(cited if revision is not None else (section,)),
        "missing": sorted(missing),
        "requested_information": [
            {"fact": name, "description": policy.fact(name).description, "sections": list(policy.fact(name).sections)}
            for name in requested
        ],
        "advisories": [
            {"section": label, "wording": policy.provision(label).wording}
            for label in policy.outcome(outcome).advisories
        ],
        "criteria": criteria,
        "clarifications": [
            {
                "section": p.label,
                "wording": p.wording,
                "clarifies": p.clarifies,
                "facts": {f: to_json(facts[f]) for f in p.facts},
            }
            for p in policy.provisions
            if p.kind == "clarification" and p.clarifies in evaluated
        ],
        "terms": {term.name: to_json(ev.computed(term)) for term in policy.outcome(outcome).terms},
    }


def _still_open(ev: Evaluation, rules: tuple[model.Rule, ...]) -> dict[str, None]:
    """The unknown facts of each rule that is still unknown, in order, until one that holds as it is."""
    found: dict[str, None] = {}
    for rule in rules:
        value = ev.value(rule.condition)
        if value is None:
            found.update(dict.fromkeys(sorted(ev.missing(rule.condition))))
        elif value:
            break
    return found


def verify_examples(policy: model.Policy, file: str) -> list[Diagnostic]:
    """Each example that is a valid request must be decided as its author expects."""
    found: list[Diagnostic] = []
    for example in policy.examples:
        span = example.span or Span(file, example.line, 1, example.line, 1)
        try:
            decision = evaluate(policy, example.request)
        except InvalidRequest:
            continue  # the checker reports it, at each field (E602)
        if example.expect is not None and decision["outcome"] != example.expect:
            message = (
                f"example '{example.title}' expects {example.expect}, "
                f"but the policy decides {decision['outcome']} (by {decision['section']})"
            )
            found.append(error("E603", message, example.expect_span or span))
    return found


class _Truth(model.ExprVisitor[Truth]):
    """The Kleene value of a condition: True, False, or None for unknown."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.value = evaluation.operand

    def visit_Const(self, node: model.Const) -> Truth:
        assert isinstance(node.value, bool)
        return node.value

    def visit_FactRef(self, node: model.FactRef) -> Truth:
        fact_value = self.value(node)
        return None if fact_value is None else bool(fact_value)

    def visit_ProvisionRef(self, node: model.ProvisionRef) -> Truth:
        condition = self.evaluation.policy.provision(node.label).condition
        assert condition is not None
        return self.visit(condition)

    def visit_Not(self, node: model.Not) -> Truth:
        operand = self.visit(node.operand)
        return None if operand is None else not operand

    def visit_Combine(self, node: model.Combine) -> Truth:
        values = [self.visit(o) for o in node.operands]
        true = sum(1 for v in values if v is True)
        unknown = sum(1 for v in values if v is None)
        if true >= node.count:
            return True
        if true + unknown < node.count:
            return False
        return None

    def visit_Compare(self, node: model.Compare) -> Truth:
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        if isinstance(left, datetime.date) or isinstance(right, datetime.date):  # a moved date is a day number
            left, right = day_number(left), day_number(right)
        elif isinstance(left, (int, decimal.Decimal, Fraction)) and not isinstance(left, bool):
            left, right = Fraction(left), Fraction(right)  # numbers compare exactly, as rationals
        return bool(
            {
                "==": left == right,
                "!=": left != right,
                "<": left < right,
                "<=": left <= right,
                ">": left > right,
                ">=": left >= right,
            }[node.op]
        )

    def visit_Member(self, node: model.Member) -> Truth:
        element, collection = self.value(node.element), self.value(node.collection)
        if element is None or collection is None:
            return None
        return element in collection

    def visit_Intersects(self, node: model.Intersects) -> Truth:
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        return any(item in right for item in left)

    def visit_Known(self, node: model.Known) -> Truth:
        """Known: a value, or said to be absent; of a computed value, every fact it reads."""
        if isinstance(node.operand, model.ValueRef):
            return all(self.evaluation.facts[f] is not None for f in model.facts_read(node.operand))
        return self.evaluation.given(node.operand) is not None

    def visit_Present(self, node: model.Present) -> Truth:
        given = self.evaluation.given(node.operand)
        return None if given is None else given is not ABSENT

    def visit_Empty(self, node: model.Empty) -> Truth:
        operand = self.value(node.operand)
        return None if operand is None else len(operand) == 0

    def visit_FieldRef(self, node: model.FieldRef) -> Truth:
        field_value = self.value(node)
        return None if field_value is None else bool(field_value)

    def visit_Quantify(self, node: model.Quantify) -> Truth:
        each = self.evaluation.each(node.records)
        if each is None:
            return None
        if node.kind == "every":
            truths = [t for _, t in each]
            return False if False in truths else None if None in truths else True
        if node.distinct is None:
            true = sum(1 for _, t in each if t is True)
            possible = true + sum(1 for _, t in each if t is None)
        else:  # distinct values: an unknown value may be a new one
            values = [(t, inner.operand(node.distinct)) for inner, t in each]
            true = len({v for t, v in values if t is True and v is not None})
            maybe = [v for t, v in values if t is not False]
            possible = len({v for v in maybe if v is not None}) + sum(1 for v in maybe if v is None)
        at_least = node.count
        found = True if true >= at_least else False if possible < at_least else None
        if node.kind == "no":
            return None if found is None else not found
        return found


class _Value(model.ExprVisitor[Any]):
    """The value of an operand: exact numbers as Fractions, moved dates as day numbers; None when unknown."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation

    def visit_FactRef(self, node: model.FactRef) -> Any:
        given = self.evaluation.facts[node.fact]
        return None if given is ABSENT else given  # no value to read: unknown, as the language says

    def visit_Const(self, node: model.Const) -> Any:
        return node.value

    def visit_CodeSetRef(self, node: model.CodeSetRef) -> Any:
        return self.evaluation.policy.codeset(node.name)

    def visit_ValueRef(self, node: model.ValueRef) -> Any:
        return self.visit(node.operand)

    def visit_FieldRef(self, node: model.FieldRef) -> Any:
        given = self.evaluation.bound[node.record][node.name]
        return None if given is ABSENT else given

    def visit_Lookup(self, node: model.Lookup) -> Any:
        values = tuple(self.visit(key) for key in node.keys)
        return None if None in values else node.row(values).value

    def visit_Aggregate(self, node: model.Aggregate) -> Any:
        each = self.evaluation.each(node.records)
        if each is None or any(t is None for _, t in each):
            return None
        selected = [inner for inner, t in each if t]
        if node.function == "count":
            return len(selected)
        assert node.value is not None
        values = [inner.operand(node.value) for inner in selected]
        if any(v is None for v in values):
            return None
        if node.function == "sum":
            return sum((Fraction(v) for v in values), Fraction(0))
        if not values:
            assert node.fallback is not None
            return self.visit(node.fallback)
        if node.function in ("min", "max"):
            pick = min if node.function == "min" else max
            return pick(values, key=_order)
        assert node.order is not None
        times = [inner.bound[node.records.record][node.order] for inner in selected]
        if any(t is None or t is ABSENT for t in times):
            return None
        last = (max if node.function == "latest" else min)(times)
        at_last = {_order(v) for v, t in zip(values, times, strict=True) if t == last}
        if len(at_last) > 1:  # records of the same date disagree: which is the latest is not known
            return None
        return next(v for v, t in zip(values, times, strict=True) if t == last)

    def visit_Choice(self, node: model.Choice) -> Any:
        chosen = self.evaluation.value(node.condition)
        return None if chosen is None else self.visit(node.then if chosen else node.otherwise)

    def visit_Arith(self, node: model.Arith) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None:
            return None
        left, right = Fraction(left), Fraction(right)  # exact: 89.6 / 1.6**2 is 35, not 34.99999999999999
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        return left * right if node.op == "*" else left / right

    def visit_Shift(self, node: model.Shift) -> Any:
        day = self.visit(node.date)
        count = 1 if node.count is None else self.visit(node.count)
        if day is None or count is None:
            return None
        amount = node.amount * int(count)
        if node.unit == "days":
            return day_number(day) + amount
        return shift_months(day, amount)

    def visit_Call(self, node: model.Call) -> Any:
        values = [self.visit(a) for a in node.arguments]
        if any(v is None for v in values):
            return None
        if node.function == "count":
            return len(values[0])
        if node.function == "month_start":  # a day number, as a moved date is
            return day_number(values[0]) - _parts(values[0])[2] + 1
        if node.function in ("max", "min"):  # numbers exactly, dates (some maybe day numbers) by their day
            return (max if node.function == "max" else min)(values, key=_order)
        start, end = values
        if node.function == "days_between":
            return day_number(end) - day_number(start)
        if node.function == "calendar_months_between":  # "the months following the month in which ..."
            (start_year, start_month, _), (end_year, end_month, _) = _parts(start), _parts(end)
            return (end_year - start_year) * 12 + end_month - start_month
        months = months_between(start, end)
        if node.function == "months_between":
            return months
        return months // 12 if months >= 0 else -(-months // 12)  # whole years, toward zero
