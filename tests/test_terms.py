"""Outcomes that carry terms (issue 15, item 3): an approval period, a limit, a date, computed from facts."""

from __future__ import annotations

import decimal
import json
from fractions import Fraction
from typing import Any

import jsonschema
import pytest

from compiler import compile_source, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import pydantic_models, python, schema, shared

SOURCE = """\
policy "T-TERMS" {
    title: "An approval with its period and limit"
    effective: 2024-01-01
}

fact request_date: date
    "Date of the request."
fact days_supply: integer 1..365 unit "days"
    "Days supply of the fill."
fact doses_requested: integer 1..100
    "Doses in the fill."
fact subsequent: boolean
    "An earlier approval of the drug was followed by a paid claim in the last 365 days."

section A "Criteria" {
    criterion A.1 "Subsequent authorization: approve for 365 days."
        when subsequent
    criterion A.2 "Initial authorization: approve for 180 days."
        when not subsequent
}

outcome approved_subsequent "Approved for 365 days."
    carries {
        period_days unit "days" = 365
            "Days the approval lasts."
        approved_to = request_date + 364 days
            "The last day of the approval."
    }
outcome approved_initial "Approved for 180 days."
    carries {
        period_days unit "days" = 180
            "Days the approval lasts."
        approved_to = request_date + 179 days
            "The last day of the approval."
        doses_per_30_days = doses_requested * 30 / days_supply
            "Doses per 30 days, exactly."
    }
outcome unknown "More information needed."

decide {
    approved_subsequent when A.1
    approved_initial when A.2
    otherwise unknown by A.2
    unknown unknown
}
"""

POLICY, _ = compile_source(SOURCE, "terms.policy")
assert POLICY is not None
EVALUATOR = python.load_module(POLICY)

REQUESTS = [
    {"request_date": "2024-03-01", "subsequent": True},
    {"request_date": "2024-03-01", "subsequent": False, "doses_requested": 3, "days_supply": 90},
    {"request_date": "2024-03-01", "subsequent": False, "doses_requested": 2, "days_supply": 7},
    {"subsequent": False},
    {"request_date": "9999-12-01", "subsequent": True},
    {},
]


@pytest.mark.parametrize("request_", REQUESTS, ids=range(len(REQUESTS)))
def test_both_deciders_carry_the_same_terms_and_the_json_says_so(request_: dict[str, Any]) -> None:
    interpreted = interpret.evaluate(POLICY, request_)
    decision = EVALUATOR.evaluate(request_)
    assert decision.to_dict()["terms"] == interpreted["terms"]
    assert _exact(json.loads(decision.to_json(), parse_float=decimal.Decimal)) == _exact(decision.to_dict())
    checks = jsonschema.FormatChecker()
    validator = jsonschema.Draft202012Validator(schema.decision_schema(POLICY), format_checker=checks)
    validator.validate(json.loads(decision.to_json()))
    models = shared.load(pydantic_models.render(POLICY), "t_terms_models", "<t>")
    models.Decision.model_validate_json(decision.to_json())


def _exact(value: Any) -> Any:
    """JSON values compared as values: 1, 1.0 and Decimal("1.00") alike."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, (int, decimal.Decimal, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    return value


def test_the_terms_are_computed_exactly_from_the_facts() -> None:
    terms = EVALUATOR.evaluate(REQUESTS[0]).to_dict()["terms"]
    assert terms == {"period_days": 365, "approved_to": "2025-02-28"}  # 2024 is a leap year: 365 days on
    terms = interpret.evaluate(POLICY, REQUESTS[2])["terms"]
    assert Fraction(terms["doses_per_30_days"]) == Fraction(2 * 30, 7)  # "60/7", never 8.571428...
    assert interpret.evaluate(POLICY, REQUESTS[4])["terms"]["approved_to"] == "10000-11-29"  # 10000 is a leap year
    assert interpret.evaluate(POLICY, REQUESTS[3])["terms"] == {
        "period_days": 180,
        "approved_to": None,  # unknown, never a guess
        "doses_per_30_days": None,
    }
    assert interpret.evaluate(POLICY, {})["terms"] == {}  # the unknown outcome carries nothing


def test_the_explanation_shows_the_terms_with_their_units() -> None:
    text = EVALUATOR.explain(EVALUATOR.evaluate(REQUESTS[1]))
    assert "Terms:\n  period_days = 180 days\n" in text
    assert "doses_per_30_days = 1" in text


def test_the_schema_allows_each_outcome_only_its_own_terms() -> None:
    validator = jsonschema.Draft202012Validator(schema.decision_schema(POLICY))
    decision = EVALUATOR.evaluate(REQUESTS[0]).to_dict()
    wrong = {**decision, "terms": {**decision["terms"], "doses_per_30_days": 1}}
    assert list(validator.iter_errors(json.loads(json.dumps(wrong, default=str))))


def test_the_docs_list_what_each_outcome_carries() -> None:
    from compiler.targets import docs

    page = docs.render(POLICY, python.render(POLICY))
    assert "| Outcome | Meaning | Advisories | Carries |" in page
    assert "`period_days` (days) = 180: Days the approval lasts." in page


def test_the_formatter_keeps_the_terms() -> None:
    formatted, _ = format_source(SOURCE, "terms.policy")
    assert formatted == SOURCE


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ('period_days = 1\n            "a"\n        period_days = 2\n            "b"', "E119"),
        ('kind = subsequent\n            "a"', "E203"),
        ('period_days unit "doses" = days_supply\n            "a"', "E208"),
        ('period_days = nothing\n            "a"', "E201"),
    ],
)
def test_a_term_is_checked_as_a_value_is(terms: str, code: str) -> None:
    head, _, rest = SOURCE.partition("    carries {\n")
    _, _, tail = rest.partition("    }\n")
    source = head + "    carries {\n        " + terms + "\n    }\n" + tail
    _, diagnostics = compile_source(source, "terms.policy")
    assert code in [d.code for d in diagnostics], [str(d) for d in diagnostics]


# -- A term chosen by a condition: `a when CONDITION otherwise b` ----------------------------------

CHOSEN = """\
policy "T-CHOSEN" {
    title: "An approval whose period depends on the member"
    effective: 2024-01-01
}

fact request_date: date
    "Date of the request."
fact high_risk: boolean
    "The member is at high risk."
fact tier: integer 1..3
    "The drug's tier."
fact strength: decimal 0..10
    "The strength of the drug, per unit."
fact setting: enum { home, facility }
    "Where the drug is given."

section A "Criteria" {
    criterion A.1 "High risk."
        when high_risk
}

outcome approved "Approved."
    carries {
        approved_to = request_date + 89 days when A.1 otherwise request_date + 179 days
            "The last day of the approval: 90 days at high risk, else 180."
        doses unit "doses" = 2 when tier == 1 otherwise 1 when tier == 2 otherwise 0
            "Doses per fill, by tier."
        dose = 5 when tier == 1 otherwise strength * 0.1
            "The dose."
        scope = "sleep only" when A.1 otherwise "any use"
            "What the approval covers."
        given_at = setting
            "Where it is given."
    }
outcome unknown "More information needed."

decide {
    approved when A.1
    otherwise approved by A.1
    unknown unknown
}
"""


def test_a_term_is_chosen_by_its_condition_and_is_unknown_with_it() -> None:
    import datetime

    policy, diagnostics = compile_source(CHOSEN, "chosen.policy")
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    for high_risk, tier, strength in [(True, 1, 7), (False, 2, 7.5), (True, 3, None), (False, 1, None)]:
        request: dict[str, Any] = {
            "request_date": "2024-03-01", "high_risk": high_risk, "tier": tier, "strength": strength
        }  # fmt: skip
        terms = module.evaluate(request).to_dict()["terms"]
        assert terms == interpret.evaluate(policy, request)["terms"]
        end = datetime.date(2024, 3, 1) + datetime.timedelta(days=89 if high_risk else 179)
        assert terms["approved_to"] == end.isoformat()
        assert terms["doses"] == {1: 2, 2: 1, 3: 0}[tier]
        # the strength is read only when the tier does not choose 5; unknown where it is read
        expected = 5 if tier == 1 else None if strength is None else Fraction(str(strength)) / 10
        assert (None if terms["dose"] is None else Fraction(str(terms["dose"]))) == expected
        assert terms["scope"] == ("sleep only" if high_risk else "any use") and terms["given_at"] is None
    decision = module.evaluate({"request_date": "2024-03-01", "high_risk": False, "setting": "home"})
    assert decision.to_dict()["terms"]["given_at"] == "home"
    jsonschema.validate(decision.to_dict(), schema.decision_schema(policy))
    assert 'scope = "any use"' in module.explain(decision)
    unknown = module.evaluate({"request_date": "2024-03-01", "high_risk": True}).to_dict()["terms"]
    assert unknown["approved_to"] == "2024-05-29" and unknown["doses"] is None  # the tier chooses: unknown
    assert format_source(CHOSEN, "chosen.policy")[0] == CHOSEN


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("otherwise strength * 0.1", "otherwise request_date"),
         "E203 a choice is between two numbers or two dates, not a number and a date"),
        (("= 5 when tier == 1 otherwise strength * 0.1", "= strength when tier == 1 otherwise tier"), None),
        (("otherwise strength * 0.1", "otherwise strength / tier"), "E203 a value chosen by a condition cannot divide"),
        (('otherwise "any use"', "otherwise 3"), "E203 a term in words is a text or an enum fact, not the number 3"),
        (("= 5 when tier == 1 otherwise strength * 0.1", "= 5 when tier otherwise 1"), "E206"),
        (("doses unit \"doses\" = 2 when", "doses unit \"doses\" = days_between(request_date, request_date) when"),
         "E208"),
    ],
)  # fmt: skip
def test_the_checker_on_a_chosen_term(edit: tuple[str, str], message: str | None) -> None:
    _, diagnostics = compile_source(CHOSEN.replace(*edit), "chosen.policy")
    errors = [f"{d.code} {d.message}" for d in diagnostics if d.code.startswith("E")]
    assert (not errors) if message is None else any(e.startswith(message) for e in errors), errors


def test_evaluators_and_models_of_chosen_terms_pass_ruff_and_mypy(tmp_path: Any) -> None:
    from tests.conftest import LINTERS, lint_generated

    policy, _ = compile_source(CHOSEN, "chosen.policy")
    # `x or not x` is true where x is known, unknown where it is not: written so that ruff (SIM221) passes it
    either = CHOSEN.replace(
        "approved when A.1\n    otherwise approved by A.1", "approved when A.1 or not A.1\n    otherwise unknown by A.1"
    )
    tautology, _ = compile_source(either.replace('"T-CHOSEN"', '"T-EITHER"'), "either.policy")
    assert policy is not None and tautology is not None
    module = python.load_module(tautology)
    for high_risk in (None, True, False):
        request = {"request_date": "2024-03-01", "high_risk": high_risk}
        assert module.evaluate(request).outcome == ("unknown" if high_risk is None else "approved")
        assert interpret.evaluate(tautology, request)["outcome"] == module.evaluate(request).outcome
    for tool in LINTERS:
        lint_generated(tool, [policy, tautology], tmp_path)
