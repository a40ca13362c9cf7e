"""Every rule of ../shared/spec/MP-MM-1308-contract.md, against the generated evaluator and the oracle."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from compiler import interpret
from compiler.model import Policy
from tests.conftest import APPROVABLE, Decide, request_with


def outcome(decide: Decide, **changes: Any) -> tuple[str, str, list[str]]:
    d = decide(request_with(**changes))
    return d["outcome"], d["section"], d["missing"]


def test_the_base_request_is_medically_necessary(decide: Decide) -> None:
    d = decide(APPROVABLE)
    assert (d["outcome"], d["section"], d["missing"]) == ("medically_necessary", "D.I", [])
    assert d["policy"] == "MP-MM-1308"
    assert d["effective_date"] == "2025-11-01"


# -- 1. Applicability: states and dates ------------------------------------------------


@pytest.mark.parametrize("state", ["GA", "IN", "KY", "OH", "WV"])
def test_each_listed_state_is_governed(decide: Decide, state: str) -> None:
    assert outcome(decide, state=state)[0] == "medically_necessary"


@pytest.mark.parametrize("state", ["TX", "CA", "NC", "MI"])
def test_other_states_are_not_applicable(decide: Decide, state: str) -> None:
    assert outcome(decide, state=state) == ("not_applicable", "applicability", [])


@pytest.mark.parametrize(
    ("service_date", "expected"),
    [("2025-10-31", "not_applicable"), ("2025-11-01", "medically_necessary"), ("2030-06-30", "medically_necessary")],
)
def test_the_effective_date_boundary(decide: Decide, service_date: str, expected: str) -> None:
    assert outcome(decide, service_date=service_date)[0] == expected


@pytest.mark.parametrize(
    ("service_date", "expected"),
    [("2025-12-31", "medically_necessary"), ("2026-01-01", "not_applicable"), ("2027-03-01", "not_applicable")],
)
def test_kentucky_is_inactive_as_of_2026(decide: Decide, service_date: str, expected: str) -> None:
    assert outcome(decide, state="KY", service_date=service_date)[0] == expected


def test_other_states_stay_active_in_2026(decide: Decide) -> None:
    assert outcome(decide, state="OH", service_date="2026-01-01")[0] == "medically_necessary"


def test_unknown_state_is_insufficient_when_the_date_is_in_force(decide: Decide) -> None:
    assert outcome(decide, state=...) == ("insufficient_information", "applicability", ["state"])


def test_unknown_state_before_the_effective_date_is_not_applicable(decide: Decide) -> None:
    # Kleene: whatever the state, a date before 2025-11-01 is outside the policy.
    assert outcome(decide, state=None, service_date="2025-10-31")[0] == "not_applicable"


def test_unknown_date_is_insufficient_for_a_listed_state(decide: Decide) -> None:
    assert outcome(decide, service_date=...) == ("insufficient_information", "applicability", ["service_date"])


def test_unknown_date_in_an_unlisted_state_is_not_applicable(decide: Decide) -> None:
    assert outcome(decide, state="TX", service_date=None)[0] == "not_applicable"


def test_unknown_state_and_date_lists_both(decide: Decide) -> None:
    assert outcome(decide, state=..., service_date=...) == (
        "insufficient_information",
        "applicability",
        ["service_date", "state"],
    )


# -- 2. Experimental: any other indication (D.III) ----------------------------------------


@pytest.mark.parametrize(
    "diagnosis",
    [
        "secondary_achalasia",
        "esophageal_spasm",
        "jackhammer_esophagus",
        "egj_outflow_obstruction",
        "gastroparesis",
        "zenker_diverticulum",
        "other",
    ],
)
def test_other_indications_are_experimental(decide: Decide, diagnosis: str) -> None:
    assert outcome(decide, diagnosis=diagnosis) == ("experimental", "D.III", [])


def test_experimental_comes_before_contraindications_and_age(decide: Decide) -> None:
    d = outcome(decide, diagnosis="gastroparesis", contraindications=["esophageal_malignancy"], age=10)
    assert d[0] == "experimental"


def test_unknown_diagnosis_is_insufficient(decide: Decide) -> None:
    assert outcome(decide, diagnosis=...) == ("insufficient_information", "D.III", ["diagnosis"])


# -- 3. Contraindications (D.IV) and the clarification D.V -------------------------------------


CONTRAINDICATIONS = [
    "severe_erosive_esophagitis",
    "significant_coagulation_disorder",
    "cirrhosis_with_portal_hypertension",
    "severe_pulmonary_disease",
    "esophageal_malignancy",
    "mucosa_compromising_prior_therapy",
]


@pytest.mark.parametrize("contraindication", CONTRAINDICATIONS)
def test_each_contraindication(decide: Decide, contraindication: str) -> None:
    assert outcome(decide, contraindications=[contraindication]) == ("contraindicated", "D.IV", [])


def test_the_met_contraindication_is_named(decide: Decide) -> None:
    d = decide(request_with(contraindications=["severe_pulmonary_disease"]))
    met = [c["section"] for c in d["criteria"] if c["result"] == "met"]
    assert "D.IV.D" in met and "D.IV.A" not in met


def test_contraindications_come_before_age_review(decide: Decide) -> None:
    assert outcome(decide, contraindications=CONTRAINDICATIONS, age=12)[0] == "contraindicated"


def test_unknown_contraindications_are_insufficient(decide: Decide) -> None:
    assert outcome(decide, contraindications=None) == ("insufficient_information", "D.IV", ["contraindications"])


@pytest.mark.parametrize("therapies", [[], ["pneumatic_dilation"], ["botulinum_toxin", "heller_myotomy"], None])
def test_previous_therapies_are_not_contraindications(decide: Decide, therapies: list[str] | None) -> None:
    d = decide(request_with(prior_achalasia_therapies=therapies))
    assert d["outcome"] == "medically_necessary"
    assert d["clarifications"] == [
        {
            "section": "D.V",
            "wording": "Previous therapies for achalasia (eg, PD, botulinum toxin injection, or LHM) "
            "are not contraindications to POEM.",
            "clarifies": "D.IV",
            "facts": {"prior_achalasia_therapies": None if therapies is None else sorted(therapies)},
        }
    ]


def test_clarification_is_not_shown_before_contraindications_are_considered(decide: Decide) -> None:
    assert decide(request_with(state="TX"))["clarifications"] == []


# -- 4. Age review (D.II) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0, "needs_review"), (18, "needs_review"), (19, "medically_necessary"), (130, "medically_necessary")],
)
def test_members_18_or_younger_are_reviewed(decide: Decide, age: int, expected: str) -> None:
    assert outcome(decide, age=age)[0] == expected


def test_age_review_comes_before_the_criteria(decide: Decide) -> None:
    assert outcome(decide, age=16, eckardt_score=0) == ("needs_review", "D.II", [])


def test_unknown_age_is_insufficient(decide: Decide) -> None:
    assert outcome(decide, age=...) == ("insufficient_information", "D.II", ["age"])


# -- 5. The criteria of D.I --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "not_medically_necessary"),
        (2, "not_medically_necessary"),
        (3, "medically_necessary"),
        (12, "medically_necessary"),
    ],
)
def test_eckardt_threshold(decide: Decide, score: int, expected: str) -> None:
    assert outcome(decide, eckardt_score=score)[0] == expected


@pytest.mark.parametrize(
    ("failed", "candidate", "expected"),
    [
        (True, True, "medically_necessary"),
        (True, False, "medically_necessary"),
        (False, False, "medically_necessary"),
        (False, True, "not_medically_necessary"),
    ],
)
def test_failed_therapy_or_not_a_surgical_candidate(
    decide: Decide, failed: bool, candidate: bool, expected: str
) -> None:
    assert outcome(decide, failed_conventional_therapy=failed, heller_surgical_candidate=candidate)[0] == expected


def test_prior_open_surgery_is_not_medically_necessary(decide: Decide) -> None:
    assert outcome(decide, prior_open_foregut_surgery=True) == ("not_medically_necessary", "D.I", [])


@pytest.mark.parametrize("achalasia_type", ["I", "II", "III"])
def test_each_achalasia_type_meets_d_i_a(decide: Decide, achalasia_type: str) -> None:
    assert outcome(decide, achalasia_type=achalasia_type)[0] == "medically_necessary"


@pytest.mark.parametrize("fact", ["achalasia_type", "eckardt_score", "prior_open_foregut_surgery"])
def test_each_unknown_criterion_fact_is_insufficient(decide: Decide, fact: str) -> None:
    assert outcome(decide, **{fact: ...}) == ("insufficient_information", "D.I", [fact])


def test_failed_therapy_unknown_matters_only_for_a_surgical_candidate(decide: Decide) -> None:
    assert outcome(decide, failed_conventional_therapy=...)[0] == "insufficient_information"
    assert outcome(decide, failed_conventional_therapy=..., heller_surgical_candidate=False)[0] == "medically_necessary"
    assert outcome(decide, heller_surgical_candidate=...)[0] == "medically_necessary"
    assert outcome(decide, failed_conventional_therapy=False, heller_surgical_candidate=...)[2] == [
        "heller_surgical_candidate"
    ]


def test_a_false_criterion_beside_an_unknown_one_is_not_medically_necessary(decide: Decide) -> None:
    # Kleene: false and unknown is false.
    assert outcome(decide, eckardt_score=2, achalasia_type=...) == ("not_medically_necessary", "D.I", [])
    assert outcome(decide, prior_open_foregut_surgery=True, failed_conventional_therapy=...)[0] == (
        "not_medically_necessary"
    )


def test_missing_lists_the_unknown_facts_of_every_unknown_criterion(decide: Decide) -> None:
    assert outcome(decide, achalasia_type=..., eckardt_score=None, prior_open_foregut_surgery=...) == (
        "insufficient_information",
        "D.I",
        ["achalasia_type", "eckardt_score", "prior_open_foregut_surgery"],
    )


def test_an_unknown_fact_of_a_met_criterion_is_not_missing(decide: Decide) -> None:
    # D.I.B is met by failed therapy, so heller_surgical_candidate does not block D.I.
    assert outcome(decide, heller_surgical_candidate=..., eckardt_score=...)[2] == ["eckardt_score"]


def test_insufficient_information_says_what_to_ask_for(decide: Decide) -> None:
    d = decide(request_with(eckardt_score=...))
    assert d["requested_information"] == [
        {"fact": "eckardt_score", "description": "Eckardt symptom score.", "sections": ["D.I.C"]}
    ]


def test_an_empty_request_asks_for_state_and_date(decide: Decide) -> None:
    assert decide({})["missing"] == ["service_date", "state"]


# -- Advisories and explanations --------------------------------------------------------------------

GERD = (
    "Members receiving POEM should be made aware there is a high risk in developing GERD and will need "
    "to be advised of management considerations prior to undergoing the procedure."
)


@pytest.mark.parametrize(
    ("changes", "advised"),
    [
        ({}, True),
        ({"age": 17}, True),
        ({"eckardt_score": 1}, False),
        ({"state": "TX"}, False),
        ({"diagnosis": "other"}, False),
        ({"contraindications": ["esophageal_malignancy"]}, False),
        ({"age": None}, False),
    ],
)
def test_gerd_advisory_accompanies_necessary_and_review(decide: Decide, changes: dict[str, Any], advised: bool) -> None:
    d = decide(request_with(**changes))
    assert d["advisories"] == ([{"section": "D.VI", "wording": GERD}] if advised else [])


def test_criteria_carry_section_wording_facts_and_result(decide: Decide) -> None:
    d = decide(request_with(eckardt_score=2, achalasia_type=...))
    by_section = {c["section"]: c for c in d["criteria"]}
    assert list(by_section) == [
        "applicability", "D.III", "D.IV", "D.IV.A", "D.IV.B", "D.IV.C", "D.IV.D", "D.IV.E", "D.IV.F",
        "D.II", "D.I", "D.I.A", "D.I.B", "D.I.C", "D.I.D",
    ]  # fmt: skip
    assert by_section["D.I.C"] == {
        "section": "D.I.C",
        "cited_as": "D.I.C",  # the policy numbers it so itself
        "kind": "criterion",
        "wording": "Eckardt symptom score is greater than or equal to 3.",
        "facts": {"eckardt_score": 2},
        "result": "not_met",
    }
    assert by_section["D.I.A"]["result"] == "unknown"
    assert by_section["D.I.A"]["facts"] == {"diagnosis": "primary_achalasia", "achalasia_type": None}
    assert by_section["D.I"]["result"] == "not_met"


def test_lean_path_decides_the_same_without_criteria(evaluator: ModuleType) -> None:
    full = evaluator.evaluate(request_with(eckardt_score=...))
    lean = evaluator.evaluate(request_with(eckardt_score=...), explain=False)
    assert (lean.outcome, lean.section, lean.missing, lean.advisories) == (
        full.outcome,
        full.section,
        full.missing,
        full.advisories,
    )
    assert lean.criteria == ()


# -- Invalid requests: an error naming every offending key, never an outcome ---------------------------


INVALID = [
    ({"agee": 40}, [("agee", 'not a fact of this policy (did you mean "age"?)')]),
    ({"age": "6"}, [("age", "expected an integer, got string")]),
    ({"age": True}, [("age", "expected an integer, got boolean")]),
    ({"age": 45.5}, [("age", "expected an integer, got number")]),
    ({"age": float("nan")}, [("age", "expected an integer, got NaN")]),
    ({"age": 1e300}, [("age", "must be an integer from 0 to 130")]),
    ({"age": 131}, [("age", "must be an integer from 0 to 130")]),
    ({"age": -1}, [("age", "must be an integer from 0 to 130")]),
    ({"eckardt_score": 13}, [("eckardt_score", "must be an integer from 0 to 12")]),
    ({"failed_conventional_therapy": 1}, [("failed_conventional_therapy", "expected true or false, got number")]),
    ({"failed_conventional_therapy": "true"}, [("failed_conventional_therapy", "expected true or false, got string")]),
    (
        {"diagnosis": "achalasia"},
        [
            (
                "diagnosis",
                '"achalasia" is not one of: '
                + ", ".join(
                    [
                        "primary_achalasia",
                        "secondary_achalasia",
                        "esophageal_spasm",
                        "jackhammer_esophagus",
                        "egj_outflow_obstruction",
                        "gastroparesis",
                        "zenker_diverticulum",
                        "other",
                    ]
                ),
            )
        ],
    ),  # fmt: skip
    ({"achalasia_type": "IV"}, [("achalasia_type", '"IV" is not one of: I, II, III')]),
    ({"service_date": "2026-02-30"}, [("service_date", '"2026-02-30" is not a real date')]),
    ({"service_date": "2026-2-3"}, [("service_date", '"2026-2-3" is not a date in the form YYYY-MM-DD')]),
    ({"service_date": "20260203"}, [("service_date", '"20260203" is not a date in the form YYYY-MM-DD')]),
    ({"service_date": 20260203}, [("service_date", "expected a date string YYYY-MM-DD, got number")]),
    ({"state": "oh"}, [("state", '"oh" does not match [A-Z]{2}')]),
    ({"state": "OHIO"}, [("state", '"OHIO" does not match [A-Z]{2}')]),
    ({"contraindications": "esophageal_malignancy"}, [("contraindications", "expected an array, got string")]),
    (
        {"contraindications": ["esophageal_malignancy", "esophageal_malignancy"]},
        [("contraindications[1]", '"esophageal_malignancy" is repeated')],
    ),
    (
        {"prior_achalasia_therapies": ["surgery"]},
        [
            (
                "prior_achalasia_therapies[0]",
                '"surgery" is not one of: pneumatic_dilation, botulinum_toxin, heller_myotomy',
            )
        ],
    ),
    ({"prior_achalasia_therapies": [1]}, [("prior_achalasia_therapies[0]", "expected a string, got number")]),
]


@pytest.mark.parametrize(("changes", "errors"), INVALID)
def test_invalid_requests_name_the_offending_field(
    evaluator: ModuleType, policy: Policy, changes: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    request = {**APPROVABLE, **changes}
    with pytest.raises(evaluator.InvalidRequest) as generated:
        evaluator.evaluate(request)
    assert [(e.field, e.message) for e in generated.value.errors] == errors
    with pytest.raises(interpret.InvalidRequest) as oracle:
        interpret.evaluate(policy, request)
    assert oracle.value.errors == errors


def test_every_offending_field_is_reported_at_once(evaluator: ModuleType) -> None:
    with pytest.raises(evaluator.InvalidRequest) as raised:
        evaluator.evaluate({"age": "6", "eckardt_score": 99, "stat": "OH", "contraindications": ["x", "x"]})
    assert [e.field for e in raised.value.errors] == [
        "age",
        "contraindications[0]",
        "contraindications[1]",
        "eckardt_score",
        "stat",
    ]


@pytest.mark.parametrize("request_value", [[], "OH", 3, None, True])
def test_a_request_must_be_an_object(evaluator: ModuleType, request_value: object) -> None:
    with pytest.raises(evaluator.InvalidRequest) as raised:
        evaluator.evaluate(request_value)
    assert raised.value.errors[0].field == "$"


def test_a_whole_number_written_with_a_fraction_is_an_integer(decide: Decide) -> None:
    # JSON (and JSON Schema) do not tell 45.0 from 45.
    assert outcome(decide, age=45.0, eckardt_score=3.0)[0] == "medically_necessary"


def test_null_is_unknown_not_invalid(decide: Decide) -> None:
    assert outcome(decide, eckardt_score=None)[0] == "insufficient_information"
