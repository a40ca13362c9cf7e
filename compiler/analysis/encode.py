"""Conditions and values of the checked model as SMT formulas, on the language's three-valued logic.

A condition becomes a `Truth`: the requests on which it is definitely true and those on which it
is definitely false; on the others it is unknown. An operand becomes a `Value`: when it is known,
and what it is. The rules are the interpreter's (compiler/interpret.py), read the same way: a
quantifier is true as soon as enough records definitely satisfy it, an aggregate is unknown when
whether a record is selected is, and so on. Numbers are exact (Ints and Reals), dates day numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import z3

from compiler import model
from compiler.analysis.calendar import Calendar
from compiler.analysis.space import Slot, Space, Unsupported, constant


@dataclass(frozen=True)
class Truth:
    true: z3.BoolRef
    false: z3.BoolRef

    @property
    def unknown(self) -> z3.BoolRef:
        return z3.And(z3.Not(self.true), z3.Not(self.false))

    def side(self, name: str) -> z3.BoolRef:
        return {"true": self.true, "false": self.false, "unknown": self.unknown}[name]


@dataclass(frozen=True)
class Value:
    """A value when `known`: a number or day number (ArithRef), a flag (BoolRef), a word's number,
    a set (member -> BoolRef), codes (class -> count) or a code set (the classes in it)."""

    known: z3.BoolRef
    value: Any
    kind: str  # number, flag, word, members, codes, code, codeset


TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
Records = Mapping[str, dict[str, Slot]]  # the record each quantifier names, by name
Each = tuple[z3.BoolRef, Records, "Truth"]  # a record of a history: whether it exists, the names, whether selected


class Encoder:
    """Formulas for one policy's conditions and values, over a `Space` it may share with another policy."""

    def __init__(self, space: Space, policy: model.Policy, calendar: Calendar) -> None:
        self.space, self.policy, self.calendar = space, policy, calendar
        self._provisions: dict[str, Truth] = {}
        self._values: dict[model.ValueRef, Value] = {}

    # -- Conditions -----------------------------------------------------------------------------

    def provision(self, label: str) -> Truth:
        if label not in self._provisions:
            condition = self.policy.provision(label).condition
            assert condition is not None
            self._provisions[label] = self.truth(condition, {})
        return self._provisions[label]

    def truth(self, expr: model.Expr, records: Records) -> Truth:
        if isinstance(expr, model.ProvisionRef):
            return self.provision(expr.label)
        if isinstance(expr, model.Not):
            inner = self.truth(expr.operand, records)
            return Truth(inner.false, inner.true)
        if isinstance(expr, model.Combine):
            return combine(expr.count, [self.truth(o, records) for o in expr.operands])
        if isinstance(expr, model.Const):
            return Truth(z3.BoolVal(expr.value is True), z3.BoolVal(expr.value is False))
        if isinstance(expr, model.FactRef | model.FieldRef):
            v = self.value(expr, records)
            return Truth(z3.And(v.known, v.value), z3.And(v.known, z3.Not(v.value)))
        if isinstance(expr, model.Known):
            return _definite(self._known(expr.operand, records))
        if isinstance(expr, model.Present):
            slot = self._slot(expr.operand, records)
            return Truth(slot.has_value, z3.And(slot.known, slot.absent))
        if isinstance(expr, model.Quantify):
            return self._quantify(expr, records)
        if isinstance(expr, model.Compare):
            left, right = self.value(expr.left, records), self.value(expr.right, records)
            return _on_known(z3.And(left.known, right.known), _compare(expr.op, left, right))
        if isinstance(expr, model.Member):
            element, collection = self.value(expr.element, records), self.value(expr.collection, records)
            return _on_known(z3.And(element.known, collection.known), _member(element, collection, self.space))
        if isinstance(expr, model.Intersects):
            left, right = self.value(expr.left, records), self.value(expr.right, records)
            return _on_known(z3.And(left.known, right.known), _intersects(left, right, self.space))
        if isinstance(expr, model.Empty):
            v = self.value(expr.operand, records)
            return _on_known(v.known, _size(v) == 0)
        raise Unsupported(f"a condition of kind {type(expr).__name__}")

    def _known(self, operand: model.FactRef | model.FieldRef | model.ValueRef, records: Records) -> z3.BoolRef:
        if isinstance(operand, model.ValueRef):
            return z3.And([self._fact_known(f) for f in model.facts_read(operand)] or [TRUE])
        if isinstance(operand, model.FactRef):
            return self._fact_known(operand.fact)
        return self._slot(operand, records).known

    def _fact_known(self, name: str) -> z3.BoolRef:
        if name in self.space.histories:
            return self.space.histories[name].known
        return self.space.slots[name].known

    def _slot(self, ref: model.FactRef | model.FieldRef, records: Records) -> Slot:
        if isinstance(ref, model.FactRef):
            return self.space.slots[ref.fact]
        return records[ref.record][ref.name]

    # -- Histories --------------------------------------------------------------------------------

    def _each(self, selection: model.Records, records: Records) -> tuple[z3.BoolRef, list[Each]]:
        """Whether the list is known, and for each record it may have: if it exists, its names, if it is selected."""
        history = self.space.histories[selection.fact]
        found: list[Each] = []
        for index, record in enumerate(history.records):
            inner = {**records, selection.record: record}
            chosen = Truth(TRUE, FALSE) if selection.where is None else self.truth(selection.where, inner)
            found.append((history.size > index, inner, chosen))
        return history.known, found

    def _quantify(self, node: model.Quantify, records: Records) -> Truth:
        known, each = self._each(node.records, records)
        if node.kind == "every":
            true = z3.And([z3.Implies(exists, t.true) for exists, _, t in each] or [TRUE])
            false = z3.Or([z3.And(exists, t.false) for exists, _, t in each] or [FALSE])
            return Truth(z3.And(known, true), z3.And(known, false))
        if node.distinct is None:
            true_count = _count(z3.And(exists, t.true) for exists, _, t in each)
            possible = _count(z3.And(exists, z3.Not(t.false)) for exists, _, t in each)
        else:  # distinct values: an unknown value may be a new one
            values = [(exists, t, self.value(node.distinct, inner)) for exists, inner, t in each]
            sure = [z3.And(exists, t.true, v.known) for exists, t, v in values]
            maybe = [z3.And(exists, z3.Not(t.false)) for exists, t, _ in values]
            true_count = _distinct_count(sure, [v for _, _, v in values])
            maybe_known = [z3.And(m, v.known) for m, (_, _, v) in zip(maybe, values, strict=True)]
            possible = _distinct_count(maybe_known, [v for _, _, v in values]) + _count(
                z3.And(m, z3.Not(v.known)) for m, (_, _, v) in zip(maybe, values, strict=True)
            )
        found = Truth(z3.And(known, true_count >= node.count), z3.And(known, possible < node.count))
        return Truth(found.false, found.true) if node.kind == "no" else found

    def _aggregate(self, node: model.Aggregate, records: Records) -> Value:
        known, each = self._each(node.records, records)
        decided = z3.And([z3.Implies(exists, z3.Not(t.unknown)) for exists, _, t in each] or [TRUE])
        selected = [(z3.And(exists, t.true), inner) for exists, inner, t in each]
        if node.function == "count":
            return Value(z3.And(known, decided), _count(s for s, _ in selected), "number")
        assert node.value is not None
        values = [(s, self.value(node.value, inner), inner) for s, inner in selected]
        all_known = z3.And([z3.Implies(s, v.known) for s, v, _ in values] or [TRUE])
        base = z3.And(known, decided, all_known)
        if node.function == "sum":
            total = z3.Sum([z3.If(s, v.value, 0) for s, v, _ in values]) if values else z3.IntVal(0)
            return Value(base, total, "number")
        assert node.fallback is not None
        fallback = self.value(node.fallback, records)
        anything = z3.Or([s for s, _, _ in values] or [FALSE])
        if node.function in ("min", "max"):
            better: Callable[[Any, Any], Any] = (lambda a, b: a < b) if node.function == "min" else (lambda a, b: a > b)
            best, have = fallback.value, FALSE
            for s, v, _ in values:
                best = z3.If(z3.And(s, z3.Or(z3.Not(have), better(v.value, best))), v.value, best)
                have = z3.Or(have, s)
            known_all = z3.And(base, z3.Or(anything, fallback.known))
            return Value(known_all, best, fallback.kind)
        assert node.order is not None
        later: Callable[[Any, Any], Any] = (lambda a, b: a > b) if node.function == "latest" else (lambda a, b: a < b)
        times = [inner[node.records.record][node.order] for _, _, inner in values]
        times_known = z3.And([z3.Implies(s, t.has_value) for (s, _, _), t in zip(values, times, strict=True)] or [TRUE])
        last, have = z3.IntVal(0), FALSE
        for (s, _, _), t in zip(values, times, strict=True):
            last = z3.If(z3.And(s, z3.Or(z3.Not(have), later(t.value, last))), t.value, last)
            have = z3.Or(have, s)
        chosen = fallback.value
        for (s, v, _), t in reversed(list(zip(values, times, strict=True))):  # the first selected at the last date
            chosen = z3.If(z3.And(s, t.value == last), v.value, chosen)
        agree = z3.And(
            [
                z3.Implies(z3.And(s, t.value == last), v.value == chosen)
                for (s, v, _), t in zip(values, times, strict=True)
            ]
            or [TRUE]
        )
        return Value(z3.And(base, times_known, agree, z3.Or(anything, fallback.known)), chosen, fallback.kind)

    # -- Values -----------------------------------------------------------------------------------

    def value(self, operand: model.Operand, records: Records) -> Value:
        if isinstance(operand, model.FactRef | model.FieldRef):
            if isinstance(operand, model.FactRef) and operand.fact in self.space.histories:
                history = self.space.histories[operand.fact]
                return Value(history.known, history.size, "history")
            slot = self._slot(operand, records)
            return Value(slot.has_value, slot.value, _kind(slot.type))
        if isinstance(operand, model.Const):
            return self._const(operand.value)
        if isinstance(operand, model.ValueRef):  # declared at the top: it reads no record a quantifier names
            if operand not in self._values:  # by formula too: two outcomes' terms may share a name
                self._values[operand] = self.value(operand.operand, {})
            return self._values[operand]
        if isinstance(operand, model.CodeSetRef):
            system = self.policy.codeset(operand.name).system
            return Value(TRUE, self.space.codes[system].members[operand.name], "codeset")
        if isinstance(operand, model.Arith):
            left, right = self.value(operand.left, records), self.value(operand.right, records)
            a, b = left.value, right.value
            if operand.op == "+":
                result = a + b
            elif operand.op == "-":
                result = a - b
            else:
                result = a * b if operand.op == "*" else _real(a) / _real(b)  # Ints would divide whole
            return Value(z3.And(left.known, right.known), result, "number")
        if isinstance(operand, model.Shift):
            day = self.value(operand.date, records)
            count = Value(TRUE, z3.IntVal(1), "number") if operand.count is None else self.value(operand.count, records)
            amount = operand.amount * _whole(count.value)
            moved = day.value + amount if operand.unit == "days" else self.calendar.shift_months(day.value, amount)
            return Value(z3.And(day.known, count.known), moved, "number")
        if isinstance(operand, model.Call):
            return self._call(operand, records)
        if isinstance(operand, model.Aggregate):
            return self._aggregate(operand, records)
        if isinstance(operand, model.Lookup):
            keys = [self.value(k, records) for k in operand.keys]
            row: Any = None
            for row_keys, const in reversed(operand.rows):  # the first row that matches; the last matches all left
                number = self._const(const.value).value
                match = z3.And([_key(k, v, self.space) for k, v in zip(row_keys, keys, strict=True)] or [TRUE])
                row = number if row is None else z3.If(match, number, row)
            return Value(z3.And([k.known for k in keys] or [TRUE]), row, "number")
        if isinstance(operand, model.Choice):
            chosen = self.truth(operand.condition, records)
            then, otherwise = self.value(operand.then, records), self.value(operand.otherwise, records)
            a, b = then.value, otherwise.value
            known = z3.Or(z3.And(chosen.true, then.known), z3.And(chosen.false, otherwise.known))
            return Value(known, z3.If(chosen.true, a, b), then.kind)
        raise Unsupported(f"an operand of kind {type(operand).__name__}")

    def _call(self, node: model.Call, records: Records) -> Value:
        values = [self.value(a, records) for a in node.arguments]
        known = z3.And([v.known for v in values])
        if node.function == "count":
            return Value(known, _size(values[0]), "number")
        if node.function == "month_start":
            return Value(known, self.calendar.month_start(values[0].value), "number")
        if node.function in ("max", "min"):
            a, b = (v.value for v in values) if len(values) == 2 else (None, None)
            if a is None:
                raise Unsupported(f"{node.function} of {len(values)} values")
            pick = z3.If(a >= b, a, b) if node.function == "max" else z3.If(a <= b, a, b)
            return Value(known, pick, "number")
        start, end = values[0].value, values[1].value
        if node.function == "days_between":
            return Value(known, end - start, "number")
        if node.function == "calendar_months_between":
            return Value(known, self.calendar.calendar_months(start, end), "number")
        months = self.calendar.months_between(start, end)
        if node.function == "months_between":
            return Value(known, months, "number")
        years = z3.If(months >= 0, months / 12, -((-months) / 12))
        return Value(known, years, "number")

    def _const(self, value: model.Value) -> Value:
        if isinstance(value, bool):
            return Value(TRUE, z3.BoolVal(value), "flag")
        if isinstance(value, int):
            return Value(TRUE, z3.IntVal(value), "number")
        if isinstance(value, str):
            return Value(TRUE, z3.IntVal(self.space.words.id(value)), "word")
        if isinstance(value, tuple):
            words = {w for w in value if isinstance(w, str)}
            if len(words) != len(value):
                return Value(TRUE, {v: TRUE for v in value}, "constants")
            return Value(TRUE, {w: TRUE for w in words}, "members")
        if hasattr(value, "toordinal"):
            return Value(TRUE, z3.IntVal(value.toordinal()), "number")
        return Value(TRUE, constant(value), "number")


def combine(count: int, operands: list[Truth]) -> Truth:
    """At least `count` of the operands: all (count = len) and any (count = 1) among them."""
    if count == len(operands):
        return Truth(z3.And([o.true for o in operands]), z3.Or([o.false for o in operands]))
    if count == 1:
        return Truth(z3.Or([o.true for o in operands]), z3.And([o.false for o in operands]))
    true = _count(o.true for o in operands)
    possible = _count(z3.Not(o.false) for o in operands)
    return Truth(true >= count, possible < count)


def _definite(condition: z3.BoolRef) -> Truth:
    return Truth(condition, z3.Not(condition))


def _on_known(known: z3.BoolRef, holds: z3.BoolRef) -> Truth:
    return Truth(z3.And(known, holds), z3.And(known, z3.Not(holds)))


def _count(conditions: Any) -> z3.ArithRef:
    terms = [z3.If(c, 1, 0) for c in conditions]
    return z3.Sum(terms) if terms else z3.IntVal(0)


def _distinct_count(counted: list[z3.BoolRef], values: list[Value]) -> z3.ArithRef:
    """How many different values the counted records have: each counts unless an earlier counted one has it."""
    new = []
    for i, c in enumerate(counted):
        earlier = [z3.And(counted[j], _equal(values[j], values[i])) for j in range(i)]
        new.append(z3.And(c, z3.Not(z3.Or(earlier or [FALSE]))))
    return _count(new)


def _kind(t: model.ScalarType) -> str:
    if isinstance(t, model.Boolean):
        return "flag"
    if isinstance(t, model.Enum | model.String):
        return "word"
    if isinstance(t, model.EnumSet):
        return "members"
    if isinstance(t, model.Codes):
        return "codes"
    if isinstance(t, model.Code):
        return "code"
    return "number"


def _real(value: Any) -> Any:
    return z3.ToReal(value) if z3.is_int(value) else value


def _whole(value: Any) -> Any:
    return z3.ToInt(value) if z3.is_real(value) else value


def _equal(left: Value, right: Value) -> z3.BoolRef:
    return left.value == right.value


def _compare(op: model.CompareOp, left: Value, right: Value) -> z3.BoolRef:
    if left.kind in ("members", "constants") or right.kind in ("members", "constants"):
        a, b = left.value, right.value
        same = z3.And([a.get(k, FALSE) == b.get(k, FALSE) for k in {*a, *b}] or [TRUE])
        return same if op == "==" else z3.Not(same)
    a, b = left.value, right.value  # an integer and a rational compare as rationals (z3 converts the first)
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _member(element: Value, collection: Value, space: Space) -> z3.BoolRef:
    if collection.kind == "codeset":
        if element.kind == "code":
            return z3.Or([element.value == i for i in collection.value] or [FALSE])
        raise Unsupported("a code set holding something other than a code")
    if collection.kind == "members":  # a set of words: of an enum set fact, or written out
        return z3.Or(
            [z3.And(held, element.value == space.words.id(w)) for w, held in collection.value.items()] or [FALSE]
        )
    if collection.kind == "constants":
        return z3.Or([(element.value) == constant(v) for v in collection.value] or [FALSE])
    raise Unsupported(f"membership in a {collection.kind}")


def _intersects(left: Value, right: Value, space: Space) -> z3.BoolRef:
    if left.kind == "codes" and right.kind == "codeset":
        return z3.Or([left.value[i] >= 1 for i in right.value] or [FALSE])
    if left.kind == "members" and right.kind == "members":
        return z3.Or([z3.And(held, right.value[w]) for w, held in left.value.items() if w in right.value] or [FALSE])
    if left.kind == "code" and right.kind == "codeset":
        return _member(left, right, space)
    raise Unsupported(f"a {left.kind} sharing members with a {right.kind}")


def _size(value: Value) -> z3.ArithRef:
    if value.kind == "history":
        return value.value
    if value.kind == "members":
        return _count(value.value.values())
    if value.kind == "codes":
        return z3.Sum(list(value.value.values())) if value.value else z3.IntVal(0)
    raise Unsupported(f"the size of a {value.kind}")


def _key(key: model.TableKey, value: Value, space: Space) -> z3.BoolRef:
    if key is None:
        return TRUE
    if isinstance(key, tuple):
        return z3.And(value.value >= key[0], value.value <= key[1])
    return value.value == space.words.id(key)
