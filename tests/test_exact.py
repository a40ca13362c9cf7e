"""Exact arithmetic: every decision at a threshold agrees with `fractions.Fraction` on the decimal text.

The oracle here is written from the policy's own wording ("a BMI of 35 or greater") and
computes with `Fraction` from the decimal strings; it shares nothing with the compiler.
Binary floats decide 89.6 kg at 1.60 m (a BMI of exactly 35) as below 35: these tests
failed before decimals were read and computed exactly.
"""

from __future__ import annotations

import decimal
import json
import textwrap
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import compile_source, interpret, load
from compiler.cli import main
from compiler.model import Policy
from compiler.targets import python
from tests.conftest import ROOT

BARIATRIC = ROOT / "policies" / "CMS-NCD-100.1.policy"
BASE = {
    "procedure_code": "43644",
    "comorbidities": ["type_2_diabetes"],
    "failed_medical_treatment": True,
}


@pytest.fixture(scope="module")
def bariatric() -> tuple[Policy, ModuleType]:
    policy = load(BARIATRIC, BARIATRIC.name)
    return policy, python.load_module(policy)


def heights() -> list[str]:
    """Every height from 1.40 m to 2.10 m by 0.01 m, as written."""
    return [f"{centimetres // 100}.{centimetres % 100:02d}" for centimetres in range(140, 211)]


def boundary_grid() -> list[tuple[str, str, Fraction]]:
    """(weight, height, exact BMI): the weights giving exactly 30, 35 and 40, and 0.0001 kg either side."""
    grid = []
    for height in heights():
        square = Fraction(height) ** 2
        for bmi in (30, 35, 40):
            exact = bmi * square  # four decimal places at most
            for step in (Fraction(-1, 10000), Fraction(0), Fraction(1, 10000)):
                weight = exact + step
                text = f"{decimal.Decimal(weight.numerator) / decimal.Decimal(weight.denominator):f}"
                assert Fraction(text) == weight
                grid.append((text, height, weight / square))
    return grid


GRID = boundary_grid()


def expected(bmi: Fraction) -> tuple[str, str]:
    """CMS-NCD-100.1 for RYGBP with type 2 diabetes and failed treatment: covered iff BMI >= 35 (B.I.A, D.II)."""
    return ("covered", "B.II") if bmi >= 35 else ("not_covered", "D.II")


def test_the_reported_case_is_a_bmi_of_exactly_35(bariatric: tuple[Policy, ModuleType]) -> None:
    policy, module = bariatric
    request = {**BASE, "weight_kg": 89.6, "height_m": 1.6}
    decision = module.evaluate(request)
    assert (decision.outcome, decision.section) == ("covered", "B.II")
    assert interpret.evaluate(policy, request)["outcome"] == "covered"
    # the explanation shows the computed value exactly
    assert "bmi = 35 kg/m2\n" in module.explain(decision) + "\n"
    assert '"bmi": 35}' in decision.to_json()


def test_every_height_at_every_threshold_float_and_decimal(bariatric: tuple[Policy, ModuleType]) -> None:
    policy, module = bariatric
    for weight, height, bmi in GRID:
        want = expected(bmi)
        for request in (
            {**BASE, "weight_kg": float(weight), "height_m": float(height)},  # as a Python caller writes it
            {**BASE, "weight_kg": decimal.Decimal(weight), "height_m": decimal.Decimal(height)},
        ):
            decision = module.evaluate(request)
            assert (decision.outcome, decision.section) == want, (weight, height, bmi)
            assert module.evaluate(request, explain=False).outcome == want[0]
            oracle = interpret.evaluate(policy, request)
            assert (oracle["outcome"], oracle["section"]) == want, (weight, height, bmi)
            shown = dict(decision.criteria[1].facts)["bmi"]  # D.II reads bmi
            assert Fraction(shown) == bmi


def test_policyc_eval_reads_json_text_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps(BASE)[:-1] + f', "weight_kg": {weight}, "height_m": {height}}}' for weight, height, _ in GRID
    ]
    source = tmp_path / "grid.jsonl"
    source.write_text("\n".join(lines) + "\n")
    assert main(["eval", str(BARIATRIC), "--input", str(source)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == len(GRID)
    for record, (_, _, bmi) in zip(records, GRID, strict=True):
        assert (record["outcome"], record["section"]) == expected(bmi)


def test_policyc_test_decides_boundary_cases_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "CMS-NCD-100.1.policy"
    policy.write_text(BARIATRIC.read_text())
    cases = ['request base {\n    procedure_code: "43644"\n    comorbidities: ["type_2_diabetes"]\n'
             '    failed_medical_treatment: true\n}\n']
    for weight, height, bmi in GRID[::7]:
        outcome, section = expected(bmi)
        cases.append(
            f'case "{weight} kg at {height} m" from base expect {outcome} by {section} {{\n'
            f"    weight_kg: {weight}\n    height_m: {height}\n}}\n"
        )
    (tmp_path / "CMS-NCD-100.1.tests").write_text("\n".join(cases))
    assert main(["test", str(policy)]) == 0, capsys.readouterr().out


# -- A policy of its own: quotients with divisors of either sign, sums of quotients, percentages ----------

RATIOS = textwrap.dedent(
    """
    policy "R-1" { title: "Ratios" effective: 2025-01-01 }
    fact a: decimal 0..200 "a + 100, so that a - 100 takes either sign"
    fact b: decimal 0.5..20 "b, positive"
    fact d: decimal 0.5..20 "d; d - 25 is negative"
    fact baseline_kg: decimal 20..400 unit "kg" "Weight at the start."
    fact current_kg: decimal 20..400 unit "kg" "Weight now."
    value s = a - 100 "signed"
    value c = d - 25 "negative"
    value lost unit "%" = (baseline_kg - current_kg) / baseline_kg * 100 "Weight lost, in percent."
    section D "Ratios" {
        rule D.I "s / b is at least 1.5" when s / b >= 1.5
        rule D.II "s / c is below 0.3" when s / c < 0.3
        rule D.III "(s + b) / (b * c) is at most -0.25" when (s + b) / (b * c) <= 0 - 0.25
        rule D.IV "s / b + s / c is zero" when s / b + s / c == 0
        rule D.V "lost at least 5 %" when lost >= 5
        rule D.VI "s / (b / c) is above 2" when s / (b / c) > 2
    }
    outcome yes "Yes."
    outcome no "No."
    outcome unk "Unknown."
    decide {
        yes when D.I
        yes when D.II
        yes when D.III
        yes when D.IV
        yes when D.V
        yes when D.VI
        otherwise no
        unknown unk
    }
    """
)


def oracle_ratios(a: Fraction, b: Fraction, d: Fraction, base: Fraction, now: Fraction) -> list[bool]:
    s, c = a - 100, d - 25
    return [
        s / b >= Fraction(3, 2),
        s / c < Fraction(3, 10),
        (s + b) / (b * c) <= Fraction(-1, 4),
        s / b + s / c == 0,
        (base - now) / base * 100 >= 5,
        s / (b / c) > 2,
    ]


@pytest.fixture(scope="module")
def ratios() -> tuple[Policy, ModuleType]:
    policy, diagnostics = compile_source(RATIOS, "R-1.policy")
    assert policy is not None, diagnostics
    return policy, python.load_module(policy)


def _decimal_in(low: str, high: str) -> st.SearchStrategy[decimal.Decimal]:
    return st.decimals(decimal.Decimal(low), decimal.Decimal(high), places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(
    a=_decimal_in("0", "200"),
    b=_decimal_in("0.5", "20"),
    d=_decimal_in("0.5", "20"),
    base=_decimal_in("20", "400"),
    lost=st.sampled_from(["0.05", "0.0499", "0.0501", "0", "0.5"]),
)
def test_quotients_of_either_sign_agree_with_fractions(
    ratios: tuple[Policy, ModuleType], a: decimal.Decimal, b: decimal.Decimal, d: decimal.Decimal,
    base: decimal.Decimal, lost: str,
) -> None:
    policy, module = ratios
    now = base * (1 - decimal.Decimal(lost))  # "lost exactly 5 %" among them
    if not 20 <= now <= 400:
        return
    request: dict[str, Any] = {"a": a, "b": b, "d": d, "baseline_kg": base, "current_kg": now}
    truths = oracle_ratios(*(Fraction(v) for v in (a, b, d, base, now)))
    decision = module.evaluate(request)
    assert list(decision.results) == truths[: len(decision.results)]
    assert decision.outcome == ("yes" if any(truths) else "no")
    assert interpret.evaluate(policy, request)["outcome"] == decision.outcome
    assert module.evaluate(request, explain=False).outcome == decision.outcome


def test_lost_exactly_five_percent(ratios: tuple[Policy, ModuleType]) -> None:
    _, module = ratios
    base = {"a": 90, "b": 1, "d": 1}  # D.I to D.IV false: s = -10, c = -24
    for weight in range(20, 401):  # every whole baseline weight, and 95 % of it as written
        now = Fraction(weight) * Fraction(95, 100)
        if now < 20:
            continue
        text = f"{decimal.Decimal(now.numerator) / decimal.Decimal(now.denominator):f}"
        decision = module.evaluate({**base, "baseline_kg": weight, "current_kg": float(text)})
        assert decision.section == "D.V", (weight, text)
        assert dict(decision.criteria[-1].facts)["lost"] == 5


def test_a_quotient_that_never_ends_is_shown_as_a_fraction(ratios: tuple[Policy, ModuleType]) -> None:
    policy, module = ratios
    request = {"a": 90, "b": 1, "d": 1, "baseline_kg": 30, "current_kg": 29}
    decision = module.evaluate(request)
    assert dict(decision.criteria[4].facts)["lost"] == Fraction(10, 3)
    assert '"lost": "10/3"' in decision.to_json()
    assert decision.to_dict() == interpret.evaluate(policy, request)
    assert "lost = 10/3" in module.explain(decision)


def test_decimal_facts_refuse_what_is_not_a_finite_number(bariatric: tuple[Policy, ModuleType]) -> None:
    policy, module = bariatric
    for value, message in [
        (float("nan"), "expected a number, got NaN"),
        (float("inf"), "expected a number, got an infinity"),
        (decimal.Decimal("NaN"), "expected a number, got NaN"),
        (decimal.Decimal("sNaN"), "expected a number, got NaN"),
        (decimal.Decimal("-Infinity"), "expected a number, got an infinity"),
        (True, "expected a number, got boolean"),
        ("1.6", "expected a number, got string"),
        (decimal.Decimal("1.6" + "0" * 100 + "1"), "has more than 100 digits after the decimal point"),
        (decimal.Decimal("1E+999999999"), "must be a number from 1.0 to 2.5"),
        (decimal.Decimal("0E-999999999"), "must be a number from 1.0 to 2.5"),
        (10**5000, "must be a number from 1.0 to 2.5"),
    ]:
        request = {**BASE, "weight_kg": 100, "height_m": value}
        with pytest.raises(module.InvalidRequest) as caught:
            module.evaluate(request)
        assert [(e.field, e.message) for e in caught.value.errors] == [("height_m", message)]
        with pytest.raises(interpret.InvalidRequest) as oracle:
            interpret.evaluate(policy, request)
        assert oracle.value.errors == [("height_m", message)]


def test_arithmetic_ignores_the_callers_decimal_context(bariatric: tuple[Policy, ModuleType]) -> None:
    _, module = bariatric
    request = {**BASE, "weight_kg": decimal.Decimal("89.6"), "height_m": decimal.Decimal("1.6")}
    with decimal.localcontext(decimal.Context(prec=2, rounding=decimal.ROUND_UP)):
        assert module.evaluate(request).outcome == "covered"


def test_explanations_show_computed_values_exactly_with_their_units() -> None:
    from compiler import load
    from compiler.targets import python
    from tests.conftest import ROOT

    module = python.load_module(load(ROOT / "policies" / "CMS-NCD-100.1.policy"))
    request = {"weight_kg": 89.6, "height_m": 1.6, "comorbidities": ["hypertension"],
               "failed_medical_treatment": True, "procedure_code": "43644"}  # fmt: skip
    text = module.explain(module.evaluate(request))
    assert "weight_kg = 89.6 kg, height_m = 1.6 m" in text and "bmi = 35 kg/m2" in text
