"""Policy errors: every bad case in tests/cases/bad has its expected diagnostics beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import compile_source
from compiler.cli import main
from compiler.diagnostics import render_all

CASES = Path(__file__).parents[1] / "cases"
BAD = sorted((CASES / "bad").glob("*.policy"))
GOOD = sorted((CASES / "good").glob("*.policy"))


def diagnostics_of(path: Path) -> str:
    name = f"cases/bad/{path.name}"
    text = path.read_text(encoding="utf-8")
    _, diagnostics = compile_source(text, name)
    return render_all(diagnostics, {name: text}) + "\n"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_policy_reports_expected_diagnostics(path: Path, update_golden: bool) -> None:
    expected = path.with_suffix(".expected")
    actual = diagnostics_of(path)
    if update_golden:
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [p for p in BAD if p.stem != "unused_fact"], ids=lambda p: p.stem)
def test_bad_policy_fails_check_with_exit_1(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert ":" in first and ("error[E" in first or "warning[W" in first)
    assert "Traceback" not in err


def test_warnings_alone_do_not_fail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CASES / "bad" / "unused_fact.policy")]) == 0
    assert "warning[W101]: fact 'kind' is declared but never read" in capsys.readouterr().err


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_policy_has_no_diagnostics(path: Path) -> None:
    policy, diagnostics = compile_source(path.read_text(encoding="utf-8"), path.name)
    assert policy is not None and diagnostics == []


def test_mp_mm_1308_compiles_without_warnings() -> None:
    path = Path(__file__).parents[2] / "policies" / "MP-MM-1308.policy"
    policy, diagnostics = compile_source(path.read_text(encoding="utf-8"), path.name)
    assert policy is not None and diagnostics == []


def check_snippet(body: str) -> list[str]:
    """Messages for a minimal policy with `body` in place of its rules."""
    text = (CASES / "good" / "minimal.policy").read_text(encoding="utf-8")
    start = text.index('    rule D.I "Adults')
    end = text.index("}\n\noutcome covered")
    _, diagnostics = compile_source(text[:start] + body + "\n" + text[end:], "snippet.policy")
    return [f"{d.code} {d.message}" for d in diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ('rule D.I "x" when age >= 131\n rule D.II "y" when flag', "E204 'age >= 131' can never be true"),
        ('rule D.I "x" when age < 0\n rule D.II "y" when flag', "E204 'age < 0' can never be true"),
        ('rule D.I "x" when age == 200\n rule D.II "y" when flag', "E204 'age == 200' can never be true"),
        ('rule D.I "x" when kind in {}\n rule D.II "y" when flag', "E204 'kind in {}' can never be true"),
        ('rule D.I "x" when 18 <= age and flag\n rule D.II "y" when flag', None),
        ('rule D.I "x" when age\n rule D.II "y" when flag', "E206 'age' is an integer fact, not a condition"),
        ('rule D.I "x" when flag == 1\n rule D.II "y" when flag', "E203 'flag' is a boolean fact"),
        ('rule D.I "x" when kind < a\n rule D.II "y" when flag', "E203 '<' compares numbers or dates"),
        ('rule D.I "x" when kind == 2\n rule D.II "y" when flag', "E203 'kind' is an enum"),
        ('rule D.I "x" when at least 3 of (flag, flag)\n rule D.II "y" when flag', "E207 'at least 3 of'"),
        ('rule D.I "x"\n rule D.II "y" when flag', "E206 rule 'D.I' has no condition"),
        ('rule E.I "x" when flag\n rule D.II "y" when flag', "E302 provision 'E.I' is not numbered under 'D'"),
        ('rule D.I "x" when flag\n rule D.II "y" when D.I', None),
    ],
)
def test_checks(rules: str, expected: str | None) -> None:
    messages = check_snippet("    " + rules)
    if expected is None:
        assert messages == []
    else:
        assert any(m.startswith(expected) for m in messages), messages


def test_wording_and_condition_numbers_cannot_drift_apart_silently() -> None:
    """Issue 13.8: lowering `eckardt_score >= 3` to `>= 2` left "greater than or equal to 3" everywhere."""
    source = (Path(__file__).parents[2] / "policies" / "MP-MM-1308.policy").read_text()
    assert "when eckardt_score >= 3" in source
    _, found = compile_source(source, "p.policy")
    assert not [d for d in found if d.code in ("W104", "W105")]
    drifted = source.replace("when eckardt_score >= 3", "when eckardt_score >= 2")
    _, found = compile_source(drifted, "p.policy")
    assert sorted((d.code, d.message) for d in found if d.code in ("W104", "W105")) == [
        ("W104", "the condition uses 2, which its wording does not state"),
        ("W105", "the wording states 3, which the condition does not use"),
    ]
    acknowledged = drifted.replace(
        "when eckardt_score >= 2", 'when eckardt_score >= 2\n            wording differs "the committee lowered it"'
    )
    policy, found = compile_source(acknowledged, "p.policy")
    assert policy is not None and not [d for d in found if d.code in ("W104", "W105")]
