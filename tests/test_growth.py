"""The constructs added for the corpus policies: arithmetic, units, dates and durations, code sets, revisions.

Each corpus policy is decided the same by its generated evaluator and by the
interpreter on many requests; the checker refuses the mistakes these constructs
invite; calendar arithmetic holds at month ends and leap days.
"""

from __future__ import annotations

import datetime
import random
import textwrap
from pathlib import Path

import pytest

from compiler import compile_source, diff, find_sources, interpret, load
from compiler.targets import python
from tests.conftest import ROOT

SOURCES = [p for p in find_sources([ROOT / "policies"]) if p.stem != "MP-MM-1308"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_evaluator_and_interpreter_agree_on_many_requests(source: Path) -> None:
    policy = load(source, source.name)
    module = python.load_module(policy)
    pools = diff._pools(policy, policy)
    chooser = random.Random(source.stem)
    for _ in range(400):
        request = {name: chooser.choice(values) for name, values in pools.items()}
        request = {k: v for k, v in request.items() if v is not None}
        expected = interpret.evaluate(policy, request)
        assert module.evaluate(request).to_dict() == expected, request
        assert module.evaluate(request, explain=False).outcome == expected["outcome"], request


HEADER = """
policy "P" { title: "t" effective: 2025-01-01 }
fact day: date "d"
fact start: date "s"
fact weight: decimal 20..300 unit "kg" "w"
fact height: decimal 0..2.5 unit "m" "h"
fact nights: integer 0..30 unit "nights" "n"
fact code_fact: code CPT "c"
outcome yes "y"
outcome no "n"
outcome unknown "u"
"""


def diagnostics(body: str) -> str:
    source = textwrap.dedent(HEADER) + textwrap.dedent(body)
    _, found = compile_source(source, "P.policy")
    return "\n".join(f"{d.code} {d.message} {d.hint or ''}" for d in found if d.code.startswith("E"))


def rule(condition: str) -> str:
    return f"""
section D "d" {{
    rule D.I "r" when {condition}
}}
decide {{
    yes when D.I
    otherwise no
    unknown unknown
}}
"""


@pytest.mark.parametrize(
    ("condition", "code", "words"),
    [
        ("weight / (height * height) >= 25", "E209", "divisor may be zero"),
        ("weight + nights >= 25", "E208", "cannot add nights and kg"),
        ("nights >= 3 weeks", "E208", "cannot compare"),
        ("day - start >= 3", "E203", "which count you mean"),
        ("dayz_between(start, day) >= 3", "E210", "not a function"),
        ("days_between(start, weight) >= 3", "E203", "takes two dates"),
        ("weight >= 301", "E204", "can never be true"),
        ("code_fact in {1}", "E203", "declare a code set"),
    ],
)
def test_the_checker_refuses_mistakes_with_these_constructs(condition: str, code: str, words: str) -> None:
    found = diagnostics(rule(condition))
    assert code in found and words in found, found


def test_a_malformed_code_in_a_code_set_is_an_error() -> None:
    found = diagnostics('codeset s CPT "s" { "4349": "short" }' + rule("code_fact in s"))
    assert "E115" in found


def test_revisions_must_cover_every_day_without_overlap() -> None:
    body = """
section D "d" { rule D.I "r" when nights >= 3 }
decide on day from 2025-01-01 { yes when D.I otherwise no unknown unknown }
decide on day from 2020-01-01 before 2024-06-01 { yes when D.I otherwise no unknown unknown }
"""
    found = diagnostics(body)
    assert "E408 no revision covers dates of service before 2020-01-01" in found
    assert "leaves a gap before" in found


def test_durations_compare_as_days_and_dates_move_by_them() -> None:
    found = diagnostics(rule("days_between(start, day) > 12 weeks and day <= start + 6 months"))
    assert found == "", found


def test_calendar_arithmetic_at_month_ends_and_leap_days() -> None:
    assert interpret.shift_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29).toordinal()
    assert interpret.shift_months(datetime.date(2023, 1, 31), 1) == datetime.date(2023, 2, 28).toordinal()
    assert interpret.shift_months(datetime.date(2024, 3, 31), -1) == datetime.date(2024, 2, 29).toordinal()
    assert interpret.months_between(datetime.date(2000, 2, 29), datetime.date(2018, 2, 28)) == 216
    assert interpret.months_between(datetime.date(2024, 1, 31), datetime.date(2024, 2, 28)) == 0
    assert interpret.months_between(datetime.date(2024, 1, 31), datetime.date(2024, 2, 29)) == 1
