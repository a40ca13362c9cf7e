"""Lists of records (issue 15, item 1): histories, the quantifiers over them and their aggregates.

The oracle for three-valued quantifiers is independent of both deciders: every way of filling in
the unknown fields is tried, in two-valued logic, and the answer is known exactly when all of them
agree (a quantifier over records is true when one record definitely satisfies it, false only when
every record definitely does not).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import compile_source, contract, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import pydantic_models, python, shared
from tests.conftest import LINTERS, lint_generated

SOURCE = """\
policy "T-RECORDS" {
    title: "Sessions in a year"
    effective: 2020-01-01
}

fact service_date: date
    "Date of the requested session."
fact sessions: list of {
    date: date "Date of the session.",
    covered: boolean "Paid as a covered session.",
    status: enum { improving "Improving", worse "Not improving" },
    minutes: decimal 0..300 unit "min",
}
    "Earlier sessions."

value course_start =
    min(s.date for s in sessions such that (s.covered and s.date > service_date - 365 days)) else service_date
    "First covered session in the year before the service, or the service itself."
value covered_minutes unit "min" = sum(s.minutes for s in sessions such that s.covered)
    "Minutes of covered sessions."

section B "Limits" {
    rule B.1 "At most 3 covered sessions in the 365 days before the service."
        when count(s in sessions such that (s.covered and s.date > service_date - 365 days)) < 3
    rule B.2 "No session within 7 days before the service."
        when no s in sessions such that (s.date <= service_date and s.date > service_date - 7 days)
    rule B.3 "Every covered session showed improvement, on two different days at least."
        when (every s in sessions such that (not s.covered or s.status == improving))
            and at least 2 distinct s.date for s in sessions such that s.covered
    rule B.4 "Within 90 days of the course start; at most 120 covered minutes."
        when service_date <= course_start + 90 days and covered_minutes <= 120
    rule B.6 "Improvement, within the course and its minutes." when B.3 and B.4
    rule B.5 "An earlier session that no later session followed within 30 days."
        when any s in sessions such that (
            s.date < service_date and no t in sessions such that (t.date > s.date and t.date <= s.date + 30 days)
        )
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unknown "More information needed."

decide {
    not_covered when not B.1
    not_covered when not B.2
    covered when B.6
    covered when B.5
    otherwise not_covered by B.4
    unknown unknown
}
"""

DAY = datetime.date(2024, 6, 1)


def _compile(source: str) -> Any:
    policy, diagnostics = compile_source(source, "records.policy")
    assert policy is not None, [str(d) for d in diagnostics]
    return policy


POLICY = _compile(SOURCE)
EVALUATOR = python.load_module(POLICY)


def both(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return interpret.evaluate(POLICY, request), EVALUATOR.evaluate(request).to_dict()


def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _key(decision: dict[str, Any]) -> tuple[Any, ...]:
    return decision["outcome"], decision["section"], decision["missing"]


# -- Histories the tests draw: records with any field possibly unknown ------------------------

_FIELD_VALUES = {
    "date": st.one_of(st.none(), st.integers(-400, 10).map(lambda d: (DAY + datetime.timedelta(days=d)).isoformat())),
    "covered": st.one_of(st.none(), st.booleans()),
    "status": st.one_of(st.none(), st.sampled_from(["improving", "worse"])),
    "minutes": st.one_of(st.none(), st.integers(0, 90), st.decimals("0", "300", places=1).map(float)),
}
records = st.lists(st.fixed_dictionaries({}, optional=_FIELD_VALUES), max_size=5)
requests = st.fixed_dictionaries({}, optional={"service_date": st.just(DAY.isoformat()), "sessions": records})


@settings(max_examples=400, deadline=None)
@given(requests)
def test_the_evaluator_decides_every_history_as_the_interpreter_does(request: dict[str, Any]) -> None:
    interpreted, generated = both(request)
    assert _key(generated) == _key(interpreted)
    assert _plain(generated["criteria"]) == _plain(interpreted["criteria"])


def _plain(value: Any) -> Any:
    """JSON as both deciders mean it: exact numbers by their value (0.0 is 0), dates as text."""
    def exact(v: Any) -> str:
        return str(Fraction(v)) if isinstance(v, (decimal.Decimal, Fraction)) else str(v)

    return json.loads(json.dumps(value, default=exact), parse_int=exact, parse_float=lambda t: exact(Fraction(t)))


# -- The quantifiers against the oracle of every completion ----------------------------------

QUANTIFIED = """\
policy "T-Q" {
    title: "Quantifiers"
    effective: 2020-01-01
}
fact marks: list of { flag: boolean, n: integer 0..3 }
    "Records."
section Q "Quantifiers" {
    rule Q.ANY "some" when any m in marks such that m.flag
    rule Q.EVERY "every" when every m in marks such that m.flag
    rule Q.NO "none" when no m in marks such that m.flag
    rule Q.TWO "two" when at least 2 m in marks such that m.flag
    rule Q.DISTINCT "two values" when at least 2 distinct m.n for m in marks such that m.flag
    rule Q.SOME "any of them" when at least 1 of (Q.ANY, Q.EVERY, Q.NO, Q.TWO, Q.DISTINCT)
}
outcome yes "Yes."
outcome unknown "Unknown."
decide {
    yes when Q.SOME
    otherwise yes by Q.SOME
    unknown unknown
}
"""
Q_POLICY = _compile(QUANTIFIED)
Q_EVALUATOR = python.load_module(Q_POLICY)


def _two_valued(label: str, marks: list[tuple[bool, int]]) -> bool:
    flagged = [n for flag, n in marks if flag]
    if label == "Q.ANY":
        return bool(flagged)
    if label == "Q.EVERY":
        return len(flagged) == len(marks)
    if label == "Q.NO":
        return not flagged
    if label == "Q.TWO":
        return len(flagged) >= 2
    return len(set(flagged)) >= 2


def _completions(marks: list[dict[str, Any]]) -> list[list[tuple[bool, int]]]:
    """Every way of filling in the unknown fields: a flag true or false, a number any of 0..3."""
    choices = [
        [(f, n) for f in ([m["flag"]] if m.get("flag") is not None else [True, False])
         for n in ([m["n"]] if m.get("n") is not None else [0, 1, 2, 3])]
        for m in marks
    ]  # fmt: skip
    return [list(c) for c in itertools.product(*choices)]


def _oracle(label: str, marks: list[dict[str, Any]]) -> bool | None:
    answers = {_two_valued(label, c) for c in _completions(marks)}
    return answers.pop() if len(answers) == 1 else None


marks = st.lists(
    st.fixed_dictionaries({}, optional={"flag": st.one_of(st.none(), st.booleans()), "n": st.integers(0, 3)}),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(marks)
def test_quantifiers_are_true_false_or_unknown_exactly_as_every_completion_says(found: list[dict[str, Any]]) -> None:
    interpreted = interpret.evaluate(Q_POLICY, {"marks": found})
    generated = Q_EVALUATOR.evaluate({"marks": found}).to_dict()
    results = {"met": True, "not_met": False, "unknown": None}
    for criterion in interpreted["criteria"]:
        label = criterion["section"]
        if label == "Q.SOME":
            continue
        assert results[criterion["result"]] == _oracle(label, found), label
    assert interpreted["criteria"] == generated["criteria"]


def test_a_quantifier_over_an_unknown_list_is_unknown_and_over_an_empty_one_is_known() -> None:
    for request in ({}, {"marks": None}):
        decision = interpret.evaluate(Q_POLICY, request)
        assert {c["result"] for c in decision["criteria"]} == {"unknown"} and len(decision["criteria"]) == 6
        assert decision["missing"] == ["marks"]
    results = {c["section"]: c["result"] for c in interpret.evaluate(Q_POLICY, {"marks": []})["criteria"]}
    expected = {"Q.ANY": "not_met", "Q.EVERY": "met", "Q.NO": "met", "Q.TWO": "not_met", "Q.DISTINCT": "not_met"}
    assert results == {"Q.SOME": "met", **expected}


# -- Aggregates, exactly ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(records)
def test_aggregates_are_exact_and_unknown_only_when_a_record_leaves_them_open(found: list[dict[str, Any]]) -> None:
    facts = interpret.validate(POLICY, {"service_date": DAY.isoformat(), "sessions": found})
    evaluation = interpret.Evaluation(POLICY, facts)
    minutes = evaluation.computed(POLICY.value("covered_minutes"))
    generated = EVALUATOR.validate({"service_date": DAY.isoformat(), "sessions": found})
    assert generated.covered_minutes == minutes  # Decimal and Fraction compare exactly
    covered = [r for r in found if r.get("covered")]
    if any(r.get("covered") is None for r in found) or any(r.get("minutes") is None for r in covered):
        assert minutes is None
    else:  # an independent sum, in fractions
        assert minutes == sum((Fraction(str(r["minutes"])) for r in covered), Fraction(0))
    start = evaluation.computed(POLICY.value("course_start"))
    assert generated.course_start == start
    year_before = DAY - datetime.timedelta(days=365)
    window = [r for r in found if r.get("covered") and r.get("date") and _day(r["date"]) > year_before]
    open_ = [r for r in found if r.get("covered") is None or r.get("date") is None]
    if not open_:
        dates = [_day(r["date"]) for r in window]
        assert start == (min(dates) if dates else DAY)


def test_the_latest_record_decides_and_ties_that_disagree_are_unknown() -> None:
    source = SOURCE.replace(
        'value covered_minutes unit "min" = sum(s.minutes for s in sessions such that s.covered)',
        'value covered_minutes unit "min" = latest(s.minutes for s in sessions) else 0',
    )
    policy = _compile(source)
    evaluator = python.load_module(policy)

    def latest(found: list[dict[str, Any]]) -> Any:
        request = {"service_date": DAY.isoformat(), "sessions": found}
        interpreted = interpret.Evaluation(policy, interpret.validate(policy, request)).computed(
            policy.value("covered_minutes")
        )
        assert evaluator.validate(request).covered_minutes == interpreted
        return interpreted

    assert latest([]) == 0
    assert latest([{"date": "2024-01-01", "minutes": 30}, {"date": "2024-02-01", "minutes": 45}]) == 45
    assert latest([{"date": "2024-02-01", "minutes": 30}, {"date": "2024-02-01", "minutes": 45}]) is None
    assert latest([{"date": "2024-02-01", "minutes": 30}, {"date": "2024-02-01", "minutes": 30}]) == 30
    assert latest([{"date": "2024-01-01", "minutes": 30}, {"minutes": 45}]) is None  # which is latest is unknown


# -- Missing information --------------------------------------------------------------------


def test_a_history_with_an_unknown_field_asks_for_the_history_and_an_unknown_fact_for_itself() -> None:
    old = (DAY - datetime.timedelta(days=100)).isoformat()
    for decision in both({"service_date": DAY.isoformat(), "sessions": [{"date": old}]}):
        assert (decision["outcome"], decision["missing"]) == ("unknown", ["sessions"])
    for decision in both({"sessions": [{"date": old, "covered": True}]}):
        assert decision["missing"] == ["service_date"]  # the records are known: only the date is asked for
    for decision in both({"sessions": []}):  # nothing to count: known, whatever the date of service
        assert decision["outcome"] == "not_covered" and decision["missing"] == []
    two = [
        {"date": (DAY - datetime.timedelta(days=d)).isoformat(), "covered": True, "status": "improving", "minutes": 30}
        for d in (60, 30)
    ]
    for decision in both({"service_date": DAY.isoformat(), "sessions": two}):
        assert (decision["outcome"], decision["section"], decision["missing"]) == ("covered", "B.6", [])


# -- Requests: the evaluator, the interpreter, the JSON Schema and the pydantic model agree -----

BAD = [
    {"sessions": {"date": "2024-01-01"}},
    {"sessions": [3]},
    {"sessions": [{"date": "2024-02-30"}]},
    {"sessions": [{"when": "2024-02-01"}]},
    {"sessions": [{"covered": "yes", "status": "better", "minutes": 301}]},
]


@pytest.mark.parametrize("request_", BAD, ids=range(len(BAD)))
def test_a_bad_record_is_an_error_naming_its_place(request_: dict[str, Any]) -> None:
    with pytest.raises(interpret.InvalidRequest) as interpreted:
        interpret.evaluate(POLICY, request_)
    with pytest.raises(EVALUATOR.InvalidRequest) as generated:
        EVALUATOR.evaluate(request_)
    assert sorted(f for f, _ in interpreted.value.errors) == sorted(e.field for e in generated.value.errors)
    assert all(e.field.startswith("sessions") for e in generated.value.errors)
    schema = _schema()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(request_))
    models = shared.load(pydantic_models.render(POLICY), "t_records_models", "<t>")
    with pytest.raises(Exception, match="validation error"):
        models.Request.model_validate(request_)


def test_a_good_history_passes_the_schema_and_the_model() -> None:
    request = {"service_date": "2024-06-01", "sessions": [{"date": "2024-05-01", "covered": True, "minutes": 30.5}, {}]}
    jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker()).validate(request)
    models = shared.load(pydantic_models.render(POLICY), "t_records_models_ok", "<t>")
    parsed = models.Request.model_validate(request)
    assert parsed.sessions[0].minutes == decimal.Decimal("30.5") and parsed.sessions[1].date is None
    assert EVALUATOR.evaluate(request).to_dict()["outcome"] == interpret.evaluate(POLICY, request)["outcome"]


def _schema() -> dict[str, Any]:
    properties = {f.name: contract.field_schema(f) for f in contract.request(POLICY)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


# -- The checker -------------------------------------------------------------------------------


def _errors(condition: str) -> list[str]:
    """The errors of the test policy with its last rule's condition replaced."""
    head, _, _ = SOURCE.partition('    rule B.5 "An earlier session')
    rule = f'    rule B.5 "x" when {condition}\n        wording differs "test"\n}}\n'
    source = head + rule + "\noutcome" + SOURCE.split("\noutcome", 1)[1]
    _, diagnostics = compile_source(source, "records.policy")
    return [f"{d.code} {d.message}" for d in diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("any s in sessions such that s.dates <= service_date", "E201 'dates' is not a field of the record 's'"),
        ("(any s in sessions such that s.covered) and s.date <= service_date", "E201 's' names no record here"),
        ("any s in service_date such that s.covered", "E203 'service_date' is a date fact, not a list of records"),
        ("any service_date in sessions such that true", "E118 'service_date' already names"),
        ("any s in sessions such that (any s in sessions such that s.covered)", "E118 's' already names"),
        ("any s in sessions such that s.status == better", "E202 'better' is not a value of 's.status'"),
        ("any s in sessions such that s.minutes > 301", "E204"),
        ("max(s.date for s in sessions) <= service_date", "E211 say what max() is when no record is selected"),
        ("max(s.date for s in sessions) else 3 <= service_date", "E203"),
        ("mean(s.minutes for s in sessions) else 0 > 1", "E210 'mean' does not take records this way"),
        ("sum(s.status for s in sessions) > 1", "E203"),
        ("max(s.date for s in sessions) else (service_date + 1 day) <= service_date", "E211"),
        ("max(s.date + 1 day for s in sessions) else service_date <= service_date", "E211"),
    ],
)
def test_the_checker_reports_a_mistake_with_records_once_and_clearly(condition: str, expected: str) -> None:
    errors = _errors(condition)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_list_within_a_list_and_a_field_declared_twice_are_errors() -> None:
    fields = "    covered: boolean,\n    date: date,\n    inner: list of { x: boolean }"
    source = SOURCE.replace("    covered: boolean", fields)
    _, diagnostics = compile_source(source, "records.policy")
    codes = sorted(d.code for d in diagnostics if d.severity.value == "error")
    assert codes[:2] == ["E117", "E117"]


def test_the_formatter_gives_back_the_same_policy() -> None:
    formatted, diagnostics = format_source(SOURCE, "records.policy")
    assert formatted is not None and not diagnostics
    assert format_source(formatted, "records.policy")[0] == formatted
    again = _compile(formatted)
    assert [p.condition for p in again.provisions] == [p.condition for p in POLICY.provisions]
    assert [(f.name, f.type) for f in again.facts] == [(f.name, f.type) for f in POLICY.facts]
    assert [c.operand for c in again.computed] == [c.operand for c in POLICY.computed]
    assert "    covered: boolean \"Paid as a covered session.\"," in formatted


WINDOW = """\
policy "T-WINDOW" {
    title: "Adherence in a consecutive 30-night period"
    effective: 2020-01-01
}
fact start: date
    "First night of therapy."
fact nights: list of { date: date, hours: decimal 0..24 unit "hours" }
    "Nightly use of the device."
section B "Adherence" {
    criterion B.1 "Use of 4 hours or more on 21 nights of a consecutive 30-night period in the first 90 days."
        when any n in nights such that (
            n.date >= start
                and n.date <= start + 60 days
                and at least 21 m in nights such that (m.date >= n.date and m.date < n.date + 30 days and m.hours >= 4)
        )
        wording differs "a period starts on a night at most 60 days in, so that it ends within the 90"
    criterion B.2 "The same, counted: an aggregate inside a quantifier, reading the night around it."
        when any n in nights such that (
            n.date >= start
                and n.date <= start + 60 days
                and count(m in nights such that (m.date >= n.date and m.date < n.date + 30 days and m.hours >= 4)) >= 21
        )
        wording differs "as B.1"
}
outcome adherent "Adherent."
outcome not_adherent "Not adherent."
outcome unknown "More information needed."
decide {
    adherent when B.1 or B.2
    otherwise not_adherent by B.1
    unknown unknown
}
"""
W_POLICY = _compile(WINDOW)
W_EVALUATOR = python.load_module(W_POLICY)
nights = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "date": st.integers(0, 70).map(lambda d: (DAY + datetime.timedelta(days=d)).isoformat()),
            "hours": st.sampled_from([2, 3.5, 4, 6]),
        },
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(nights, st.integers(0, 30))
def test_a_count_inside_a_quantifier_reads_the_record_around_it(found: list[dict[str, Any]], run: int) -> None:
    """A sliding window: for some night n, the nights of the 30 from n with 4 hours or more."""
    steady = [{"date": (DAY + datetime.timedelta(days=5 + k)).isoformat(), "hours": 5} for k in range(run)]
    request = {"start": DAY.isoformat(), "nights": found + steady}
    interpreted, generated = interpret.evaluate(W_POLICY, request), W_EVALUATOR.evaluate(request).to_dict()
    assert _key(generated) == _key(interpreted) and generated["criteria"] == interpreted["criteria"]
    if run >= 21:  # 21 steady nights decide, whatever else is unknown (a count is unknown then: B.1 says at least)
        assert generated["outcome"] == "adherent"
    if all(n.get("date") and n.get("hours") is not None for n in found) and run < 21:
        window = sorted(datetime.date.fromisoformat(n["date"]) for n in request["nights"] if float(n["hours"]) >= 4)
        best = max((sum(1 for d in window if s <= d < s + datetime.timedelta(days=30)) for s in window), default=0)
        starts_ok = any(DAY <= s <= DAY + datetime.timedelta(days=60) for s in window)
        assert (generated["outcome"] == "adherent") == (best >= 21 and starts_ok) or generated["outcome"] != "adherent"


@pytest.mark.parametrize("tool", LINTERS)
def test_evaluators_and_models_of_histories_pass_ruff_and_mypy(tool: list[str], tmp_path: Path) -> None:
    """Histories of every shape, the quantifier in a quantifier and the count in one among them."""
    lint_generated(tool, [POLICY, Q_POLICY, W_POLICY], tmp_path)
