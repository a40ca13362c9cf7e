"""Decisions on the stand-in policy of `compiler/runtime/decisions.py`: fast JSON is the JSON of the dict."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from compiler import jsontext
from compiler.runtime import decisions
from compiler.runtime.decisions import Facts


def _decision(age: int | None, bmi: Decimal | None) -> decisions.Decision:
    result = None if age is None else age >= 18
    outcome = "approve" if result else "deny"
    missing = set() if age is not None else {"age"}
    pending = decisions._after_each(decisions._RULES)[0] if missing else ()
    facts = Facts(age, bmi)
    return decisions._decision(facts, outcome, "A", missing, ("A",), [result], ("B",), "2025-01-01", pending)


def test_fast_json_is_the_json_of_the_dict() -> None:
    for age in (None, 17, 18):
        for bmi in (None, Decimal("35.00"), Decimal("1e-7")):
            decision = _decision(age, bmi)
            assert json.loads(decision.to_json(), parse_float=Decimal) == json.loads(
                jsontext.dumps(decision.to_dict()), parse_float=Decimal
            )
            assert decision.to_json() == decision.to_json()  # from the cache the second time


def test_decimals_keep_their_digits_in_json_and_text() -> None:
    decision = _decision(40, Decimal("35.00"))
    assert '"bmi": 35.00' in decision.to_json()
    assert decisions._show(Decimal("35.00")) == "35.00" and decisions._show(Fraction(625, 18)) == "625/18"
    assert decisions._json(Fraction(625, 18)) == "625/18"


def test_an_unknown_fact_is_asked_for_with_what_reads_it() -> None:
    decision = _decision(None, None)
    assert decision.to_dict()["requested_information"] == [
        {"fact": "age", "description": "Age in years", "sections": ["A"]},
        {"fact": "bmi", "description": "Body-mass index", "sections": ["B"]},  # B could still decide
    ]
    assert decision.missing == ("age",)
    text = decisions.explain(decision)
    assert "[unknown] A ((a)): The member is 18 or older." in text and "age: Age in years (read by A)" in text
    assert "Considered B: BMI is read from the chart." in text


def test_one_round_asks_for_what_every_later_rule_that_could_decide_reads() -> None:
    def asked(bmi: Decimal | None, pending: tuple[decisions._Rules, ...]) -> tuple[str, ...]:
        return decisions._decision(Facts(None, bmi), "deny", "A", {"age"}, (), [], (), "2025-01-01", pending).requested

    after_a = decisions._after_each(decisions._RULES)[0]
    assert asked(None, after_a) == ("age", "bmi")  # B could still decide
    assert asked(Decimal(30), after_a) == ("age",)  # B holds: nothing after it matters
    assert asked(Decimal(45), after_a) == ("age",)  # B is false: it asks for nothing
    assert asked(None, (decisions._RULES, decisions._RULES)) == ("age", "bmi")  # each revision's run, once
    assert asked(None, ()) == ("age",)


def test_an_explanation_shows_each_number_with_its_unit() -> None:
    text = decisions.explain(_decision(40, Decimal("35.00")))
    assert "bmi = 35.00 kg/m2" in text and "age = 40" in text and "age = 40 " not in text
    assert "bmi = unknown" in decisions.explain(_decision(40, None))  # no unit on what is not known
