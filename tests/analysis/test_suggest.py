"""`policyc test --suggest`: cases that reach what a policy's cases do not, and the gaps no case can fill."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import find_sources, load, testing
from compiler.analysis.suggest import suggest, targets
from compiler.targets import python
from tests.conftest import POLICY_SOURCE, ROOT
from tests.test_testing import BASE, policyc


def test_suggested_cases_cover_all_that_a_request_can_reach(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "P.policy")
    one = BASE + '\ncase "One" from adult expect medically_necessary {\n}\n'
    (tmp_path / "P.tests").write_text(one, encoding="utf-8")
    done = policyc("test", "--suggest", "P.policy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# policyc test --suggest: cases for MP-MM-1308")
    assert " expect experimental by D.III missing [] {\n" in done.stdout
    assert "P.policy:197: provision D.I.A was never false: no decision that lists it finds it false" in done.stderr
    (tmp_path / "P.tests").write_text(one + done.stdout, encoding="utf-8")
    after = policyc("test", "--min-coverage", "100", "P.policy", cwd=tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr  # each case passes, in both evaluators
    assert "MP-MM-1308: 100.0% of the values that a request can reach" in after.stdout


@pytest.mark.parametrize("source", find_sources([ROOT / "policies"]), ids=lambda p: p.stem)
def test_every_shipped_policy_is_covered_or_its_gaps_are_proved(source: Path) -> None:
    policy = load(source)
    evaluator = python.load_module(policy)
    path = testing.tests_path(source)
    cases, problems = testing.load_cases(policy, path.read_text(encoding="utf-8"), str(path))
    assert problems == []
    results = testing.run(policy, cases, evaluator)
    reached = {r.decision.outcome for r in results if r.decision is not None}
    found, gaps, _ = suggest(policy, targets(policy, testing.coverage(policy, results), reached), evaluator, 30)
    assert found == []  # nothing left that a case could reach
    assert all(gap.proved for gap in gaps), [g.reason for g in gaps]
