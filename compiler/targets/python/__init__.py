"""The Python target: `model.Policy` -> one standard-library-only evaluator module.

    requests.py   each fact's validation and JSON, from the contract
    values.py     numbers, dates, codes and constants, exactly
    lower.py      conditions, three-valued unless their facts are known
    decide.py     the order of decision, with its explanation and without
    pyir.py       the small tree of Python the three above build
    printer.py    pyir -> text: the one owner of indentation and line width

The template `templates/evaluator.py.j2` holds the shape of the module, and
`compiler/runtime` the code every evaluator runs, copied in part by part so that
the module needs only the standard library. Every string from the policy reaches
the module through `repr()`, so no policy text can become code.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass

import compiler
from compiler import contract, model, runtime
from compiler.targets import shared
from compiler.targets.python import pyir, records
from compiler.targets.python.decide import Decide, rule_function_name, rule_missing_function_name
from compiler.targets.python.lower import Lowering, function_name, missing_function_name
from compiler.targets.python.printer import block, expression
from compiler.targets.python.requests import fact_code
from compiler.targets.python.values import Values, codeset_name, date_name, decimal_name
from compiler.targets.shared import Built, Files, module_name
from compiler.targets.templating import TEMPLATES, doc_line

__all__ = ["emit", "load_module", "module_name", "render"]


def load_module(policy: model.Policy) -> types.ModuleType:
    """Render a policy's evaluator and load it as a module, as `import` would."""
    return shared.load(render(policy), module_name(policy.policy_id), f"<policyc:{policy.source_name}>")


def emit(policy: model.Policy, built: Built) -> Files:
    return {shared.evaluator_path(policy.policy_id): render(policy)}


@dataclass(frozen=True)
class _Provision:
    label: str
    kind: str
    line: int
    function: str
    missing_function: str
    value: str  # after `return `
    missing: str  # the statements adding its unknown facts to `missing`


@dataclass(frozen=True)
class _Value:
    """A computed value, as a property of `Facts` that explanations read."""

    name: str
    description: str
    line: int
    annotation: str
    body: str


def render(policy: model.Policy) -> str:
    policy, slots = records.hoist(policy)
    values = Values(policy, {name: slot.annotation for name, slot in slots.items()})
    lowering = Lowering(policy, values, slots)
    facts = [fact_code(field) for field in contract.request(policy)]
    provisions = [_provision(lowering, p) for p in policy.provisions if p.condition is not None]
    provisions += [_combination(lowering, rule) for rule in policy.rules if not rule.single]
    computed = [_computed(values, c) for c in policy.computed]
    terms = [
        (o.name, t, _term(lowering, dataclasses.replace(t, name=term_attribute(o.name, t.name))))
        for o in policy.outcomes
        for t in o.terms
    ]
    quantified = [_slot(lowering, slot) for slot in slots.values()]
    if slots:
        values.helpers.add("exact")  # a sum of decimals over records is exact
    decide = Decide(policy, lowering)
    evaluated: list[tuple[str, ...]] = []
    revisions = []
    for revision in policy.revisions:
        listed: list[str] = []
        for rule in revision.rules:
            listed += [p.label for p in policy.rule_explained(rule)]
            evaluated.append(tuple(listed))
        revisions.append(decide.revision(revision, len(evaluated) - len(revision.rules)))
    quotients = any(v.annotation == "Decimal | Fraction" for v in [*computed, *(value for _, _, value in terms)])
    # What the policy uses, for the imports and the runtime parts an evaluator needs.
    kinds = [f.type for f in policy.facts]
    kinds += [field.type for t in kinds if isinstance(t, model.RecordList) for field in t.fields]
    features = {t.kind for t in kinds} | values.helpers
    features |= {"decimals"} if values.decimals else set()
    features |= {"quotients", "decimals"} if quotients else set()  # an exact quotient is a Decimal or a Fraction
    code_systems = sorted({f.type.system for f in policy.facts if isinstance(f.type, model.Code | model.Codes)})
    return TEMPLATES.get_template("evaluator.py.j2").render(
        policy=policy,
        version=compiler.__version__,
        facts=facts,
        absent_facts=tuple(f.name for f in facts if f.absent),
        evaluated=evaluated,
        enum_tables=_names(tuple(f.values_name for c in facts for f in (c, *c.fields) if f.values is not None)),
        provisions=provisions,
        clarifications=[p for p in policy.provisions if p.kind == "clarification"],
        revisions=revisions,
        effective_type="str" if all(r.start or len(revisions) == 1 for r in policy.revisions) else "str | None",
        values=computed,
        slots=quantified,
        terms=[value for _, _, value in terms],
        term_table={
            o.name: tuple((t.name, term_attribute(o.name, t.name), t.unit) for t in o.terms)
            for o in policy.outcomes
            if o.terms
        },
        checked=[c for f in facts for c in (f, *f.fields)],
        decimals=[(decimal_name(d), str(d)) for d in sorted(values.decimals)],
        dates=[(date_name(d), d) for d in sorted(values.dates)],
        constants=[
            (name, expression(code, 0, len(name) + len(": Final = "))) for code, name in values.constants.items()
        ],
        codesets=[(codeset_name(c.name), c) for c in policy.codesets],
        code_systems=code_systems,
        code_patterns={system: pattern for system, (pattern, _) in model.CODE_SYSTEMS.items()},
        code_names={system: _a_code(description) for system, (_, description) in model.CODE_SYSTEMS.items()},
        doc_line=doc_line,
        block=block,
        expression=expression,
        fact_items=lambda indent: "".join(f"{' ' * indent}{expression(f.json, indent, 0, 1)},\n" for f in facts),
        keyword=lambda f, indent: f"{f.name}={expression(f.check, indent, len(f.name) + 1, 1)},",
        values_set=lambda f: (
            f"{f.values_name}_SET: Final = "
            + expression(pyir.call("frozenset", pyir.Name(f.values_name)), 0, len(f.values_name) + 15)
        ),
        units=[(f.name, f.unit) for f in contract.request(policy) if f.unit]
        + [(c.name, c.unit) for c in policy.computed if c.unit],
        revision_tables=expression(pyir.Tuple(tuple(pyir.Name(r.rules_name) for r in revisions)), 8, 40),
        revision_test=lambda r: expression(r.test, 4, len("if "), 1) if r.test is not None else "",
        features=frozenset(features),
        runtime=lambda *names: runtime.parts(names, frozenset(features)),
    )


def _names(names: tuple[str, ...]) -> str:
    """A tuple of module names, wrapped to fit."""
    taken = len("_ENUM_TABLES: Final[tuple[tuple[str, ...], ...]] = ")
    return expression(pyir.Tuple(tuple(pyir.Name(n) for n in names)), 0, taken)


def _provision(lowering: Lowering, p: model.Provision) -> _Provision:
    assert p.condition is not None
    value = lowering.condition(p.condition, frozenset(), "call")
    missing = block(lowering.missing(p.condition), 4)
    return _Provision(
        p.label, p.kind, p.line, function_name(p.label), missing_function_name(p.label),
        expression(value, 4, len("return ")), missing,
    )  # fmt: skip


def _combination(lowering: Lowering, rule: model.Rule) -> _Provision:
    """A rule that combines provisions (`covered when B.6 and B.7`): its value and missing facts, as a provision's."""
    name = rule_function_name(rule)
    value = lowering.condition(rule.condition, frozenset(), "call")
    missing = block(lowering.missing(rule.condition), 4)
    return _Provision(
        f"{rule.outcome} when {rule.condition_text}", "rule of decide", rule.line, name,
        rule_missing_function_name(rule), expression(value, 4, len("return ")), missing,
    )  # fmt: skip


def _computed(values: Values, value: model.Computed) -> _Value:
    ratio = values.ratio(value.operand)
    if ratio.denominator is not None:
        values.helpers |= {"quotient", "exact"}  # _quotient writes its digits in the exact context
        code: pyir.Expr = pyir.call("_quotient", ratio.numerator, ratio.denominator)
        annotation = "Decimal | Fraction"
    else:
        code, annotation = ratio.numerator, "int" if value.whole else "Decimal"
        if model.shifts(value.operand):
            values.helpers.add("calendar")  # where _date_or_text is
            code, annotation = pyir.call("_date_or_text", code), "datetime.date | str"
        elif values.is_date(value.operand):
            annotation = "datetime.date"
    statements: list[pyir.Stmt] = []
    facts = model.facts_read(value.operand)  # hoisted quantifiers and aggregates among them
    if facts:  # a constant (a term such as `period_days = 180`) reads none
        statements += [pyir.Assign("f", pyir.Name("self")), pyir.If(pyir.any_none(facts), (pyir.Return(pyir.NONE),))]
    statements.append(pyir.Return(code))
    return _Value(value.name, value.description, value.line, annotation, block(statements, 8))


def _term(lowering: Lowering, term: model.Computed) -> _Value:
    """A term an outcome carries: a computed value, or one chosen by a condition (`a when C otherwise b`)."""
    if not isinstance(term.operand, model.Choice) and not term.text:
        return _computed(lowering.values, term)
    moved = model.shifts(term.operand)
    statements: list[pyir.Stmt] = [pyir.Assign("f", pyir.Name("self"))]
    choice: model.Operand = term.operand
    while isinstance(choice, model.Choice):  # each condition in turn: unknown, then the value it chooses
        statements.append(pyir.Assign("chosen", lowering.condition(choice.condition, frozenset(), "call")))
        statements.append(pyir.If(pyir.is_none(pyir.Name("chosen")), (pyir.Return(pyir.NONE),)))
        then = _chosen(lowering.values, choice.then, moved, term.whole)
        statements.append(pyir.If(pyir.Name("chosen"), tuple(then)))
        choice = choice.otherwise
    statements += _chosen(lowering.values, choice, moved, term.whole)
    if moved or term.text:
        annotation = "str" if term.text else "datetime.date | str"
    else:
        annotation = "datetime.date" if term.date else "int" if term.whole else "Decimal"
    return _Value(term.name, term.description, term.line, annotation, block(statements, 8))


def _chosen(values: Values, value: model.Operand, moved: bool, whole: bool) -> list[pyir.Stmt]:
    """Return a chosen value: None when a fact it reads is unknown; a day number written as a date, a
    whole number as a Decimal where the other may not be whole."""
    facts = model.facts_read(value)
    guard: list[pyir.Stmt] = [pyir.If(pyir.any_none(facts), (pyir.Return(pyir.NONE),))] if facts else []
    if moved:
        values.helpers.add("calendar")
        return [*guard, pyir.Return(pyir.call("_date_or_text", values.day_number(value)))]
    code = values.operand(value)
    if not whole and model.is_whole(value):
        code = pyir.call("Decimal", code)
    return [*guard, pyir.Return(code)]


def term_attribute(outcome: str, term: str) -> str:
    """The property of `Facts` that computes a term an outcome carries."""
    return f"_{outcome}__{term}"


def _slot(lowering: Lowering, slot: records.Slot) -> _Value:
    """A quantifier or aggregate over a list of records, as a property of `Facts` that conditions read."""
    node = slot.node
    line = node.span.line if node.span is not None else 0
    return _Value(slot.name, "", line, slot.annotation, block(records.body(lowering, slot), 8))


def _a_code(description: str) -> str:
    """`a CPT`, `an ICD-10-CM`: how an error message names a system's codes."""
    name = description.split(" (")[0]
    return ("an " if name[0] in "AEFHILMNORSX" else "a ") + name
