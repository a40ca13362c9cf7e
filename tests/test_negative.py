"""Negative bounds and negative literals (issue 15, item 7): a change from baseline can fall."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema
import pytest

from compiler import compile_source, interpret, targets
from compiler.syntax.fmt import format_source
from compiler.targets import python, shared

SOURCE = """\
policy "T-NEG" {
    title: "Change from baseline"
    effective: 2025-01-01
}

fact change: decimal -100.0..200.5 unit "%"
    "Change in the score from baseline, in percent; negative when it fell."
fact delta: integer -10..10
    "Change in the stage."

section D "Criteria" {
    criterion D.1 "The score fell by more than 5 percent (a change below -5), or the stage by 2 or more (-2)."
        when change < -5.0 or delta <= -2
}

outcome yes "Covered."
outcome no "Not covered."
outcome unsure "More information needed."

decide {
    yes when D.1
    otherwise no
    unknown unsure
}
"""


def _policy() -> Any:
    policy, diagnostics = compile_source(SOURCE, "neg.policy")
    assert policy is not None, [d.message for d in diagnostics]
    assert not diagnostics, [d.message for d in diagnostics]
    return policy


POLICY = _policy()
MODULE = python.load_module(POLICY)


def _expected(change: Decimal | None, delta: int | None) -> str:
    """The policy's own words, with Fractions: a change below -5, or a delta of -2 or less."""
    fell = None if change is None else Fraction(change) < -5
    dropped = None if delta is None else delta <= -2
    if fell or dropped:
        return "yes"
    return "unsure" if fell is None or dropped is None else "no"


@pytest.mark.parametrize("change", [None, Decimal("-100.0"), Decimal("-5.0001"), Decimal("-5"), Decimal("-4.9999"),
                                    Decimal("0"), Decimal("200.5")])  # fmt: skip
@pytest.mark.parametrize("delta", [None, -10, -3, -2, -1, 0, 10])
def test_negative_thresholds_decide_exactly(change: Decimal | None, delta: int | None) -> None:
    request = {"change": change, "delta": delta}
    assert MODULE.evaluate(request).outcome == _expected(change, delta)
    assert interpret.evaluate(POLICY, request)["outcome"] == _expected(change, delta)


def test_values_below_a_negative_bound_are_refused() -> None:
    with pytest.raises(MODULE.InvalidRequest) as raised:
        MODULE.evaluate({"change": -100.5, "delta": -11})
    assert {e.field for e in raised.value.errors} == {"change", "delta"}
    assert "from -100.0 to 200.5" in str(raised.value) and "from -10 to 10" in str(raised.value)


def test_the_schema_states_the_negative_bounds() -> None:
    files = targets.emit("schema", POLICY)
    request = json.loads(next(text for path, text in files.items() if path.name.endswith("request.schema.json")))
    assert request["properties"]["change"]["minimum"] == -100
    assert request["properties"]["delta"]["minimum"] == -10
    jsonschema.validate({"change": -5.5, "delta": -10}, request)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"delta": -11}, request)


def test_the_formatter_keeps_the_signs() -> None:
    assert format_source(SOURCE, "neg.policy")[0] == SOURCE
    spaced = SOURCE.replace("delta <= -2", "delta <= - 2").replace("-10..10", "-10..+10")
    assert format_source(spaced, "neg.policy")[0] == SOURCE  # the canonical form: `-2`, no `+`


def test_a_sign_inside_a_wording_range_is_not_a_minus() -> None:
    source = SOURCE.replace("(-2)", "(-2; stages 1-4)")
    policy, diagnostics = compile_source(source, "neg.policy")
    assert policy is not None
    assert [d.message for d in diagnostics if d.code == "W105"] == [
        "the wording states 1, which the condition does not use",
        "the wording states 4, which the condition does not use",
    ]


def test_the_models_and_the_page_state_the_negative_bounds() -> None:
    models_text = next(iter(targets.emit("models", POLICY).values()))
    request = shared.load(models_text, "neg_models", "<neg_models>").Request
    assert request.model_validate({"change": -5.5, "delta": -10}).delta == -10
    with pytest.raises(ValueError):
        request.model_validate({"delta": -11})
    page = next(text for path, text in targets.emit("docs", POLICY).items() if path.suffix == ".md")
    assert "-100.0 to 200.5" in page and "-10 to 10" in page


def test_a_revision_may_be_dated_to_its_month_and_nothing_else_may() -> None:
    """Issue 15, item 7: "08-2022", as a policy states a version, is written 2022-08."""
    head = 'policy "T-M" {\n    title: "m"\n    effective: 2024-01-01\n}\nfact x: boolean "x"\n'
    tail = 'outcome yes "y"\noutcome no "n"\ndecide {\n    yes when A.1\n    otherwise no by A.1\n    unknown no\n}\n'
    history = 'section A "a" {\n    rule A.1 "x" when x\n    revision issued 2022-08\n    revision revised 2023-02-14\n'
    good = head + history + '    revision effective 2024-01\n}\n' + tail
    policy, diagnostics = compile_source(good, "m.policy")
    assert policy is not None, diagnostics
    from compiler import model

    history = [i for i in policy.sections[0].items if isinstance(i, model.HistoryEntry)]
    assert [e.date for e in history] == ["2022-08", "2023-02-14", "2024-01"]
    formatted = format_source(good, "m.policy")[0]
    assert formatted is not None and "revision issued 2022-08\n" in formatted and "effective 2024-01\n" in formatted
    backwards = good.replace("revision revised 2023-02-14", "revision revised 2022-07-31")
    assert [d.code for d in compile_source(backwards, "m.policy")[1]] == ["E501"]
    same_month = good.replace("revision revised 2023-02-14", "revision revised 2022-08-01")
    assert compile_source(same_month, "m.policy")[0] is not None  # within the month given: not before it
    for bad in (good.replace("effective: 2024-01-01", "effective: 2024-01"), good.replace("2022-08", "2022-13")):
        assert "E003" in [d.code for d in compile_source(bad, "m.policy")[1]]
