"""What a decision lists: the provision that decided it, those below it, and those its conditions refer to."""

from __future__ import annotations

from typing import Any

from compiler import compile_source, interpret
from compiler.targets import python

SOURCE = """\
policy "T-REF" {
    title: "A shared requirement"
    effective: 2025-01-01
}

fact age: integer 0..120
    "Age in years."
fact referred: boolean
    "A specialist referred the member."
fact indication: enum { a, b }
    "The indication."

section B "Coverage" {
    criterion B.1 "The member is 18 or older and was referred by a specialist."
        when age >= 18 and referred
    criterion B.2 "Indication a, with the requirements of B.1."
        when indication == a and B.1
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when B.2
    otherwise not_covered by B.2
    unknown unsure
}
"""

POLICY, DIAGNOSTICS = compile_source(SOURCE, "ref.policy")
assert POLICY is not None, DIAGNOSTICS
MODULE = python.load_module(POLICY)


def test_the_explanation_walks_into_a_referenced_provision() -> None:
    request: dict[str, Any] = {"age": 40, "referred": True, "indication": "a"}
    decision = MODULE.evaluate(request)
    criteria = decision.to_dict()["criteria"]
    assert [c["section"] for c in criteria] == ["B.2", "B.1"]
    assert criteria[1]["facts"] == {"age": 40, "referred": True} and criteria[1]["result"] == "met"
    assert interpret.evaluate(POLICY, request)["criteria"] == criteria
    assert "[met] B.1: The member is 18 or older" in MODULE.explain(decision)


def test_every_request_lists_the_same_as_the_interpreter() -> None:
    for age in (None, 17, 18):
        for referred in (None, False, True):
            for indication in (None, "a", "b"):
                request = {"age": age, "referred": referred, "indication": indication}
                decided = MODULE.evaluate(request).to_dict()
                assert interpret.evaluate(POLICY, request) == decided
                assert MODULE.evaluate(request, explain=False).outcome == decided["outcome"]


COMBINED = """\
policy "T-COMBINED" {
    title: "A rule that combines provisions"
    effective: 2025-01-01
}

fact age: integer 0..120
    "Age in years."
fact referred: boolean
    "A specialist referred the member."
fact excluded: boolean
    "An exclusion applies."

section B "Coverage" {
    criterion B.1 "The member is 18 or older."
        when age >= 18
    criterion B.7 "A specialist referred the member."
        when referred
    rule B.9 "Exclusions."
        when excluded
}

outcome covered "Covered."
outcome not_covered "Not covered."
outcome unsure "More information needed."

decide {
    covered when B.1 and B.7 and not B.9
    otherwise not_covered by B.1
    unknown unsure
}
"""


def test_a_rule_that_combines_provisions_cites_them_all() -> None:
    policy, diagnostics = compile_source(COMBINED, "combined.policy")
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    for age in (None, 17, 18):
        for referred in (None, False, True):
            for excluded in (None, False, True):
                request = {"age": age, "referred": referred, "excluded": excluded}
                ours, oracle = module.evaluate(request), interpret.evaluate(policy, request)
                as_dict = ours.to_dict()
                for key in ("outcome", "section", "sections", "missing", "criteria", "requested_information"):
                    assert as_dict[key] == oracle[key], (request, key)
                holds = age == 18 and referred is True and excluded is False
                assert (ours.outcome == "covered") == holds
                if holds:
                    assert ours.sections == ("B.1", "B.7", "B.9") and ours.section == "B.1"
                    assert [c["section"] for c in as_dict["criteria"]] == ["B.1", "B.7", "B.9"]
                    assert "decided by B.1, B.7, B.9" in module.explain(ours)
                elif ours.outcome == "not_covered":
                    assert ours.sections == ("B.1",)  # the fallback's own basis
    unknown = module.evaluate({"age": 40, "referred": True})
    assert (unknown.outcome, unknown.missing) == ("unsure", ("excluded",))


def test_a_rule_combines_provisions_only() -> None:
    source = COMBINED.replace("covered when B.1 and B.7 and not B.9", "covered when B.1 and age > 20")
    _, diagnostics = compile_source(source, "combined.policy")
    assert [d.code for d in diagnostics] == ["E404"]


# -- The policy's own labels (issue 15, item 7) ------------------------------------------------

LABELLED = SOURCE.replace('criterion B.1 "The member', 'criterion B.1 as "410.37(e)(3)" "The member').replace(
    'criterion B.2 "Indication', 'criterion B.2 as "Step Therapy" "Indication'
)


def test_a_decision_cites_a_provision_by_the_policys_own_label() -> None:
    import json

    import jsonschema

    from compiler.targets import schema

    policy, diagnostics = compile_source(LABELLED, "ref.policy")
    assert policy is not None, diagnostics
    module = python.load_module(policy)
    request: dict[str, Any] = {"age": 40, "referred": True, "indication": "a"}
    decision = module.evaluate(request)
    criteria = decision.to_dict()["criteria"]
    assert [(c["section"], c["cited_as"]) for c in criteria] == [("B.2", "Step Therapy"), ("B.1", "410.37(e)(3)")]
    assert interpret.evaluate(policy, request)["criteria"] == criteria
    assert json.loads(decision.to_json())["criteria"] == criteria  # the fast JSON says the same
    jsonschema.validate(decision.to_dict(), schema.decision_schema(policy))
    assert "[met] B.1 (410.37(e)(3)): The member is 18 or older" in module.explain(decision)
    assert [(c["section"], c["cited_as"]) for c in MODULE.evaluate(request).to_dict()["criteria"]] == [
        ("B.2", "B.2"),
        ("B.1", "B.1"),
    ]  # a provision without a label of its own is cited by its section


def test_a_label_of_the_policys_own_is_formatted_diffed_and_never_shared() -> None:
    from compiler import diff
    from compiler.syntax.fmt import format_source

    assert format_source(LABELLED, "ref.policy")[0] == LABELLED
    policy, _ = compile_source(LABELLED, "ref.policy")
    assert policy is not None and POLICY is not None
    assert {c.subject for c in diff.changes(POLICY, policy)} == {"B.1", "B.2"}
    _, diagnostics = compile_source(LABELLED.replace('as "Step Therapy"', 'as "410.37(e)(3)"'), "ref.policy")
    assert [(d.code, d.message) for d in diagnostics] == [
        ("E304", "'B.2' is cited as '410.37(e)(3)', which already cites 'B.1'")
    ]
    _, diagnostics = compile_source(LABELLED.replace('as "Step Therapy"', 'as "B.1"'), "ref.policy")
    assert [d.code for d in diagnostics] == ["E304"]
