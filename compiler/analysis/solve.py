"""Questions to the solver about one policy, or two revisions of it, each with a time bound.

`Analysis` encodes the policies once; `ask` says whether some valid request meets conditions:
`Answer.found` with a request, `Answer.impossible` when none can (a proof, within the bound on
history length when a history is read), or neither when the solver ran out of time.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import z3

from compiler import model
from compiler.analysis.calendar import Calendar
from compiler.analysis.decide import Decision, decide
from compiler.analysis.encode import Encoder
from compiler.analysis.space import Space, Unsupported
from compiler.model.walk import preorder

TIMEOUT_SECONDS = 10.0  # each question; `--timeout` changes it
PLAIN_DAYS = (datetime.date(2000, 1, 1).toordinal(), datetime.date(2030, 12, 31).toordinal())
PLAIN_RECORDS = 3
MAX_BOUND = 25  # the most records a history is given, whatever the policy counts


@dataclass
class Answer:
    status: str  # found, impossible, timeout
    request: dict[str, Any] | None = None  # with found
    model: z3.ModelRef | None = None  # with found
    core: list[str] = field(default_factory=list)  # with impossible: the named assumptions that suffice

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def impossible(self) -> bool:
        return self.status == "impossible"


class Analysis:
    def __init__(self, *policies: model.Policy, timeout: float = TIMEOUT_SECONDS) -> None:
        self.policies = policies
        self.bound = max(bound_for(p) for p in policies)
        self.space = Space(policies, self.bound)
        self.calendar = Calendar()
        self.encoders = [Encoder(self.space, p, self.calendar) for p in policies]
        self.decisions: list[Decision] = [decide(e) for e in self.encoders]
        self.timeout = timeout
        self.integral = all(_integral(p) for p in policies)
        self.questions = 0
        self.timeouts = 0
        self._solvers: dict[tuple[int, frozenset[str]], tuple[z3.Solver, int]] = {}

    @property
    def histories(self) -> bool:
        """Whether an answer depends on the bound on the length of histories."""
        return any(isinstance(f.type, model.RecordList) for p in self.policies for f in p.facts)

    @property
    def bound_text(self) -> str:
        return f"for histories of up to {self.bound} records" if self.histories else ""

    def ask(self, *conditions: z3.BoolRef, named: dict[str, z3.BoolRef] | None = None, side: int = 0) -> Answer:
        """Whether a request valid for the `side`th policy (or for either, with side=-1) meets the conditions
        and the `named` assumptions; when none does, the core names the assumptions that rule it out."""
        named = named or {}
        leave = frozenset(named) & {f.name for p in self.policies for f in p.facts}
        solver = self._solver(side, leave)
        solver.push()
        try:
            return self._check(solver, conditions, named)
        finally:
            solver.pop()

    def _solver(self, side: int, leave: frozenset[str]) -> z3.Solver:
        """A solver holding what makes a request valid and the calendar's facts, kept between questions."""
        key = (side, leave)
        if key not in self._solvers:
            solver = z3.SolverFor("QF_AUFLIA") if self.integral else z3.Solver()  # the first is faster
            solver.set(timeout=max(1, int(self.timeout * 1000)))
            if side < 0:
                solver.add(z3.Or([self.space.valid(p) for p in self.policies]))
            else:  # a fact's range among the named assumptions is left to them, so that a core can name it
                solver.add(self.space.valid(self.policies[side], leave=leave))
            self._solvers[key] = (solver, 0)
        solver, added = self._solvers[key]
        solver.add(*self.calendar.facts[added:])
        self._solvers[key] = (solver, len(self.calendar.facts))
        return solver

    def _check(self, solver: z3.Solver, conditions: tuple[z3.BoolRef, ...], named: dict[str, z3.BoolRef]) -> Answer:
        solver.add(*conditions)
        self.questions += 1
        literals = {name: z3.Bool(f"_assume {name}") for name in named}
        solver.add(*(z3.Implies(literals[n], c) for n, c in named.items()))
        result = solver.check(*literals.values())
        if result == z3.unsat:
            core = {str(c) for c in solver.unsat_core()}
            return Answer("impossible", core=[n for n, lit in literals.items() if str(lit) in core])
        if result == z3.unknown:
            self.timeouts += 1
            return Answer("timeout")
        try:
            return Answer("found", self.space.request(solver.model()), solver.model())
        except Unsupported:  # a decimal with no end: ask again on a grid of ten-thousandths
            solver.add(*self._grid())
            if solver.check(*literals.values()) == z3.sat:
                return Answer("found", self.space.request(solver.model()), solver.model())
            self.timeouts += 1
            return Answer("timeout")

    def example(self, *conditions: z3.BoolRef, side: int = 0) -> Answer:
        """As `ask`, preferring a request a person can read: dates of service from 2000 to 2030 and short
        histories, when there is such a request."""
        if self.plain:
            preferred = self.ask(*conditions, *self.plain, side=side)
            if preferred.found:
                return preferred
        return self.ask(*conditions, side=side)

    @property
    def plain(self) -> list[z3.BoolRef]:
        slots = [*self.space.slots.values()]
        slots += [s for h in self.space.histories.values() for r in h.records for s in r.values()]
        days = [s.value for s in slots if isinstance(s.type, model.Date)]
        found = [z3.And(d >= PLAIN_DAYS[0], d <= PLAIN_DAYS[1]) for d in days]
        return found + [h.size <= PLAIN_RECORDS for h in self.space.histories.values()]

    def _grid(self) -> list[z3.BoolRef]:
        slots = [s for s in self.space.slots.values() if isinstance(s.type, model.Decimal)]
        slots += [
            s
            for h in self.space.histories.values()
            for r in h.records
            for s in r.values()
            if isinstance(s.type, model.Decimal)
        ]
        return [s.value * 10_000 == z3.ToReal(z3.Int(f"_grid {s.name}")) for s in slots]


def bound_for(policy: model.Policy) -> int:
    """Records enough for every count the policy tests: one more than the largest `at least N` or number
    a count of records is compared with, and at least 2, so that records can differ."""
    largest = 1
    for node in _nodes(policy):
        if isinstance(node, model.Quantify):
            largest = max(largest, node.count)
        elif isinstance(node, model.Compare) and any(_counts(side) for side in (node.left, node.right)):
            numbers = [
                n.value for side in (node.left, node.right) for n in preorder(side) if isinstance(n, model.Const)
            ]
            largest = max([largest, *(n + 1 for n in numbers if isinstance(n, int) and not isinstance(n, bool))])
    return min(largest + 1, MAX_BOUND)


def _integral(policy: model.Policy) -> bool:
    """Whether every number the policy reads is whole: no decimal fact, field or constant, no quotient."""
    types = [f.type for f in policy.facts]
    types += [g.type for f in policy.facts if isinstance(f.type, model.RecordList) for g in f.type.fields]
    if any(isinstance(t, model.Decimal) for t in types):
        return False
    nodes = list(_nodes(policy))
    quotients = any(isinstance(n, model.Arith) and n.op == "/" for n in nodes)
    return not quotients and not any(isinstance(n, model.Const) and isinstance(n.value, decimal.Decimal) for n in nodes)


def _nodes(policy: model.Policy) -> Iterator[model.Expr | model.Operand]:
    """Every node of the policy's conditions and computed values."""
    for provision in policy.provisions:
        if provision.condition is not None:
            yield from preorder(provision.condition)
    for value in policy.computed:
        yield from preorder(value.operand)


def _counts(operand: model.Expr | model.Operand) -> bool:
    """Whether an operand counts (or sums) records, through the values it reads too."""
    return any(isinstance(n, model.Aggregate) and n.function in ("count", "sum") for n in preorder(operand))
