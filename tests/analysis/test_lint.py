"""`policyc check`'s warnings from the solver (W901-W905): where they are given, once each, and where not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import z3

from compiler import find_sources, load
from compiler.analysis.lint import lint
from tests.conftest import ROOT

HERE = Path(__file__).parent


def warnings(path: Path) -> list[str]:
    found, timeouts = lint(load(path), path.name, timeout=30)
    assert timeouts == 0
    return [f"{d.span.line}:{d.code}: {d.message}" for d in sorted(found, key=lambda d: d.span.line)]


def test_a_newcomers_shadowed_rule_and_impossible_condition_are_each_reported_once() -> None:
    assert warnings(HERE / "newcomer.policy") == [
        "24:W903: no request satisfies this condition, whatever the facts",
        "36:W901: the rule 'needs_review when B.II' can never decide: "
        "earlier rules decide every request it would: 'covered when B.I' (line 35)",
    ]  # B.IV (snoring and B.III) and its rule are never true because of B.III: not reported again


def test_each_warning_of_the_solver() -> None:
    assert warnings(HERE / "lints.policy") == [
        "15:W902: criterion B.I can never be false, within the declared range of age (0..120)",
        "30:W904: no request reaches the outcome 'never'",
        "35:W905: the rule 'needs_review when B.III' is unknown whenever it is reached",
        "36:W901: the rule 'covered when B.IV' can never decide: earlier rules decide every request it would: "
        "'covered when B.II' (line 34); 'needs_review when B.III' (line 35)",
        "37:W901: the rule 'not_covered when B.V' can never decide: earlier rules decide every request it would: "
        "'covered when B.II' (line 34); 'needs_review when B.III' (line 35)",
    ]


@pytest.mark.parametrize("source", find_sources([ROOT / "policies"]), ids=lambda p: p.stem)
def test_the_shipped_policies_have_no_such_warning(source: Path) -> None:
    assert warnings(source) == []


def test_policyc_check_prints_them_with_the_source_line() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "policyc"), "check", str(HERE / "newcomer.policy")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # warnings only
    assert "newcomer.policy:36:5: warning[W901]: the rule 'needs_review when B.II' can never decide" in done.stderr
    assert "   36 |     needs_review when B.II\n      |     ^^^^^^^^^^^^^^^^^^^^^^" in done.stderr
    assert "= help: remove it, or move it before the rules that shadow it" in done.stderr


def test_a_question_that_runs_out_of_time_gives_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "check", lambda self, *assumptions: z3.unknown)  # every question times out
    found, timeouts = lint(load(HERE / "newcomer.policy"), "newcomer.policy", timeout=1)
    assert found == [] and timeouts > 0


@pytest.mark.parametrize("command", ["check", "test", "diff"])
@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "soon"])
def test_a_time_bound_that_is_not_one_is_refused(command: str, seconds: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "policyc"), command, "--timeout", seconds, str(HERE / "newcomer.policy")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and "argument --timeout: " in done.stderr
