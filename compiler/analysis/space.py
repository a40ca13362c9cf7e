"""The requests a policy can be asked about, as SMT variables, and a solver's model read back as a request.

Each fact is a `Slot`: whether it is known, whether it is said to be absent, and its value.
Integers are Ints, decimals Reals (exact rationals), dates day numbers, words (enum values and
strings) numbers in one table of every word the policies write, a set of enum values a flag per
value, and a code the class of codes it falls in (one class per listed code, per listed prefix,
and one for every other code), so that membership in each code set is decided by the class.
A history is its length, up to `bound` records, and a slot per field of each record.

A `Space` can hold two revisions of a policy at once: a fact both declare is one slot, valid for
each revision within its own declared range (`valid`).
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import interegular
import z3

from compiler import model

MAX_DAY = datetime.date.max.toordinal()


class Unsupported(Exception):
    """What the analysis cannot model; the answer then says so instead of guessing."""


@dataclass
class Slot:
    """One fact, or one field of one record: unknown unless `known`; `absent` is known to be absent."""

    name: str
    type: model.ScalarType
    known: z3.BoolRef
    absent: z3.BoolRef
    value: Any  # an ArithRef, a BoolRef, or for a set a dict of member -> BoolRef (codes: class -> count)
    has_value: z3.BoolRef = field(init=False)  # known, and not absent

    def __post_init__(self) -> None:
        self.has_value = z3.And(self.known, z3.Not(self.absent))


@dataclass
class History:
    """A list fact: known or not, its length, and the slots of each record it may have."""

    name: str
    type: model.RecordList
    known: z3.BoolRef
    size: z3.ArithRef
    records: list[dict[str, Slot]]


class Words:
    """Every word (enum value or string constant) the policies write, each a number; other strings are
    the numbers after them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, word: str) -> int:
        return self.ids.setdefault(word, len(self.ids))

    def word(self, number: int) -> str | None:
        return next((w for w, i in self.ids.items() if i == number), None)


class Codes:
    """The classes of the codes of one coding system: each listed code; for each listed prefix, the codes
    under it that no longer listed prefix covers; and every other code. Every code of a class falls in
    the same code sets, so a code is modelled by its class. Each class is a regular language (the
    system's pattern, under its prefix, less the longer prefixes and the listed codes): one that is
    empty is no class, and its codes are found by walking its automaton."""

    def __init__(self, system: str, codesets: list[model.CodeSet]) -> None:
        self.system = system
        self.exact = sorted({c for s in codesets for c in s.exact})
        self.prefixes = sorted({p for s in codesets for p in s.prefixes})
        pattern = _language(model.CODE_SYSTEMS[system][0])
        listed = _language("|".join(re.escape(c) for c in self.exact)) if self.exact else None
        self.classes: list[tuple[str, bool]] = [(c, True) for c in self.exact]  # (exact code or prefix, exact)
        self._languages: dict[str, Any] = {}
        for prefix in [*self.prefixes, ""]:
            longer = [q for q in self.prefixes if q != prefix and q.startswith(prefix)]
            language = pattern.intersection(_language(re.escape(prefix) + ".*"))
            for other in [listed, *(_language(re.escape(q) + ".*") for q in longer)]:
                if other is not None:
                    language = language.difference(other)
            if not language.empty():
                self.classes.append((prefix, False))
                self._languages[prefix] = language
        self.members = {s.name: {i for i in range(len(self.classes)) if self.sample(i, 1)[0] in s} for s in codesets}

    def sample(self, index: int, count: int) -> list[str]:
        """`count` different codes of a class (fewer when the class has fewer)."""
        code, exact = self.classes[index]
        if exact:
            return [code]
        found = ("".join(chars) for chars in self._languages[code].strings() if all(isinstance(c, str) for c in chars))
        return list(itertools.islice(found, count))


def _language(regex: str) -> Any:
    return interegular.parse_pattern(regex).to_fsm()


@dataclass
class Space:
    """The facts of one or two revisions of a policy as SMT variables, with what makes a request valid."""

    policies: tuple[model.Policy, ...]
    bound: int  # the most records a history has
    words: Words = field(default_factory=Words)
    slots: dict[str, Slot] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)
    codes: dict[str, Codes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for policy in self.policies:
            for codeset in policy.codesets:
                self.words.id(codeset.name)
            for fact in policy.facts:
                for word in _words_of(fact.type):
                    self.words.id(word)
            for node in _constants(policy):
                for value in node.value if isinstance(node.value, tuple) else (node.value,):
                    if isinstance(value, str):
                        self.words.id(value)
        for system in sorted({s.system for p in self.policies for s in p.codesets}):
            found = [s for p in self.policies for s in p.codesets if s.system == system]
            self.codes[system] = Codes(system, found)
        declared: dict[str, model.Fact] = {}
        for policy in self.policies:
            for fact in policy.facts:
                first = declared.setdefault(fact.name, fact)
                if first.type.kind != fact.type.kind or isinstance(fact.type, model.RecordList) and first != fact:
                    raise Unsupported(f"fact '{fact.name}' changes its type from {first.type.kind} to {fact.type.kind}")
        for name, fact in declared.items():
            if isinstance(fact.type, model.RecordList):
                self.histories[name] = self._history(name, fact.type)
            else:
                self.slots[name] = self._slot(name, self._widest(name))

    def _widest(self, name: str) -> model.ScalarType:
        """A fact's type wide enough for every revision: the union of ranges and of enum values."""
        types = [p.fact(name).type for p in self.policies if any(f.name == name for f in p.facts)]
        first = types[0]
        if isinstance(first, model.Integer | model.Decimal):
            low, high = min(t.low for t in types), max(t.high for t in types)  # type: ignore[union-attr]
            return type(first)(low, high, first.unit)  # type: ignore[arg-type]
        if isinstance(first, model.Enum | model.EnumSet):
            values = tuple(dict.fromkeys(v for t in types for v in t.values))  # type: ignore[union-attr]
            return type(first)(values, (None,) * len(values))
        assert not isinstance(first, model.RecordList)
        return first

    def _slot(self, name: str, t: model.ScalarType) -> Slot:
        known, absent = z3.Bool(f"{name}?"), z3.Bool(f"{name}!absent")
        value: Any
        if isinstance(t, model.Boolean):
            value = z3.Bool(name)
        elif isinstance(t, model.Decimal):
            value = z3.Real(name)
        elif isinstance(t, model.EnumSet):
            value = {v: z3.Bool(f"{name}[{v}]") for v in t.values}
        elif isinstance(t, model.Codes):
            value = {i: z3.Int(f"{name}[{i}]") for i in range(len(self._codes(t.system).classes))}
        else:  # integers, dates, words and codes are whole numbers
            value = z3.Int(name)
        return Slot(name, t, known, absent, value)

    def _codes(self, system: str) -> Codes:
        return self.codes.setdefault(system, Codes(system, []))

    def _history(self, name: str, t: model.RecordList) -> History:
        records = [{f.name: self._slot(f"{name}[{i}].{f.name}", f.type) for f in t.fields} for i in range(self.bound)]
        return History(name, t, z3.Bool(f"{name}?"), z3.Int(f"{name}#"), records)

    # -- What a valid request is ------------------------------------------------------------------

    def valid(self, policy: model.Policy, leave: frozenset[str] = frozenset()) -> z3.BoolRef:
        """The requests that `policy` accepts: each value within its declared type, absent only if it may be;
        the facts named in `leave` are left to `within`."""
        return z3.And([self.within(f.name, policy) for f in policy.facts if f.name not in leave] or [True])

    def within(self, name: str, policy: model.Policy) -> z3.BoolRef:
        """The values of one fact that `policy` accepts."""
        fact = policy.fact(name)
        if not isinstance(fact.type, model.RecordList):
            return self._within(self.slots[name], fact.type, fact.absent)
        history = self.histories[name]
        found = [history.size >= 0, history.size <= self.bound]
        for record in history.records:
            found += [self._within(record[f.name], f.type, f.absent) for f in fact.type.fields]
        return z3.And(found)

    def _within(self, slot: Slot, t: model.ScalarType, may_be_absent: bool) -> z3.BoolRef:
        absent = z3.Implies(slot.absent, slot.known) if may_be_absent else z3.Not(slot.absent)
        return z3.And(absent, z3.Implies(slot.has_value, self._domain(slot, t)))

    def _domain(self, slot: Slot, t: model.ScalarType) -> z3.BoolRef:
        v = slot.value
        if isinstance(t, model.Integer | model.Decimal):
            return z3.And(v >= constant(t.low), v <= constant(t.high))
        if isinstance(t, model.Date):
            return z3.And(v >= 1, v <= MAX_DAY)
        if isinstance(t, model.Enum):
            return z3.Or([v == self.words.id(w) for w in t.values])
        if isinstance(t, model.EnumSet):
            return z3.And([z3.Not(b) for w, b in v.items() if w not in t.values] or [z3.BoolVal(True)])
        if isinstance(t, model.String):  # any string but the policy's own words that the pattern refuses
            refused = [i for w, i in self.words.ids.items() if t.pattern is not None and not re.fullmatch(t.pattern, w)]
            return z3.And(v >= 0, *[v != i for i in refused])
        if isinstance(t, model.Code):
            return z3.And(v >= 0, v < len(self._codes(t.system).classes))
        if isinstance(t, model.Codes):
            classes = self._codes(t.system).classes
            return z3.And([z3.And(n >= 0, n <= 1) if classes[i][1] else n >= 0 for i, n in v.items()] or [True])
        return z3.BoolVal(True)

    # -- A solver's model read back as a request ---------------------------------------------------

    def request(self, found: z3.ModelRef, policy: model.Policy | None = None) -> dict[str, Any]:
        """The JSON request a model describes: unknown facts left out (for `policy`'s facts only, if given)."""
        names = None if policy is None else {f.name for f in policy.facts}
        request: dict[str, Any] = {}
        for name, slot in self.slots.items():
            if names is None or name in names:
                value = self._read(found, slot)
                if value is not None:
                    request[name] = value
        for name, history in self.histories.items():
            if (names is None or name in names) and z3.is_true(found.eval(history.known, model_completion=True)):
                size = found.eval(history.size, model_completion=True).as_long()
                request[name] = [
                    {f: v for f, s in record.items() if (v := self._read(found, s)) is not None}
                    for record in history.records[:size]
                ]
        return request

    def _read(self, found: z3.ModelRef, slot: Slot) -> Any:
        def value(expr: Any) -> Any:
            return found.eval(expr, model_completion=True)

        if not z3.is_true(value(slot.known)):
            return None
        if z3.is_true(value(slot.absent)):
            return {"absent": True}
        t = slot.type
        if isinstance(t, model.Boolean):
            return z3.is_true(value(slot.value))
        if isinstance(t, model.Integer):
            return value(slot.value).as_long()
        if isinstance(t, model.Decimal):
            exact = model.finite_decimal(rational(value(slot.value)))
            if exact is None:
                raise Unsupported(f"{slot.name} has no finite decimal value in the solver's model")
            return exact
        if isinstance(t, model.Date):
            return datetime.date.fromordinal(value(slot.value).as_long()).isoformat()
        if isinstance(t, model.EnumSet):
            return sorted(w for w, b in slot.value.items() if z3.is_true(value(b)))
        if isinstance(t, model.Codes):
            codes = self._codes(t.system)
            return sorted(c for i, n in slot.value.items() for c in codes.sample(i, value(n).as_long()))
        if isinstance(t, model.Code):
            return self._codes(t.system).sample(value(slot.value).as_long(), 1)[0]
        number = value(slot.value).as_long()
        word = self.words.word(number)
        if word is None:  # a string that is none of the policy's words
            return _other_string(t.pattern if isinstance(t, model.String) else None, set(self.words.ids))
        return word


def rational(value: Any) -> Fraction:
    if z3.is_int_value(value):
        return Fraction(value.as_long())
    if z3.is_algebraic_value(value):
        raise Unsupported("an irrational value in the solver's model")
    return Fraction(value.numerator_as_long(), value.denominator_as_long())


def constant(value: Any) -> z3.ArithRef:
    """An exact number: an Int when it is whole, so that policies of whole numbers stay in integer arithmetic."""
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return z3.IntVal(fraction.numerator)
    return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")


def _other_string(pattern: str | None, taken: set[str]) -> str:
    """A string unlike every word of the policies, that the fact's pattern (if any) accepts."""
    for length in range(1, 4):
        for letters in itertools.product("ZYXQ0", repeat=length):
            candidate = "".join(letters)
            if candidate not in taken and (pattern is None or re.fullmatch(pattern, candidate)):
                return candidate
    return "other"


def _words_of(t: model.FactType) -> tuple[str, ...]:
    if isinstance(t, model.Enum | model.EnumSet):
        return t.values
    if isinstance(t, model.RecordList):
        return tuple(w for f in t.fields for w in _words_of(f.type))
    return ()


def _constants(policy: model.Policy) -> Iterator[model.Const]:
    from compiler.model.walk import preorder

    roots: list[Any] = [p.condition for p in policy.provisions if p.condition is not None]
    roots += [v.operand for v in policy.computed]
    roots += [t.operand for o in policy.outcomes for t in o.terms]
    for root in roots:
        for node in preorder(root):
            if isinstance(node, model.Const):
                yield node
            elif isinstance(node, model.Lookup):
                yield from (c for _, c in node.rows)
                yield from (model.Const(k) for keys, _ in node.rows for k in keys if isinstance(k, str))
