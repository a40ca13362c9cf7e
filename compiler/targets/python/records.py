"""Lists of records in the evaluator: each quantifier or aggregate over a list is a property of `Facts`.

`hoist` gives each one that reads no enclosing record a name (`_sessions_1`) and puts a
reference to that name where it stood, so the rest of the lowering sees one more fact: unknown
(None) or known. Its rule, that a condition whose facts are known is two-valued, keeps holding.
A quantifier that reads an enclosing record (`any t in trials such that t.start > s.date`) is
written in place, inside its enclosing one's comprehension.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from compiler import model
from compiler.targets.python import pyir
from compiler.targets.python.pyir import NONE, Expr, call, fact, is_none

if TYPE_CHECKING:
    from compiler.targets.python.lower import Lowering

Records = model.Quantify | model.Aggregate


@dataclass(frozen=True)
class Slot:
    """A quantifier or aggregate, hoisted: its property's name and what explains it when unknown."""

    name: str
    node: Records  # nested ones that read no enclosing record are slots of their own
    annotation: str
    facts: tuple[str, ...]  # every fact it reads, the lists among them, as written
    lists: tuple[str, ...]  # the lists it reads: what to ask for when only a record's field is unknown


def hoist(policy: model.Policy) -> tuple[model.Policy, dict[str, Slot]]:
    """The policy with every quantifier and aggregate that reads no enclosing record made a slot."""
    slots: dict[str, Slot] = {}
    by_node: dict[Records, str] = {}

    def replace(e: model.Expr | model.Operand) -> model.Expr | model.Operand | None:
        if not isinstance(e, model.Quantify | model.Aggregate) or free_records(e):
            return None
        inner = model.rewrite(e, lambda n: None if n is e else replace(n))
        assert isinstance(inner, model.Quantify | model.Aggregate)
        name = by_node.get(inner)
        if name is None:
            name = by_node[inner] = f"_{e.records.fact}_{len(slots) + 1}"
            lists = tuple(dict.fromkeys(r.records.fact for r in model.records_read(e)))
            slots[name] = Slot(name, inner, _annotation(policy, e), model.facts_read(e), lists)
        whole = isinstance(e, model.Quantify) or e.whole
        return model.FactRef(name, decimal=not whole, span=e.span)

    def condition(expr: model.Expr) -> model.Expr:
        return cast(model.Expr, model.rewrite(expr, replace))  # a condition stays a condition

    def operand(value: model.Operand) -> model.Operand:
        return cast(model.Operand, model.rewrite(value, replace))  # and a value a value

    provisions = tuple(
        p if p.condition is None else dataclasses.replace(p, condition=condition(p.condition))
        for p in policy.provisions
    )
    computed = tuple(dataclasses.replace(c, operand=operand(c.operand)) for c in policy.computed)
    revisions = tuple(
        dataclasses.replace(r, rules=tuple(dataclasses.replace(u, condition=condition(u.condition)) for u in r.rules))
        for r in policy.revisions
    )
    outcomes = tuple(
        dataclasses.replace(o, terms=tuple(dataclasses.replace(t, operand=operand(t.operand)) for t in o.terms))
        for o in policy.outcomes
    )
    hoisted = dataclasses.replace(
        policy, provisions=provisions, computed=computed, revisions=revisions, outcomes=outcomes
    )
    return hoisted, slots


def free_records(e: Records) -> set[str]:
    """The records named outside `e` that it reads."""
    read = {n.record for n in model.preorder(e) if isinstance(n, model.FieldRef)}
    return read - {n.records.record for n in model.preorder(e) if isinstance(n, model.Quantify | model.Aggregate)}


def _annotation(policy: model.Policy, e: Records) -> str:
    if isinstance(e, model.Quantify):
        return "bool"
    if e.function == "count" or (e.whole and e.function == "sum"):
        return "int"
    assert e.value is not None
    if _is_date(policy, e.records.fact, e.value):
        return "datetime.date"
    return "int" if e.whole else "Decimal"


def _is_date(policy: model.Policy, records: str, value: model.Operand) -> bool:
    while isinstance(value, model.ValueRef):
        value = value.operand
    if isinstance(value, model.FieldRef):
        list_type = policy.fact(records).type
        assert isinstance(list_type, model.RecordList)
        return isinstance(list_type.field(value.name).type, model.Date)
    if isinstance(value, model.FactRef):
        return isinstance(policy.fact(value.fact).type, model.Date)
    return isinstance(value, model.Const) and isinstance(value.value, datetime.date)


def code(lowering: Lowering, e: Records) -> Expr:
    """The value of a quantifier or aggregate over its list, which is known here."""
    records = e.records
    where = pyir.Lit(True) if records.where is None else lowering.condition(records.where, frozenset(), "call")

    def each(*parts: Expr) -> pyir.ListComp:
        element = parts[0] if len(parts) == 1 else pyir.Tuple(parts)
        return pyir.ListComp(element, records.record, fact(records.fact))

    if isinstance(e, model.Quantify):
        if e.distinct is not None:
            return call("_at_least_distinct", pyir.Lit(e.count), each(where, lowering.record_value(e.distinct)))
        if e.kind == "at_least":
            return call("_at_least_records", pyir.Lit(e.count), each(where))
        return call({"any": "_some", "every": "_every", "no": "_no"}[e.kind], each(where))
    if e.function == "count":
        return call("len", fact(records.fact)) if records.where is None else call("_count", each(where))
    assert e.value is not None
    value = lowering.record_value(e.value)
    if e.function == "sum":
        return call("_sum", each(where, value))
    assert e.fallback is not None
    fallback = lowering.record_value(e.fallback)
    latest = pyir.Lit(e.function in ("max", "latest"))
    if e.function in ("min", "max"):
        return call("_extreme", latest, each(where, value), fallback)
    assert e.order is not None
    order = pyir.Attr(pyir.Name(records.record), e.order)
    return call("_by_order", latest, each(where, order, value), fallback)


def in_place(lowering: Lowering, e: Records) -> Expr:
    """A quantifier or aggregate where it stands: unknown when its list is."""
    return pyir.IfExp(is_none(fact(e.records.fact)), NONE, code(lowering, e))


def body(lowering: Lowering, slot: Slot) -> list[pyir.Stmt]:
    """The statements of a slot's property."""
    list_fact = fact(slot.node.records.fact)
    head: list[pyir.Stmt] = [pyir.Assign("f", pyir.Name("self")), pyir.If(is_none(list_fact), (pyir.Return(NONE),))]
    value = code(lowering, slot.node)
    if isinstance(slot.node, model.Aggregate) and slot.node.function != "count":  # the runtime's is Any: typed here
        return [*head, pyir.Assign(f"value: {slot.annotation} | None", value), pyir.Return(pyir.Name("value"))]
    return [*head, pyir.Return(value)]
