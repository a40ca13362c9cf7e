"""The lowering: conditions and the order of decision of the checked model, as `pyir`.

One lowering serves every function of an evaluator. Where every fact a condition reads is
known (`known`, a property of the branch being written), it is plain Python booleans;
elsewhere it is three-valued, None for unknown. A reference to a provision is a call of the
provision's function, the local that holds its value, or its condition written in place.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, assert_never

from compiler import model
from compiler.targets.python import pyir, records
from compiler.targets.python.pyir import NONE, Expr, Stmt, call, fact, is_none
from compiler.targets.python.records import Slot
from compiler.targets.python.values import Values

# For known values only: where a value may be unknown, `not (a < b)` is not `a >= b`.
_NEGATED: dict[model.CompareOp, model.CompareOp] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
Refs = Literal["call", "local", "inline"]


def function_name(label: str) -> str:
    return "_" + label.replace(".", "_")


def missing_function_name(label: str) -> str:
    return "_missing" + function_name(label)


def local_name(label: str) -> str:
    """The local variable holding a provision's value in `decide`: D.I.A -> d_i_a."""
    return label.lower().replace(".", "_")


@dataclass
class Block:
    """Statements of one function being written: its locals, and the facts known where they run.

    Without a block, a three-valued combination calls the runtime's `_all`, `_any`, `_not`;
    within one it is written out, on a temporary, since `decide` is every request's hot path.
    """

    known: frozenset[str]
    temps: Iterator[int]
    computed: set[str] = field(default_factory=set)  # provisions whose value is in a local
    statements: list[Stmt] = field(default_factory=list)

    def temp(self, value: Expr) -> pyir.Name:
        name = f"v{next(self.temps)}"
        self.statements.append(pyir.Assign(name, value))
        return pyir.Name(name)


class Lowering:
    def __init__(self, policy: model.Policy, values: Values, slots: dict[str, Slot] | None = None) -> None:
        self.policy = policy
        self.values = values
        self.slots = slots or {}  # the quantifiers and aggregates over records, by the name they stand under
        self.absent = frozenset(f.name for f in policy.facts if f.absent)  # facts declared `or absent`
        self._reads: dict[int, tuple[model.Expr, tuple[str, ...]]] = {}  # by id, with the node, which stays alive

    # -- Conditions ----------------------------------------------------------------------------

    def condition(self, expr: model.Expr, known: frozenset[str], refs: Refs, block: Block | None = None) -> Expr:
        """An expression's value: a bool where every fact it reads is known, else True, False or None."""
        if isinstance(expr, model.ProvisionRef):
            return self.reference(expr.label, known, refs, block)
        if isinstance(expr, model.Const):
            return pyir.Lit(expr.value) if isinstance(expr.value, bool) else self.values.constant(expr.value)
        if isinstance(expr, model.FactRef):
            return fact(expr.fact)
        if isinstance(expr, model.FieldRef):
            return self.values.operand(expr)
        if isinstance(expr, model.Quantify):  # one that reads an enclosing record: in place
            return records.in_place(self, expr)
        if isinstance(expr, model.Known):  # true or false, never unknown
            return self.test(expr)
        negated = isinstance(expr, model.Not) and isinstance(expr.operand, model.Present)
        present = expr.operand if isinstance(expr, model.Not) and negated else expr
        if isinstance(present, model.Present) and not self.is_known(expr, known):  # unknown unless given
            value, not_said = self.values.operand(present.operand), self.said_absent(present.operand, "not in")
            assert not_said is not None  # the checker allows `is present` only of what may be absent
            unknown = pyir.BoolOp("and", (is_none(value), not_said))
            return pyir.IfExp(unknown, NONE, pyir.Compare("is" if negated else "is not", value, NONE))
        if self.is_known(expr, known):
            return self.two_valued(expr, known, refs, block)
        if isinstance(expr, model.Not):
            operand = self.condition(expr.operand, known, refs, block)
            if block is None:
                return call("_not", operand)
            atom = operand if isinstance(operand, pyir.Name | pyir.Attr | pyir.Lit) else block.temp(operand)
            return pyir.IfExp(is_none(atom), NONE, pyir.Not(atom))
        if isinstance(expr, model.Combine):
            operands = tuple(self.condition(o, known, refs, block) for o in expr.operands)
            if expr.kind == "at_least":
                return call("_at_least", pyir.Lit(expr.count), *operands)
            if block is None:
                return call(f"_{expr.kind}", *operands)
            values = block.temp(pyir.Tuple(operands))  # each operand used once: no temporaries of its own
            decisive, other = (False, True) if expr.kind == "all" else (True, False)
            undecided = pyir.IfExp(pyir.Compare("in", NONE, values), NONE, pyir.Lit(other))
            return pyir.IfExp(pyir.Compare("in", pyir.Lit(decisive), values), pyir.Lit(decisive), undecided)
        # An aggregate that reads the record around it: its value bound where it is first tested.
        bound = [self.values.in_place(a, records.in_place(self, a)) for a in _aggregates_in_place(expr)]
        return pyir.IfExp(self.any_unknown(expr, known, bound), NONE, self.test(expr))

    def any_unknown(self, expr: model.Expr | model.Operand, known: frozenset[str], also: Sequence[Expr] = ()) -> Expr:
        """Whether a fact or a record's field that `expr` reads, and that is not known here, is unknown
        (or one of the values `also` given)."""
        fields, facts = _read_outside_records(expr)  # what an aggregate reads, it answers for itself
        unknown: list[Expr] = [fact(name) for name in facts if name not in known]
        unknown += [self.values.operand(f) for f in fields]
        tests = tuple(is_none(value) for value in [*unknown, *also])
        return (tests[0] if len(tests) == 1 else pyir.BoolOp("or", tests)) if tests else pyir.Lit(False)

    def record_value(self, operand: model.Operand) -> Expr:
        """A value inside a quantifier or aggregate: None when a fact or field it reads is unknown."""
        value = self.values.operand(operand)
        if isinstance(operand, model.FactRef | model.FieldRef):
            return value
        unknown = self.any_unknown(operand, frozenset())
        return value if unknown == pyir.Lit(False) else pyir.IfExp(unknown, NONE, value)

    def two_valued(self, expr: model.Expr, known: frozenset[str], refs: Refs, block: Block | None) -> Expr:
        """A condition whose facts are known, in plain Python booleans."""
        if isinstance(expr, model.ProvisionRef | model.Const | model.FactRef | model.FieldRef | model.Quantify):
            return self.condition(expr, known, refs, block)  # a record's field or quantifier: only where unknown
        if isinstance(expr, model.Not):
            return self.negation(expr.operand, known, refs, block)
        if isinstance(expr, model.Combine):
            if expr.kind != "at_least" and any(model.Not(o) in expr.operands for o in expr.operands):
                return pyir.Lit(expr.kind == "any")  # `x or not x` where x is known: what ruff (SIM221) says
            operands = tuple(self.two_valued(o, known, refs, block) for o in expr.operands)
            if expr.kind == "at_least":  # True + True == 2
                total = operands[0]
                for operand in operands[1:]:
                    total = pyir.BinOp("+", total, operand)
                return pyir.Compare(">=", total, pyir.Lit(expr.count))
            return operands[0] if len(operands) == 1 else pyir.BoolOp("and" if expr.kind == "all" else "or", operands)
        return self.test(expr)

    def negation(self, operand: model.Expr, known: frozenset[str], refs: Refs, block: Block | None) -> Expr:
        inner = self.resolve(operand) if refs == "inline" else operand
        if isinstance(inner, model.Not):  # not not x: x, as a bool
            return call("bool", self.two_valued(inner.operand, known, refs, block))
        if isinstance(inner, model.Empty):
            return call("bool", self.values.operand(inner.operand))
        if isinstance(inner, model.Member):
            element, collection = self.values.operand(inner.element), self.values.operand(inner.collection)
            return pyir.Compare("not in", element, collection)
        if isinstance(inner, model.Compare):
            return self.values.comparison(inner, _NEGATED[inner.op])
        if isinstance(inner, model.Intersects) and not isinstance(inner.right, model.CodeSetRef):
            left, right = self.values.operand(inner.left), self.values.operand(inner.right)
            return pyir.Call(pyir.Attr(left, "isdisjoint"), (right,))  # not `not not a.isdisjoint(b)`
        return pyir.Not(self.two_valued(operand, known, refs, block))

    def test(
        self, expr: model.Compare | model.Member | model.Intersects | model.Empty | model.Known | model.Present
    ) -> Expr:
        """A comparison, membership or emptiness test, on values that are known.

        Typed by the tests the model has: a new one fails type checking where it is lowered."""
        if isinstance(expr, model.Compare):
            return self.values.comparison(expr)
        if isinstance(expr, model.Member):
            return pyir.Compare("in", self.values.operand(expr.element), self.values.operand(expr.collection))
        if isinstance(expr, model.Intersects):
            left, right = self.values.operand(expr.left), self.values.operand(expr.right)
            if isinstance(expr.right, model.CodeSetRef):
                return pyir.Call(pyir.Attr(right, "meets"), (left,))
            return pyir.Not(pyir.Call(pyir.Attr(left, "isdisjoint"), (right,)))
        if isinstance(expr, model.Empty):
            return pyir.Not(self.values.operand(expr.operand))
        if isinstance(expr, model.Known):  # a value, or said to be absent
            refs = (
                [expr.operand]
                if isinstance(expr.operand, model.FieldRef)
                else map(model.FactRef, model.facts_read(expr))
            )
            tests = tuple(self.given(ref) for ref in refs)
            return (tests[0] if len(tests) == 1 else pyir.BoolOp("and", tests)) if tests else pyir.Lit(True)
        if isinstance(expr, model.Present):  # where it is known: it has a value
            return pyir.Compare("is not", self.values.operand(expr.operand), NONE)
        assert_never(expr)

    def said_absent(self, ref: model.FactRef | model.FieldRef, op: Literal["in", "not in"] = "in") -> Expr | None:
        """`'x' in f.absent` for a fact or field declared `or absent` (or `not in`); None for any other."""
        if isinstance(ref, model.FieldRef):
            return (
                pyir.Compare(op, pyir.Lit(ref.name), pyir.Attr(pyir.Name(ref.record), "absent")) if ref.absent else None
            )
        return pyir.Compare(op, pyir.Lit(ref.fact), pyir.Attr(pyir.F, "absent")) if ref.fact in self.absent else None

    def given(self, ref: model.FactRef | model.FieldRef) -> Expr:
        """Whether the request gives a fact or field: a value, or that it is absent."""
        has_value, said = pyir.Compare("is not", self.values.operand(ref), NONE), self.said_absent(ref)
        return has_value if said is None else pyir.BoolOp("or", (has_value, said))

    def unknown(self, name: str) -> Expr:
        """Whether a fact is unknown: no value, and not said to be absent."""
        not_said = self.said_absent(model.FactRef(name), "not in")
        return is_none(fact(name)) if not_said is None else pyir.BoolOp("and", (is_none(fact(name)), not_said))

    def reference(self, label: str, known: frozenset[str], refs: Refs, block: Block | None) -> Expr:
        if refs == "call":
            return call(function_name(label), pyir.F)
        if refs == "inline":
            return self.condition(self.resolve(model.ProvisionRef(label)), known, refs, block)
        assert block is not None
        self.compute(label, block)
        return pyir.Name(local_name(label))

    def compute(self, label: str, block: Block) -> None:
        """Put a provision's value in its local, once, with the values of the provisions it reads first."""
        if label not in block.computed:
            condition = self.policy.provision(label).condition
            assert condition is not None
            value = self.condition(condition, block.known, "local", block)
            block.statements.append(pyir.Assign(local_name(label), value))
            block.computed.add(label)

    def resolve(self, expr: model.Expr) -> model.Expr:
        """A provision's condition in place of a reference to it."""
        while isinstance(expr, model.ProvisionRef):
            condition = self.policy.provision(expr.label).condition
            assert condition is not None
            expr = condition
        return expr

    def reads(self, expr: model.Expr) -> tuple[str, ...]:
        """The facts a condition reads, through the provisions it refers to (asked of each node often: kept)."""
        known = self._reads.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        found = dict.fromkeys(model.facts_read(expr))
        found.update(dict.fromkeys(f.dotted for f in _read_outside_records(expr)[0]))  # never known: three-valued
        for label in model.provisions_referenced(expr):
            condition = self.policy.provision(label).condition
            if condition is not None:
                found.update(dict.fromkeys(self.reads(condition)))
        self._reads[id(expr)] = (expr, tuple(found))
        return tuple(found)

    def is_known(self, expr: model.Expr, known: frozenset[str]) -> bool:
        return known.issuperset(self.reads(expr))

    # -- The facts behind an unknown value -------------------------------------------------------

    def missing(self, expr: model.Expr) -> list[Stmt]:
        """Statements adding to `missing` the facts that leave an unknown `expr` unknown."""
        if isinstance(expr, model.ProvisionRef):
            return [pyir.AugAssign("missing", "|=", call(missing_function_name(expr.label), pyir.F))]
        if isinstance(expr, model.Not):
            return self.missing(expr.operand)
        if isinstance(expr, model.Combine):
            statements: list[Stmt] = []
            for operand in expr.operands:
                while isinstance(operand, model.Not):  # `not x` is unknown exactly when x is
                    operand = operand.operand
                if isinstance(operand, model.Combine | model.ProvisionRef):
                    unknown = is_none(self.condition(operand, frozenset(), "call"))
                    statements.append(pyir.If(unknown, tuple(self.missing(operand))))
                else:  # a comparison whose facts are known adds nothing, so it needs no test
                    statements += self.missing(operand)
            return statements
        if isinstance(expr, model.Known):  # never unknown: it leaves nothing to ask for
            return []
        add = pyir.Attr(pyir.Name("missing"), "add")
        names = model.facts_read(expr)
        slots = [self.slots[name] for name in names if name in self.slots]
        if not slots:
            return [pyir.If(self.unknown(name), (pyir.Do(pyir.Call(add, (pyir.Lit(name),))),)) for name in names]
        # Through its records: the unknown facts it reads; if none, a record's field is: ask for the lists.
        expanded = (self.slots[name].facts if name in self.slots else (name,) for name in names)
        real = tuple(dict.fromkeys(n for found in expanded for n in found))
        each = [pyir.If(self.unknown(name), (pyir.Do(pyir.Call(add, (pyir.Lit(name),))),)) for name in real]
        update = pyir.Attr(pyir.Name("missing"), "update")
        lists: list[Stmt] = [  # the lists of the quantifiers and aggregates that are unknown
            pyir.If(is_none(fact(slot.name)), (pyir.Do(pyir.Call(update, (pyir.Lit(slot.lists),))),)) for slot in slots
        ]
        unknown = is_none(self.condition(expr, frozenset(), "call"))
        return [pyir.If(unknown, (*each, pyir.If(pyir.all_known(real), tuple(lists))))]


def _aggregates_in_place(expr: model.Expr | model.Operand) -> list[model.Aggregate]:
    """The aggregates in a test that were not made properties of Facts: they read an enclosing record."""
    return [e for e in model.preorder(expr) if isinstance(e, model.Aggregate)]


def _read_outside_records(expr: model.Expr | model.Operand) -> tuple[list[model.FieldRef], list[str]]:
    """The fields of records and the facts that `expr` reads itself, not inside a quantifier or
    aggregate of its own (which is unknown exactly when what it reads leaves it so)."""
    fields: dict[str, model.FieldRef] = {}
    facts: dict[str, None] = {}
    stack: list[model.Expr | model.Operand] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, model.FieldRef):
            fields.setdefault(e.dotted, e)
        elif isinstance(e, model.FactRef):
            facts[e.fact] = None
        elif not isinstance(e, model.Quantify | model.Aggregate) or e is expr:
            stack.extend(reversed(model.children(e)))
    return list(fields.values()), list(facts)


def counter() -> Iterator[int]:
    return itertools.count(1)
