"""The whole calendar: every date the schema accepts decides, and a date moved past either end still compares.

`datetime.date` holds the years 1 to 9999; `therapy_start_date + 12 weeks` from 9999-12-31, or
`service_date - 3000 years`, falls outside them. Dates moved by a duration are day numbers in
the evaluator (a civil-calendar algorithm) and in the interpreter (400-year cycles of
`datetime`): two methods, held to each other and to `datetime` itself.
"""

from __future__ import annotations

import calendar
import datetime
import json
import random
import textwrap
from pathlib import Path

import pytest

from compiler import compile_source, find_sources, interpret, load
from compiler.cli import main
from compiler.targets import python
from tests.conftest import LINTERS, ROOT, lint_generated

EDGES = [
    "0001-01-01", "0001-01-31", "0001-02-28", "0001-03-01", "0001-12-31", "0004-02-29",
    "1900-02-28", "2000-02-29", "2024-02-29", "2025-03-31",
    "9999-01-31", "9999-02-28", "9999-10-08", "9999-10-09", "9999-12-29", "9999-12-30", "9999-12-31",
]  # fmt: skip
DATED = [p for p in find_sources([ROOT / "policies"]) if "date" in p.read_text()]


@pytest.mark.parametrize("source", DATED, ids=lambda p: p.stem)
def test_every_policy_decides_dates_at_both_ends_of_the_calendar(source: Path) -> None:
    policy = load(source, source.name)
    module = python.load_module(policy)
    dates = [f.name for f in policy.facts if f.type.kind == "date"]
    chooser = random.Random(source.stem)
    for _ in range(1500):
        request = {name: chooser.choice(EDGES) for name in dates if chooser.random() < 0.9}
        decided = module.evaluate(request).to_dict()  # a Decision, never a traceback
        assert decided == interpret.evaluate(policy, request), request
        assert module.evaluate(request, explain=False).outcome == decided["outcome"]


def test_day_numbers_match_datetime_and_the_interpreter() -> None:
    module = python.load_module(load(ROOT / "policies" / "CMS-NCD-210.14.policy"))
    chooser = random.Random(7)
    last = datetime.date.max.toordinal()
    for number in [*range(1, 800), *range(last - 800, last + 1), *(chooser.randint(1, last) for _ in range(5000))]:
        day = datetime.date.fromordinal(number)
        assert module._calendar_date(number) == (day.year, day.month, day.day)
        assert module._day_number(day.year, day.month, day.day) == number
    for number in [*range(-2000, 1), *range(last, last + 2000)]:  # beyond datetime: the two methods agree
        assert module._calendar_date(number) == interpret._parts(number)
        assert module._day_number(*module._calendar_date(number)) == number


MOVED = textwrap.dedent(
    """
    policy "M-1" { title: "Moved dates" effective: 2025-01-01 }
    fact start: date "Start."
    fact service_date: date "Service."
    value deadline = start + 12 weeks "Twelve weeks after the start."
    section D "Dates" {
        rule D.I "Within 12 weeks of the start." when service_date <= deadline
        rule D.II "More than 3000 years ago." when service_date - 3000 years < 2020-01-01
        rule D.III "The day before is before year 1." when start - 1 day < 0001-01-01
        rule D.IV "Whole months." when months_between(start - 1 month, service_date + 1 day) >= 2
    }
    outcome yes "Yes."
    outcome no "No."
    outcome unk "Unknown."
    decide {
        yes when D.I
        yes when D.II
        yes when D.III
        yes when D.IV
        otherwise no
        unknown unk
    }
    example "Past the end" expect yes {
        start: "9999-12-31"
        service_date: "9999-12-31"
    }
    example "Before the beginning" expect yes {
        start: "0001-01-01"
        service_date: "0001-01-01"
    }
    """
)


def test_dates_moved_past_either_end_compare_correctly(tmp_path: Path) -> None:
    policy, diagnostics = compile_source(MOVED, "M-1.policy")  # runs the examples: no hang, no traceback
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    for start, service, results in [
        ("9999-12-31", "9999-12-31", [True]),  # the deadline, in year 10000, is after every real date
        ("9999-10-08", "9999-12-31", [True]),  # 84 days later is 9999-12-31 itself
        ("9999-10-07", "9999-12-31", [False, False, False, True]),
        ("0001-01-01", "0001-01-01", [True]),
        ("0001-01-01", "9999-12-31", [False, False, True]),  # the day before 0001-01-01 is before it
        ("2020-01-01", "5020-01-01", [False, False, False, True]),
        ("2020-01-01", "5019-12-31", [False, True]),
        ("1000-01-01", "2020-03-31", [False, True]),  # 3000 years before 2020-03-31 is in year -980
        ("9999-12-01", "2025-01-01", [True]),
        ("9999-11-30", "1000-01-01", [True]),
    ]:
        request = {"start": start, "service_date": service}
        decision = module.evaluate(request)
        assert list(decision.results) == results, (start, service)
        assert decision.to_dict() == interpret.evaluate(policy, request)
    late = module.evaluate({"start": "9999-12-31", "service_date": "2025-01-01"})
    assert dict(late.criteria[0].facts)["deadline"] == "10000-03-24"  # shown, though datetime has no such date


def test_policyc_eval_and_test_at_the_end_of_the_calendar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ROOT / "policies" / "CMS-NCD-240.4.policy"
    request = {
        "service_date": "2025-03-01", "age": 64, "osa_diagnosis": True, "sleep_test_type": "psg_facility", "ahi": 22.5,
        "recorded_sleep_hours": 6.0, "symptoms": [], "comorbidities": [], "therapy_start_date": "9999-12-31",
    }  # fmt: skip
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps(request) + "\n")
    assert main(["eval", str(source), "--input", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"]
    lung = ROOT / "policies" / "CMS-NCD-210.14.policy"
    for service, born in [("9999-12-31", "1950-12-31"), ("2024-05-30", "9999-12-29")]:
        path.write_text(json.dumps({"service_date": service, "date_of_birth": born}) + "\n")
        assert main(["eval", str(lung), "--input", str(path)]) == 0
        capsys.readouterr()
    (tmp_path / "M-1.policy").write_text(MOVED)
    (tmp_path / "M-1.tests").write_text(
        'request base { start: "9999-12-31" }\n'
        'case "a deadline in year 10000" from base expect yes by D.I { service_date: "9999-12-31" }\n'
        'case "3000 years before" from base expect yes by D.II { start: "1000-01-01" service_date: "2020-03-31" }\n'
    )
    assert main(["test", str(tmp_path / "M-1.policy")]) == 0, capsys.readouterr().out


BY_TABLE = textwrap.dedent(
    """
    policy "M-2" { title: "Moved by a value" effective: 2025-01-01 }
    fact test: enum { short, long, back } "The test."
    fact service_date: date "Service."
    table interval unit "months" "An interval table" by test { short: 11  long: 119  back: -13 }
    value weeks unit "weeks" = 3 "Three weeks."
    outcome yes "Yes." carries {
        next_from = month_start(service_date + interval + 1 month) "The first day of the month after the interval."
        moved = service_date - weeks "Three weeks before."
    }
    outcome unk "Unknown."
    section D "Dates" {
        rule D.I "Always." when test == short or test != short
    }
    decide {
        yes when D.I
        otherwise yes
        unknown unk
    }
    """
)


def _month_start_after(day: datetime.date, months: int) -> str:
    """By hand: the first day of the month `months` after `day`'s, as text (years past 9999 included)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return f"{year:04d}-{month + 1:02d}-01" if year > 0 else f"{year:05d}-{month + 1:02d}-01"


def test_a_date_moves_by_a_number_of_months_and_month_start_finds_the_first_day() -> None:
    policy, diagnostics = compile_source(BY_TABLE, "M-2.policy")
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    months = {"short": 11, "long": 119, "back": -13}
    chooser = random.Random(11)
    days = [datetime.date.fromisoformat(d) for d in EDGES] + [
        datetime.date.fromordinal(chooser.randint(1, datetime.date.max.toordinal())) for _ in range(300)
    ]
    for day in days:
        for test, count in months.items():
            request = {"test": test, "service_date": day.isoformat()}
            decision = module.evaluate(request).to_dict()
            assert decision == interpret.evaluate(policy, request)
            shown = decision["terms"]["next_from"]
            if day.year * 12 + day.month + count > 12:  # a year 1 or later: the oracle writes it
                assert shown == _month_start_after(day, count + 1), (day, test)
            if day.toordinal() > 21:  # three weeks before, by datetime
                assert decision["terms"]["moved"] == (day - datetime.timedelta(weeks=3)).isoformat()
    assert module.evaluate({"test": "short"}).to_dict()["terms"] == {"next_from": None, "moved": None}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("service_date + interval + 1 month", "service_date + test"), "E203"),
        (("{ short: 11 ", "{ short: 11.5 "), "E203 a date moves by a whole number of months"),
        (("month_start(service_date + interval + 1 month)", "month_start(interval)"),
         "E203 month_start() takes one date"),
    ],
)  # fmt: skip
def test_the_checker_on_moving_by_a_value(edit: tuple[str, str], message: str) -> None:
    _, diagnostics = compile_source(BY_TABLE.replace(*edit), "M-2.policy")
    assert any(f"{d.code} {d.message}".startswith(message) for d in diagnostics), [str(d) for d in diagnostics]


@pytest.mark.parametrize("tool", LINTERS)
def test_evaluators_that_move_dates_by_values_pass_ruff_and_mypy(tool: list[str], tmp_path: Path) -> None:
    policies = [compile_source(text, f"{name}.policy")[0] for name, text in (("M-1", MOVED), ("M-2", BY_TABLE))]
    lint_generated(tool, [p for p in policies if p is not None], tmp_path)


EXTREMES = textwrap.dedent(
    """
    policy "M-3" { title: "Greatest and least" effective: 2025-01-01 }
    fact a: date "A date."
    fact b: date "Another."
    fact x: decimal 0..100 unit "kg" "A weight."
    fact y: integer 0..100 unit "kg" "Another."
    outcome yes "Yes." carries {
        latest_moved = max(a + 1 month, b) "The later of a month after a, and b."
        earliest = min(a, b) "The earlier date."
        heaviest unit "kg" = max(x, y, 50) "The greatest weight, or 50."
        lightest unit "kg" = min(x, y) "The least weight."
    }
    outcome unk "Unknown."
    section D "Dates" {
        rule D.I "Later than a month after a." when max(a + 1 month, b) > b + 10 days or min(x, y) < 1
    }
    decide {
        yes when D.I
        otherwise yes
        unknown unk
    }
    """
)


def test_max_and_min_of_dates_and_numbers_are_exact() -> None:
    from decimal import Decimal

    policy, diagnostics = compile_source(EXTREMES, "M-3.policy")
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    chooser = random.Random(5)
    for _ in range(400):
        a, b = (datetime.date.fromordinal(chooser.randint(1, datetime.date.max.toordinal())) for _ in range(2))
        x, y = chooser.choice([0, 0.5, 49.9, 50, 75.25, 100]), chooser.randint(0, 100)
        request = {"a": a.isoformat(), "b": b.isoformat(), "x": x, "y": y}
        decision = module.evaluate(request).to_dict()
        assert decision == interpret.evaluate(policy, request)
        terms = decision["terms"]
        assert terms["earliest"] == min(a, b).isoformat()
        assert Decimal(str(terms["heaviest"])) == max(Decimal(str(x)), y, 50)
        assert Decimal(str(terms["lightest"])) == min(Decimal(str(x)), y)
        if a.year < 9999:  # a month after a, by hand (the 31st becomes the month's last day)
            year, month = divmod(a.year * 12 + a.month, 12)
            moved = datetime.date(year, month + 1, min(a.day, calendar.monthrange(year, month + 1)[1]))
            assert terms["latest_moved"] == max(moved, b).isoformat()
    for edit, code in [(("max(x, y, 50)", "max(x)"), "E203"), (("min(x, y)", "min(x, a)"), "E203")]:
        _, found = compile_source(EXTREMES.replace(*edit), "M-3.policy")
        assert code in [d.code for d in found]
