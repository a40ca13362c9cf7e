"""`x is known` (issue 15, item 2, in part): a condition on whether a fact was given, never unknown itself."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_source, interpret
from compiler.syntax.fmt import format_source
from compiler.targets import python
from tests.conftest import LINTERS, lint_generated

SOURCE = """\
policy "T-KNOWN" {
    title: "Blood gases"
    effective: 2025-01-01
}

fact abg_po2: integer 0..200 unit "mmHg"
    "Arterial PO2, when an arterial blood gas was done."
fact oximetry: integer 0..100 unit "%"
    "Oxygen saturation by oximetry, when it was measured."
fact on_oxygen: boolean
    "The patient is on oxygen at the test."

section D "Criteria" {
    criterion D.1 "PO2 55 or less, or saturation 88 or less; the blood gas is preferred when both were done."
        when abg_po2 is known and abg_po2 <= 55
            or abg_po2 is not known and oximetry <= 88
    criterion D.2 "Tested at rest, on room air, or on oxygen only when that is stated."
        when on_oxygen is known
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when D.1
    otherwise not_covered by D.1
    unknown unsure
}
"""

POLICY, DIAGNOSTICS = compile_source(SOURCE, "known.policy")


def _expected(abg: int | None, oximetry: int | None) -> str:
    """The policy's words: the blood gas when it was done, else oximetry; unknown only when neither decides."""
    if abg is not None:
        return "covered" if abg <= 55 else "not_covered"
    if oximetry is None:
        return "unsure"
    return "covered" if oximetry <= 88 else "not_covered"


def test_it_compiles_without_a_word() -> None:
    assert POLICY is not None and [d.message for d in DIAGNOSTICS] == []


@pytest.mark.parametrize(("abg", "oximetry"), list(itertools.product([None, 40, 55, 56, 120], [None, 80, 88, 89])))
def test_a_known_fact_is_preferred_and_an_unknown_one_is_not_missing(abg: int | None, oximetry: int | None) -> None:
    assert POLICY is not None
    module = python.load_module(POLICY)
    request: dict[str, Any] = {"abg_po2": abg, "oximetry": oximetry}
    decision = module.evaluate(request)
    assert decision.outcome == _expected(abg, oximetry)
    assert interpret.evaluate(POLICY, request)["outcome"] == decision.outcome
    assert module.evaluate(request, explain=False).outcome == decision.outcome
    if decision.outcome == "unsure":
        assert decision.missing == ("oximetry",)  # never abg_po2: whether it is known is known


def test_is_known_is_never_unknown() -> None:
    assert POLICY is not None
    module = python.load_module(POLICY)
    for value in (None, True, False):
        assert module._D_2(module.validate({"on_oxygen": value})) is (value is not None)


def test_the_formatter_and_the_checker() -> None:
    assert format_source(SOURCE, "known.policy")[0] == SOURCE
    policy, diagnostics = compile_source(SOURCE.replace("on_oxygen is known", "3 is known"), "known.policy")
    assert policy is None
    assert [d.message for d in diagnostics if d.code == "E203"] == ["'is known' tests a fact or a computed value"]


# -- Absence (item 2): a request says a fact does not exist, which is not unknown ------------------

ABSENT_SOURCE = """\
policy "T-ABSENT" {
    title: "Blood gases, some not done"
    effective: 2025-01-01
}

fact abg_po2: integer 0..200 unit "mmHg" or absent
    "Arterial PO2; absent when no arterial blood gas was done."
fact oximetry: integer 0..100 unit "%"
    "Oxygen saturation by oximetry."
fact tests: list of {
    kind: enum { exercise, sleep },
    result: integer 0..100 unit "%" or absent "Absent when the test could not be completed.",
}
    "Other oxygen tests."

section D "Criteria" {
    criterion D.1 "PO2 55 or less, or saturation 88 or less; the blood gas is preferred when it was done."
        when abg_po2 is present and abg_po2 <= 55
            or abg_po2 is absent and oximetry <= 88
    criterion D.2 "A completed sleep test with a saturation of 88 or less."
        when any t in tests such that (
            t.kind == sleep and t.result is present and t.result <= 88
        )
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when D.1
    covered when D.2
    otherwise not_covered by D.1
    unknown unsure
}
"""

ABSENT_POLICY, ABSENT_DIAGNOSTICS = compile_source(ABSENT_SOURCE, "absent.policy")
ABSENT = {"absent": True}
GIVEN: list[Any] = [None, ABSENT, 40, 55, 56]


def _truth_of_d1(abg: Any, oximetry: int | None) -> bool | None:
    """D.1 by its wording over every way to complete what is unknown: a blood gas not reported may
    be low, high or not done; true or false only when every completion agrees."""
    results = {
        (gas <= 55) if gas is not ABSENT else (ox <= 88)
        for gas in ([abg] if abg is not None else [ABSENT, 40, 120])
        for ox in ([oximetry] if oximetry is not None else [80, 95])
    }
    return results.pop() if len(results) == 1 else None


def test_absence_compiles_without_a_word() -> None:
    assert ABSENT_POLICY is not None and [d.message for d in ABSENT_DIAGNOSTICS] == []


@pytest.mark.parametrize(("abg", "oximetry"), list(itertools.product(GIVEN, [None, 80, 88, 89])))
def test_an_absent_fact_is_known_and_decides_where_an_unknown_one_asks(abg: Any, oximetry: int | None) -> None:
    assert ABSENT_POLICY is not None
    module = python.load_module(ABSENT_POLICY)
    request: dict[str, Any] = {"abg_po2": abg, "oximetry": oximetry, "tests": []}
    decision = module.evaluate(request)
    expected = {True: "covered", False: "not_covered", None: "unsure"}[_truth_of_d1(abg, oximetry)]
    assert decision.outcome == expected
    assert interpret.evaluate(ABSENT_POLICY, request) == decision.to_dict()
    assert module.evaluate(request, explain=False).outcome == expected
    if expected == "unsure":  # what could still change it: never a fact said to be absent
        assert set(decision.missing) == {name for name, v in request.items() if v is None}
        assert "abg_po2" not in decision.missing or abg is None


def test_an_absent_fact_shows_as_absent_in_the_explanation() -> None:
    assert ABSENT_POLICY is not None
    module = python.load_module(ABSENT_POLICY)
    decision = module.evaluate({"abg_po2": ABSENT, "oximetry": 85, "tests": []}).to_dict()
    assert decision["criteria"][0]["facts"] == {"abg_po2": {"absent": True}, "oximetry": 85}


@pytest.mark.parametrize(
    ("result", "expected"), [(ABSENT, "not_covered"), (None, "unsure"), (80, "covered"), (95, "not_covered")]
)
def test_a_record_field_may_be_absent(result: Any, expected: str) -> None:
    assert ABSENT_POLICY is not None
    module = python.load_module(ABSENT_POLICY)
    request = {"abg_po2": 70, "oximetry": 95, "tests": [{"kind": "sleep", "result": result}]}
    decision = module.evaluate(request)
    assert decision.outcome == expected
    assert interpret.evaluate(ABSENT_POLICY, request) == decision.to_dict()
    shown = decision.to_dict()["criteria"][1]["facts"]["tests"][0]["result"]
    assert shown == result


@pytest.mark.parametrize(
    ("request_", "errors"),
    [
        ({"oximetry": ABSENT}, [("oximetry", "cannot be absent: the policy gives no meaning to its absence")]),
        ({"tests": ABSENT}, [("tests", "cannot be absent: the policy gives no meaning to its absence")]),
        ({"abg_po2": {"absent": False}}, [("abg_po2", 'an absent value is written {"absent": true}')]),
        ({"abg_po2": {"absent": 1}}, [("abg_po2", 'an absent value is written {"absent": true}')]),
        ({"abg_po2": {"absent": True, "why": "x"}}, [("abg_po2", 'an absent value is written {"absent": true}')]),
        ({"abg_po2": {"value": 3}}, [("abg_po2", "expected an integer, got object")]),
        (
            {"tests": [{"kind": ABSENT, "result": ABSENT}]},
            [("tests[0].kind", "cannot be absent: the policy gives no meaning to its absence")],
        ),
    ],
)
def test_absence_is_refused_where_the_policy_gives_it_no_meaning(
    request_: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    assert ABSENT_POLICY is not None
    module = python.load_module(ABSENT_POLICY)
    with pytest.raises(module.InvalidRequest) as raised:
        module.evaluate(request_)
    assert [(e.field, e.message) for e in raised.value.errors] == errors
    with pytest.raises(interpret.InvalidRequest) as oracle:
        interpret.evaluate(ABSENT_POLICY, request_)
    assert oracle.value.errors == errors


def test_the_schema_and_the_models_accept_absence_exactly_where_the_evaluator_does() -> None:
    import jsonschema

    from compiler.targets import pydantic_models, schema, shared

    assert ABSENT_POLICY is not None
    validator = jsonschema.Draft202012Validator(schema.request_schema(ABSENT_POLICY))
    models = shared.load(pydantic_models.render(ABSENT_POLICY), "absent_models", "<absent models>")
    module = python.load_module(ABSENT_POLICY)
    for request in [
        {"abg_po2": ABSENT},
        {"tests": [{"kind": "sleep", "result": ABSENT}]},
        {"oximetry": ABSENT},
        {"abg_po2": {"absent": False}},
        {"abg_po2": {"absent": 1}},
        {"tests": [{"kind": ABSENT}]},
    ]:
        try:
            module.validate(request)
            valid = True
        except module.InvalidRequest:
            valid = False
        assert validator.is_valid(request) == valid, request
        try:
            models.Request.model_validate(request)
            assert valid, request
        except ValueError:
            assert not valid, request


def test_is_known_holds_for_an_absent_fact() -> None:
    """Known means the request said something: a value, or that there is none."""
    condition = "abg_po2 is present and abg_po2 <= 55\n            or abg_po2 is absent and oximetry <= 88"
    policy, _ = compile_source(ABSENT_SOURCE.replace(condition, "abg_po2 is known"), "absent.policy")
    assert policy is not None
    module = python.load_module(policy)
    for given, known in [(ABSENT, True), (None, False), (40, True)]:
        assert module._D_1(module.validate({"abg_po2": given})) is known
        result = interpret.evaluate(policy, {"abg_po2": given})["criteria"][0]["result"]
        assert result == ("met" if known else "not_met")


def test_the_formatter_keeps_or_absent() -> None:
    assert format_source(ABSENT_SOURCE, "absent.policy")[0] == ABSENT_SOURCE


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            ("oximetry <= 88", "oximetry <= 88 and oximetry is present"),
            "E214",
            "'oximetry' is not declared `or absent`: when it is known, it is present",
        ),
        (
            ('fact oximetry: integer 0..100 unit "%"', 'fact oximetry: set of { a, b } or absent'),
            "E123",
            "'oximetry' is a set, which may be empty: `or absent` is for a single value",
        ),
        (
            ("fact oximetry:", "fact absent:"),
            "E107",
            "'absent' cannot name a fact, value or field: the evaluator lists the facts a request says are absent "
            "under that name",
        ),
        (
            ("abg_po2 is present and abg_po2 <= 55", "abg_po2 <= 55"),
            "W107",
            "'abg_po2' may be absent, and this reads it without testing `abg_po2 is present`: when it is absent "
            "the condition is unknown",
        ),
        (
            ("t.result is present and t.result <= 88", "t.result <= 88"),
            "W107",
            "'t.result' may be absent, and this reads it without testing `t.result is present`: when it is absent "
            "the condition is unknown",
        ),
    ],
)
def test_the_checker_on_absence(change: tuple[str, str], code: str, message: str) -> None:
    _, diagnostics = compile_source(ABSENT_SOURCE.replace(*change), "absent.policy")
    assert message in [d.message for d in diagnostics if d.code == code]


def test_diff_reports_a_fact_that_may_now_be_absent_and_what_it_changes() -> None:
    from compiler import diff

    old, _ = compile_source(
        ABSENT_SOURCE.replace(" or absent\n    \"Arterial", "\n    \"Arterial").replace(
            "abg_po2 is present and abg_po2 <= 55\n            or abg_po2 is absent and oximetry <= 88",
            "abg_po2 is known and abg_po2 <= 55\n            or abg_po2 is not known and oximetry <= 88",
        ),
        "old.policy",
    )
    assert old is not None and ABSENT_POLICY is not None
    assert [c.text for c in diff.changes(old, ABSENT_POLICY) if c.kind == "fact"] == [
        "fact abg_po2: integer 0..200 unit \"mmHg\" -> integer 0..200 unit \"mmHg\" or absent"
    ]
    impact = diff.impact(old, ABSENT_POLICY, python.load_module(old), python.load_module(ABSENT_POLICY))
    changed = {(before.split(" ")[0], after.split(" ")[0]) for _, before, after in impact.examples}
    assert ("invalid", "covered") in changed  # {"absent": true} is new
    assert ("covered", "unsure") in changed  # an unreported gas no longer reads as "not done"


@pytest.mark.parametrize("tool", LINTERS)
def test_evaluators_and_models_of_absence_pass_ruff_and_mypy(tool: list[str], tmp_path: Path) -> None:
    assert ABSENT_POLICY is not None
    lint_generated(tool, [ABSENT_POLICY], tmp_path)
