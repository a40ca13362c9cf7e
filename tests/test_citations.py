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
