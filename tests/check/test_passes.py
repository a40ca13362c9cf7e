"""The checker's passes, each on its own: a frozen scope in, a report out."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from compiler.check.conditions import ConditionCheck
from compiler.check.quantities import Quantity, fmt_range, unit_product
from compiler.check.report import Report
from compiler.check.scope import declare
from compiler.check.values import declare_computed
from compiler.check.wording import check_wording_numbers
from compiler.syntax import nodes
from compiler.syntax.parse import parse

SOURCE = """\
policy "T-1" {
    title: "T"
    effective: 2025-01-01
}
fact age: integer 0..120
    "Age in years."
fact weight_kg: decimal 20.0..400.0 unit "kg"
    "Weight."
fact height_m: decimal 1.00..2.50 unit "m"
    "Height."
fact therapy: set of { pneumatic_dilation, botox }
    "Prior therapies."
value bmi unit "kg/m2" = weight_kg / (height_m * height_m)
    "Body-mass index."
section D "Criteria" {
    criterion D.1 "The member is 18 or older and has a BMI of 35 or more."
        when age >= 18 and bmi >= 35
}
outcome approve "Covered."
outcome deny "Not covered."
outcome unsure "More information needed."
decide {
    approve when D.1
    otherwise deny
    unknown unsure
}
"""


def _tree() -> nodes.PolicyFile:
    tree, diagnostics = parse(SOURCE, "t.policy")
    assert tree is not None and not diagnostics
    return tree


def test_the_scope_is_frozen_and_holds_every_declaration() -> None:
    scope = declare(_tree(), report := Report())
    assert not report.diagnostics
    assert list(scope.facts) == ["age", "weight_kg", "height_m", "therapy"]
    assert list(scope.outcomes) == ["approve", "deny", "unsure"] and list(scope.provisions) == ["D.1"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.has_applicability = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        scope.facts["other"] = scope.facts["age"]  # type: ignore[index]


def test_computed_values_extend_a_new_scope_with_unit_and_range() -> None:
    tree = _tree()
    scope = declare(tree, report := Report())
    computed = [i for i in tree.items if isinstance(i, nodes.Computed)]
    extended = declare_computed(scope, computed, report)
    assert not scope.computed and not report.diagnostics
    bmi = extended.computed["bmi"]
    assert bmi.value.unit == "kg/m2" and bmi.value.facts == ("weight_kg", "height_m")
    assert (bmi.quantity.low, bmi.quantity.high) == (Fraction(20, 1) / Fraction(25, 4), Fraction(400))


def test_a_condition_pass_records_what_it_reads() -> None:
    tree = _tree()
    report = Report()
    scope = declare_computed(declare(tree, report), [i for i in tree.items if isinstance(i, nodes.Computed)], report)
    criterion = scope.provisions["D.1"].body
    assert isinstance(criterion, nodes.Condition)
    condition = ConditionCheck(scope, report).check_condition(criterion.expr)
    assert condition is not None and not report.diagnostics
    assert report.used_facts == {"age", "weight_kg", "height_m"} and report.used_computed == {"bmi"}


def test_wording_numbers_are_held_to_the_condition() -> None:
    tree = _tree()
    provision = declare(tree, Report()).provisions["D.1"]
    assert isinstance(provision.body, nodes.Condition)
    check_wording_numbers(report := Report(), provision, provision.body)
    assert not report.diagnostics  # 18 and 35, in the wording and in the condition
    changed = dataclasses.replace(provision, wording=provision.wording.replace("35", "40"))
    check_wording_numbers(report, changed, provision.body)
    assert sorted(d.code for d in report.diagnostics) == ["W104", "W105"]


def test_units_of_products_and_quotients() -> None:
    assert unit_product("kg", "m*m", -1) == "kg/m2"
    assert unit_product("kg", "kg", -1) is None and unit_product("%", None, 1) == "%"
    assert unit_product("pack-years", None, 1) == "packs*years/day"
    assert fmt_range(Quantity("number", "kg", Fraction(1, 3), None)) == "0.333333..inf kg"


@pytest.mark.parametrize(("length", "refused"), [(100, False), (101, True)])
def test_a_chain_of_provisions_reading_one_another_is_limited(length: int, refused: bool) -> None:
    """Each provision reading the next, a hundred deep at most: deeper, the compiler would recurse
    past Python's limit; it says so instead (E005), as it does for deeply nested expressions."""
    from compiler import compile_source
    from compiler.targets import python

    chain = "\n".join(f'    criterion B.{i} "Next." when B.{i + 1} or a' for i in range(1, length))
    source = (
        'policy "T" { title: "t" effective: 2025-01-01 }\nfact a: boolean "a."\nsection B "b" {\n'
        f'{chain}\n    criterion B.{length} "Last." when a\n}}\n'
        'outcome y "y."\noutcome u "u."\ndecide {\n    y when B.1\n    otherwise u\n    unknown u\n}\n'
    )
    policy, diagnostics = compile_source(source, "chain.policy")
    if refused:
        assert [(d.code, d.message) for d in diagnostics] == [
            ("E005", f"'B.1' begins a chain of {length} provisions, each read by the one before; at most 100")
        ]
    else:
        assert policy is not None and python.load_module(policy).evaluate({"a": True}).outcome == "y"
