"""Lookup tables stated in a policy (issue 15, item 7): one number for each value of an enum fact."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_source, diff, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import docs, python
from tests.conftest import LINTERS, lint_generated

SOURCE = """\
policy "T-TABLE" {
    title: "A quantity limit per drug"
    effective: 2024-01-01
}

fact drug: enum { a, b, c, d }
    "The drug."
fact doses: integer 0..100
    "Doses in the fill."
fact days_supply: integer 1..90 unit "days"
    "Days supply."

table limit "Quantity limits, doses per 30 days (the drug list, p. 14)" by drug {
    a: 1
    b: 2.5
    c: 18
    else: 0
}

value per_30_days = doses * 30 / days_supply
    "Doses per 30 days."

section Q "Quantity limits" {
    criterion Q.1 "The fill is within the drug's quantity limit."
        when per_30_days <= limit
        wording differs "the limits are the table's"
}

outcome within "Within the limit."
outcome over "Over the limit."
outcome unknown "More information needed."

decide {
    within when Q.1
    otherwise over by Q.1
    unknown unknown
}
"""

POLICY, _ = compile_source(SOURCE, "table.policy")
assert POLICY is not None
EVALUATOR = python.load_module(POLICY)
LIMITS = {"a": Fraction(1), "b": Fraction(5, 2), "c": Fraction(18), "d": Fraction(0)}


def test_each_value_reads_its_row_exactly_and_an_unknown_key_is_unknown() -> None:
    drugs: list[Any] = [None, "a", "b", "c", "d"]
    for drug, doses, days in itertools.product(drugs, [None, 0, 1, 2, 3, 18, 19], [None, 7, 30, 90]):
        request = {"drug": drug, "doses": doses, "days_supply": days}
        ours, oracle = EVALUATOR.evaluate(request).to_dict(), interpret.evaluate(POLICY, request)
        assert (ours["outcome"], ours["missing"]) == (oracle["outcome"], oracle["missing"])
        if None in (drug, doses, days):
            assert ours["outcome"] == "unknown"
        else:  # an independent reading: Fractions, the table as the policy states it
            assert ours["outcome"] == ("within" if Fraction(doses * 30, days) <= LIMITS[drug] else "over")
    assert EVALUATOR.validate({"drug": "b"}).limit == Decimal("2.5")


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (("    c: 18\n", ""), None),  # c falls to `else`
        (("    else: 0\n", ""), "E213"),  # d has no row
        (("    c: 18\n", "    c: 18\n    c: 19\n"), "E213"),
        (("    c: 18\n", "    e: 18\n"), "E202"),
        (("by drug {", "by doses {"), "E213 E213 E213 W101"),  # each row's key; and drug is read by nothing now
        (("by drug {", "by dose {"), "E213 W101"),
        (("    else: 0\n", "    d: 0\n    else: 0\n"), "W106"),
    ],
)
def test_the_checker_holds_a_table_to_its_fact(edit: tuple[str, str], code: str | None) -> None:
    source = SOURCE.replace(*edit)
    _, diagnostics = compile_source(source, "table.policy")
    assert [d.code for d in diagnostics] == (code.split() if code else []), [str(d) for d in diagnostics]


def test_fmt_docs_and_diff_show_the_table() -> None:
    assert format_source(SOURCE, "table.policy")[0] == SOURCE
    page = docs.render(POLICY, python.render(POLICY))
    assert "`limit`" in page and "by drug: a 1; b 2.5; c 18; else 0" in page
    changed, _ = compile_source(SOURCE.replace("    c: 18\n", "    c: 20\n"), "table.policy")
    assert changed is not None
    texts = [c.text for c in diff.changes(POLICY, changed)]
    assert any("c: 18" in t and "c: 20" in t for t in texts), texts


# -- Tables by several facts, integers by ranges: the first row that matches -----------------------

TWO_KEYS = """\
policy "T-TABLE2" {
    title: "Intervals and thresholds"
    effective: 2024-01-01
}

fact test: enum { fobt, colonoscopy, sigmoidoscopy }
    "The test requested."
fact risk: enum { high, average }
    "The member's risk class."
fact age: integer 0..120 unit "years"
    "Age in years."
fact sex: enum { female, male }
    "Sex."
fact months_since: integer 0..1000 unit "months"
    "Months since the last test of the kind."
fact bmi: integer 0..100 unit "kg/m2"
    "Body-mass index, whole."

table interval unit "months" "42 CFR 410.37" by test, risk {
    fobt, else: 11
    colonoscopy, high: 23
    colonoscopy, else: 119
    else: 47
}

table threshold unit "kg/m2" "Growth charts (illustrative)" by age, sex {
    2..5, female: 17
    2..5, male: 18
    6..19, else: 25
    else: 30
}

section B "Coverage" {
    criterion B.1 "Enough months have passed since the last test."
        when months_since >= interval
        wording differs "the intervals are the table's"
    criterion B.2 "The BMI is at or above the threshold for age and sex."
        when bmi >= threshold
        wording differs "the thresholds are the table's"
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when B.1 and B.2
    otherwise not_covered by B.1
    unknown unsure
}
"""

TWO, _ = compile_source(TWO_KEYS, "table2.policy")
assert TWO is not None
TWO_EVALUATOR = python.load_module(TWO)


def _interval(test: str, risk: str) -> int:
    """The table as a reader reads it, top to bottom."""
    return {"fobt": 11, "colonoscopy": 23 if risk == "high" else 119}.get(test, 47)


def _threshold(age: int, sex: str) -> int:
    if 2 <= age <= 5:
        return 17 if sex == "female" else 18
    return 25 if 6 <= age <= 19 else 30


def test_a_table_by_two_facts_and_by_ranges_reads_the_first_row_that_matches() -> None:
    tests: list[Any] = [None, "fobt", "colonoscopy", "sigmoidoscopy"]
    ages = [None, 0, 1, 2, 5, 6, 19, 20, 120]
    for test, risk, age, sex in itertools.product(tests, [None, "high", "average"], ages, [None, "female", "male"]):
        request = {"test": test, "risk": risk, "age": age, "sex": sex, "months_since": 23, "bmi": 25}
        ours, oracle = TWO_EVALUATOR.evaluate(request).to_dict(), interpret.evaluate(TWO, request)
        assert ours == oracle
        facts = TWO_EVALUATOR.validate(request)
        assert facts.interval == (None if None in (test, risk) else _interval(test, risk))
        assert facts.threshold == (None if None in (age, sex) else _threshold(age, sex))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("    else: 47\n", ""), "E213 table 'interval' has no row for sigmoidoscopy, high"),
        (("    else: 30\n", ""), "E213 table 'threshold' has no row for 0..1, female"),
        (("    colonoscopy, else: 119\n", "    colonoscopy, else: 119\n    colonoscopy, average: 120\n"),
         "W106 the row 'colonoscopy, average' of table 'interval' is never read"),
        (("    6..19, else: 25\n", "    6..130, else: 25\n"), "E213 the range 6..130 is not within 'age' (0..120)"),
        (("    fobt, else: 11\n", "    fobt: 11\n"), "E213 a row of 'interval' needs 2 keys, one per fact"),
        (("    2..5, male: 18\n", "    male, 2..5: 18\n"),
         "E213 the key for 'age' in table 'threshold' must be a range such as 18..64"),
    ],
)  # fmt: skip
def test_the_checker_holds_a_table_to_every_combination(edit: tuple[str, str], message: str) -> None:
    _, diagnostics = compile_source(TWO_KEYS.replace(*edit), "table2.policy")
    assert message in [f"{d.code} {d.message}" for d in diagnostics], [str(d) for d in diagnostics]


def test_a_table_by_two_facts_is_formatted_and_its_evaluator_typed() -> None:
    assert format_source(TWO_KEYS, "table2.policy")[0] == TWO_KEYS
    text = python.render(TWO)
    assert "_look_up(" in text and "('fobt', 'high'): 11" not in text.replace("\n", "")  # ranges scan the rows
    assert "(('fobt', 'high'), 11)" in text  # enums only: every combination, looked up at once


@pytest.mark.parametrize("tool", LINTERS)
def test_evaluators_and_models_of_tables_pass_ruff_and_mypy(tool: list[str], tmp_path: Path) -> None:
    assert POLICY is not None
    lint_generated(tool, [POLICY, TWO], tmp_path)
