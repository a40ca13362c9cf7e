"""Lookup tables stated in a policy (issue 15, item 7): one number for each value of an enum fact."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from compiler import compile_source, diff, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import docs, python

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
        (("by drug {", "by doses {"), "E213 W101"),  # and drug is read by nothing now
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
    assert "`limit`" in page and "by drug: a 1, b 2.5, c 18, d 0" in page
    changed, _ = compile_source(SOURCE.replace("    c: 18\n", "    c: 20\n"), "table.policy")
    assert changed is not None
    texts = [c.text for c in diff.changes(POLICY, changed)]
    assert any("c: 18" in t and "c: 20" in t for t in texts), texts
