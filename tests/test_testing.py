"""Test cases next to a policy: checking them, running them, coverage, and `policyc test`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import load, testing
from compiler.diagnostics import render_all
from compiler.targets import python
from tests.conftest import POLICY_SOURCE, ROOT

POLICY = load(POLICY_SOURCE)
EVALUATOR = python.load_module(POLICY)
TESTS = testing.tests_path(POLICY_SOURCE)

BASE = """
request adult {
    state: "OH"
    service_date: "2025-12-01"
    age: 45
    diagnosis: "primary_achalasia"
    achalasia_type: "II"
    failed_conventional_therapy: true
    heller_surgical_candidate: true
    eckardt_score: 6
    prior_open_foregut_surgery: false
    contraindications: []
    prior_achalasia_therapies: []
}
"""


def cases(text: str) -> tuple[list[testing.Case], str]:
    found, diagnostics = testing.load_cases(POLICY, BASE + text, "t.tests")
    return found, render_all(diagnostics, {"t.tests": BASE + text})


def policyc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "policyc"
    return subprocess.run([str(executable), *args], capture_output=True, text=True, cwd=cwd)


# -- The cases of MP-MM-1308 -----------------------------------------------------------------


def test_mp_mm_1308_has_at_least_thirty_cases_and_they_all_pass() -> None:
    found, diagnostics = testing.load_cases(POLICY, TESTS.read_text(encoding="utf-8"), str(TESTS))
    assert not diagnostics
    assert len(found) >= 30
    results = testing.run(POLICY, found, EVALUATOR)
    assert [r.problems for r in results if not r.passed] == []
    assert {c.expect for c in found} == {o.name for o in POLICY.outcomes} | {"invalid"}


def test_their_coverage_reaches_every_reachable_value() -> None:
    found, _ = testing.load_cases(POLICY, TESTS.read_text(encoding="utf-8"), str(TESTS))
    covered = testing.coverage(POLICY, testing.run(POLICY, found, EVALUATOR))
    missed = {(item.label, side) for item in covered.items for side in item.uncovered}
    # D.I is reached only with a primary achalasia diagnosis (D.III) and every subtype is I, II or III:
    # D.I.A cannot be false, and coverage says so rather than hiding it.
    assert missed == {("D.I.A", "false")}


# -- Checking a test file ------------------------------------------------------------------------


def test_a_case_overrides_its_base_and_null_makes_a_fact_unknown() -> None:
    [case], report = cases('case "c" from adult expect needs_review by D.II { age: 18 eckardt_score: null }')
    assert report == ""
    assert case.request["age"] == 18 and "eckardt_score" not in case.request
    assert case.request["state"] == "OH"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('case "c" from adults expect medically_necessary {}', "error[E703]: 'adults' is not a request"),
        ('case "c" from adult expect medicaly_necessary {}', "did you mean 'medically_necessary'?"),
        ('case "c" from adult expect medically_necessary by D.IX {}', "error[E705]: 'D.IX' is not a section"),
        ('case "c" from adult expect insufficient_information missing [agee] {}', "'agee' is not a fact"),
        ('case "c" {}\ncase "c" {}', "syntax error"),
        ('case "c" expect experimental {}\ncase "c" expect experimental {}', 'error[E702]: case "c" is defined twice'),
        ("request adult {}", "error[E701]: request 'adult' is defined twice"),
        ('case "c" from adult expect medically_necessary { eckhardt_score: 6 }', "warning[W701]"),
    ],
)
def test_mistakes_in_a_test_file_point_at_line_and_column(text: str, expected: str) -> None:
    _, report = cases(text)
    assert expected in report
    assert "t.tests:" in report


def test_a_warning_about_a_request_is_given_once_for_all_the_cases_that_use_it() -> None:
    text = "request odd {\n    bogus: 1\n}\n"
    text += 'case "a" from odd expect needs_review {}\ncase "b" from odd expect needs_review {}'
    _, report = cases(text)
    assert report.count("warning[W701]") == 1


def test_a_misspelt_fact_is_fine_when_the_case_expects_the_request_to_be_rejected() -> None:
    found, report = cases('case "c" from adult expect invalid { eckhardt_score: 6 }')
    assert report == ""
    assert testing.run(POLICY, found, EVALUATOR)[0].passed


# -- Running cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("expect medically_necessary by D.II { age: 18 }", "expected medically_necessary, got needs_review (by D.II)"),
        ("expect needs_review by D.I { age: 18 }", "expected section D.I, got D.II"),
        ("expect insufficient_information missing [age] { eckardt_score: null }", "expected missing [age]"),
        ("expect invalid { age: 40 }", "expected the request to be invalid, got medically_necessary"),
        ('expect medically_necessary { age: "40" }', "the request is invalid: age: expected an integer"),
    ],
)
def test_a_failing_case_says_what_differs(case: str, problem: str) -> None:
    found, report = cases(f'case "c" from adult {case}')
    assert report == ""
    [result] = testing.run(POLICY, found, EVALUATOR)
    assert not result.passed
    assert any(problem in p for p in result.problems), result.problems


def test_a_disagreement_between_evaluator_and_interpreter_is_a_failure() -> None:
    found, _ = cases('case "c" from adult expect medically_necessary {}')
    broken = python.load_module(POLICY)
    original = broken.evaluate
    broken.evaluate = lambda request, explain=True: original(request)._replace(section="D.II")
    [result] = testing.run(POLICY, found, broken)
    assert any("reference interpreter" in p for p in result.problems)


def test_coverage_counts_each_value_of_each_rule_and_provision() -> None:
    found, _ = cases('case "a" from adult expect medically_necessary {}\ncase "b" expect insufficient_information {}')
    covered = testing.coverage(POLICY, testing.run(POLICY, found, EVALUATOR))
    items = {item.label: item for item in covered.items}
    assert items["D.I.C"].counts == {"true": 1, "false": 0, "unknown": 0}
    assert items["applicability"].counts == {"true": 1, "false": 0, "unknown": 1}
    # `not_applicable when not applicable`: applicable means the rule's condition is false.
    assert items["not_applicable when not applicable"].counts == {"true": 0, "false": 1, "unknown": 1}
    assert covered.total == 3 * len(covered.items)
    assert 0 < covered.percent < 100


# -- The command ---------------------------------------------------------------------------------------


def test_policyc_test_passes_on_the_policies() -> None:
    done = policyc("test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MP-MM-1308: " in done.stdout and " passed, 0 failed" in done.stdout


def test_policyc_test_coverage_as_text_and_json() -> None:
    done = policyc("test", "--coverage", str(TESTS))
    assert done.returncode == 0
    line = next(p.line for p in POLICY.provisions if p.label == "D.I.A")
    assert f"policies/MP-MM-1308.policy:{line}: provision D.I.A was never false" in done.stdout
    report = json.loads(policyc("test", "--json", str(POLICY_SOURCE)).stdout)
    [policy] = report["policies"]
    assert report["passed"] and policy["failures"] == []
    assert policy["coverage"]["covered"] == policy["coverage"]["total"] - 1


def test_min_coverage_counts_what_a_request_can_reach(tmp_path: Path) -> None:
    """D.I.A is never false where a decision lists it (D.II decides every minor first): the solver proves
    it, so MP-MM-1308's cases cover all that can be covered; one case alone covers far less."""
    done = policyc("test", "--min-coverage", "100", str(POLICY_SOURCE))
    assert done.returncode == 0, done.stdout
    assert "provision D.I.A was never false: no decision that lists it finds it false" in done.stdout
    assert "MP-MM-1308: 100.0% of the values that a request can reach" in done.stdout
    shutil.copy(POLICY_SOURCE, tmp_path / "P.policy")
    one = BASE + '\ncase "One" from adult expect medically_necessary {\n}\n'
    (tmp_path / "P.tests").write_text(one, encoding="utf-8")
    done = policyc("test", "--min-coverage", "95", "P.policy", cwd=tmp_path)
    assert done.returncode == 1
    assert "is below the minimum of 95%" in done.stdout
    assert "(a case can reach it: policyc test --suggest)" in done.stdout


def test_a_failing_case_prints_its_file_line_and_exits_1(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "P.policy")
    (tmp_path / "P.tests").write_text(BASE + '\ncase "Wrong" from adult expect needs_review {\n}\n', encoding="utf-8")
    done = policyc("test", "P.policy", cwd=tmp_path)
    assert done.returncode == 1
    assert 'P.tests:16:1: FAIL "Wrong": expected needs_review, got medically_necessary (by D.I)' in done.stdout
    assert "MP-MM-1308: 0 passed, 1 failed" in done.stdout


def test_errors_in_a_test_file_are_reported_like_policy_errors(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "P.policy")
    (tmp_path / "P.tests").write_text('case "c" expect approved {}\n', encoding="utf-8")
    done = policyc("test", "P.tests", cwd=tmp_path)
    assert done.returncode == 1
    assert "P.tests:1:17: error[E704]: 'approved' is not an outcome of MP-MM-1308" in done.stderr


def test_a_policy_without_tests_is_reported(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "P.policy")
    done = policyc("test", ".", "--min-coverage", "50", cwd=tmp_path)
    assert "MP-MM-1308: no test cases (P.tests does not exist)" in done.stdout
    assert done.returncode == 1  # nothing covered


ACUPUNCTURE = ROOT / "policies" / "CMS-NCD-30.3.3.policy"


def test_a_case_states_the_terms_its_decision_must_carry() -> None:
    policy = load(ACUPUNCTURE)
    evaluator = python.load_module(policy)
    first = (
        'case "x" expect covered_initial_course carries {\n    sessions_left_in_year: 19\n    initial_left: %s\n} {\n'
        '    service_date: "2024-06-03"\n    condition: "low_back_pain"\n    pain_onset_date: "2024-01-15"\n'
        '    systemic_cause: "none_identified"\n    associated_with_surgery: false\n'
        '    associated_with_pregnancy: false\n    provider_type: "physician"\n    meets_state_requirements: true\n'
        "    sessions: []\n    assessments: []\n}\n"
    )
    cases, diagnostics = testing.load_cases(policy, first % "11", "t.tests")
    assert not diagnostics and testing.run(policy, cases, evaluator)[0].passed
    cases, _ = testing.load_cases(policy, first % "10", "t.tests")
    assert testing.run(policy, cases, evaluator)[0].problems == ["expected initial_left 10, got 11"]
    _, diagnostics = testing.load_cases(policy, first.replace("initial_left", "initial_lft") % "11", "t.tests")
    assert [d.code for d in diagnostics] == ["E707"] and "did you mean 'initial_left'" in str(diagnostics[0].hint)
