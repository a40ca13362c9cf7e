"""Which requests two revisions of a policy decide differently: a proof that none do, or witnesses.

The solver is asked for a request, valid for either revision, whose outcome, deciding section or
terms differ. Each one found is a witness for its pair of decisions (old outcome and section ->
new); that pair is then ruled out and the question asked again, until no request is left (every change is listed) or a
question runs out of time (the answer says so). Each witness is decided by both revisions'
generated evaluators and by the interpreter, cut down to the facts the change needs, and described
by the region of requests that take the same change ("bmi in [35, 40)").
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import z3

from compiler import interpret, model, testing
from compiler.analysis.decide import Decision
from compiler.analysis.encode import Encoder, Value, _equal
from compiler.analysis.solve import Analysis
from compiler.analysis.space import Unsupported, constant
from compiler.analysis.suggest import smallest
from compiler.model.walk import preorder

MAX_PAIRS = 50  # pairs of decisions listed before the search stops (and says so)
INVALID = "invalid"


@dataclass
class Witness:
    old: str  # "covered by B.II", or "invalid"
    new: str
    request: dict[str, Any]
    region: list[str]  # what every request with this change has in common, in words
    confirmed: bool  # both evaluators and the interpreter decide it as the solver said

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "request": self.request,
            "region": self.region,
            "confirmed": self.confirmed,
        }


@dataclass
class Proof:
    status: (
        str  # unchanged (proved); changed (every change listed); incomplete (a question timed out, the list was cut)
    )
    bound: str  # "for histories of up to N records", or "" when no history is read
    witnesses: list[Witness] = field(default_factory=list)
    reason: str = ""  # why the answer is incomplete

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "bound": self.bound,
            "reason": self.reason,
            "witnesses": [w.to_dict() for w in self.witnesses],
        }


def prove(
    old: model.Policy,
    new: model.Policy,
    evaluators: tuple[types.ModuleType, types.ModuleType],
    timeout: float,
) -> Proof:
    try:
        analysis = Analysis(old, new, timeout=timeout)
        (before, after), space = analysis.decisions, analysis.space
        valid = [space.valid(old), space.valid(new)]
        changed = z3.Or(_differs(before, after, valid), _terms_differ(analysis, before, after))
    except Unsupported as exc:
        return Proof("incomplete", "", reason=f"the solver cannot compare the revisions: {exc}")
    proof = Proof("changed", analysis.bound_text)
    ruled_out: list[z3.BoolRef] = []
    while True:
        answer = analysis.ask(changed, *ruled_out, side=-1)
        if answer.impossible:
            if not proof.witnesses:
                proof.status = "unchanged"
            return proof
        if not answer.found:
            proof.status, proof.reason = "incomplete", f"a question to the solver ran out of time ({timeout:g} s)"
            return proof
        assert answer.model is not None and answer.request is not None
        pair = [_key(answer.model, d, v) for d, v in zip((before, after), valid, strict=True)]
        pair_condition = z3.And([_key_is(d, v, k) for d, v, k in zip((before, after), valid, pair, strict=True)])
        ruled_out.append(z3.Not(pair_condition))
        example = analysis.example(changed, pair_condition, side=-1)
        request = _smallest(old, new, example.request or answer.request)
        shown = [_shown(_decide(p, e, request)) for p, e in zip((old, new), evaluators, strict=True)]
        confirmed = shown[0] != shown[1] and all(map(_is, shown, pair))
        region = describe(analysis, z3.And(changed, pair_condition), old, new)
        proof.witnesses.append(Witness(shown[0], shown[1], request, region, confirmed))
        proof.witnesses.sort(key=lambda w: (w.old, w.new))  # in the same order whichever the solver finds first
        if len(proof.witnesses) == MAX_PAIRS:
            proof.status, proof.reason = "incomplete", f"more than {MAX_PAIRS} pairs of decisions change"
            return proof


def _is(shown: str, key: str) -> bool:
    """Whether a decision as shown (`covered by B.II, period_days = 180`) is the one a key names."""
    return shown == key or shown.startswith(key + ", ")


def _differs(before: Decision, after: Decision, valid: list[z3.BoolRef]) -> z3.BoolRef:
    """A request decided with another outcome or section (or valid for one revision only)."""
    same = [z3.And(p.condition, q.condition) for p in before.paths for q in after.paths if p.key == q.key]
    return z3.Or(valid[0] != valid[1], z3.And(valid[0], valid[1], z3.Not(z3.Or(same or [z3.BoolVal(False)]))))


def _terms_differ(analysis: Analysis, before: Decision, after: Decision) -> z3.BoolRef:
    """A request that both revisions decide alike, but with different terms."""
    old_encoder, new_encoder = analysis.encoders
    found = []
    for outcome in analysis.policies[0].outcomes:
        if not any(o.name == outcome.name for o in analysis.policies[1].outcomes):
            continue
        theirs = analysis.policies[1].outcome(outcome.name).terms
        both = z3.And(before.outcome_is(outcome.name), after.outcome_is(outcome.name))
        if [t.name for t in outcome.terms] != [t.name for t in theirs]:
            found.append(both)
            continue
        for mine, other in zip(outcome.terms, theirs, strict=True):
            a, b = old_encoder.value(_ref(mine), {}), new_encoder.value(_ref(other), {})
            differ = z3.BoolVal(True) if a.kind != b.kind else _value_differs(a, b)
            found.append(z3.And(both, differ))
    return z3.Or(found or [z3.BoolVal(False)])


def _value_differs(a: Value, b: Value) -> z3.BoolRef:
    return z3.Or(a.known != b.known, z3.And(a.known, b.known, z3.Not(_equal(a, b))))


def _ref(value: model.Computed) -> model.ValueRef:
    return model.ValueRef(value.name, value.operand, value.whole)


def _key(found: z3.ModelRef, decision: Decision, valid: z3.BoolRef) -> str:
    """How a revision decides the solver's request: `outcome by section`, or invalid."""
    if not z3.is_true(found.eval(valid, model_completion=True)):
        return INVALID
    return next(p.key for p in decision.paths if z3.is_true(found.eval(p.condition, model_completion=True)))


def _key_is(decision: Decision, valid: z3.BoolRef, key: str) -> z3.BoolRef:
    if key == INVALID:
        return z3.Not(valid)
    return z3.And(valid, z3.Or([p.condition for p in decision.paths if p.key == key]))


Decided = tuple[str, str, tuple[tuple[str, Any], ...]] | None  # outcome, section, terms; None: invalid


def _decide(policy: model.Policy, evaluator: types.ModuleType, request: dict[str, Any]) -> Decided | str:
    """How the generated evaluator decides a request, if the interpreter agrees; else why not."""
    try:
        decision = evaluator.evaluate(_own(policy, request), explain=False)
        ours: Decided = (decision.outcome, decision.section, tuple((n, _exact(v)) for n, v in decision.terms))
    except evaluator.InvalidRequest:
        ours = None
    return ours if ours == _interpreted(policy, request) else DISAGREE


def _interpreted(policy: model.Policy, request: dict[str, Any]) -> Decided:
    """How the interpreter decides a request: each revision reads only the facts it declares."""
    try:
        oracle = interpret.evaluate(policy, _own(policy, request))
    except interpret.InvalidRequest:
        return None
    return oracle["outcome"], oracle["section"], tuple((n, _exact(v)) for n, v in oracle["terms"].items())


def _own(policy: model.Policy, request: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in policy.facts}
    return {k: v for k, v in request.items() if k in names}


DISAGREE = "(the evaluators disagree)"


def _exact(value: Any) -> Any:
    """A term compared as a value, as `policyc test` compares them: a date is its text, numbers exact."""
    return testing.exact_json(interpret.to_json(value))


def _shown(decided: Decided | str) -> str:
    if decided is None:
        return INVALID
    if isinstance(decided, str):
        return decided
    outcome, section, terms = decided
    carried = "".join(f", {name} = {value}" for name, value in terms)
    return f"{outcome} by {section}{carried}"


def _smallest(old: model.Policy, new: model.Policy, request: dict[str, Any]) -> dict[str, Any]:
    """The request with every fact left out (unknown) that the change does not need."""

    def change(r: dict[str, Any]) -> tuple[Any, Any]:
        return _shown(_interpreted(old, r)), _shown(_interpreted(new, r))

    target = change(request)
    return smallest(request, lambda trial: change(trial) == target)


# -- The region of a change, in words ------------------------------------------------------------


def describe(analysis: Analysis, region: z3.BoolRef, old: model.Policy, new: model.Policy) -> list[str]:
    """What the requests of a region have in common: for each fact or value the changed provisions read,
    the values it can take there, when that is not every value."""
    found = []
    for name, policy in _subjects(old, new):
        encoder = analysis.encoders[0 if policy is old else 1]
        if any(c.name == name for c in policy.computed):
            value = encoder.value(_ref(policy.value(name)), {})
            if value.kind == "number" and not policy.value(name).date:
                found += _intervals(analysis, region, name, value, _thresholds(name, old, new))
            continue
        fact = policy.fact(name)
        if isinstance(fact.type, model.Integer | model.Decimal):
            value = encoder.value(model.FactRef(name), {})
            found += _intervals(analysis, region, name, value, _thresholds(name, old, new))
        elif isinstance(fact.type, model.Boolean | model.Enum):
            found += _choices(analysis, region, name, fact.type, encoder)
        elif isinstance(fact.type, model.EnumSet | model.Codes | model.Code):
            found += _members(analysis, region, name, fact.type, encoder, policy)
    return found


SMALL = 12  # a policy with no more facts than this is described by all of them, not only the changed ones


def _subjects(old: model.Policy, new: model.Policy) -> list[tuple[str, model.Policy]]:
    """The facts and values read by the provisions whose conditions differ between the revisions, then,
    for a small policy, every other fact."""
    theirs = {p.label: p for p in new.provisions}
    changed = [p for p in old.provisions if p.condition != getattr(theirs.get(p.label), "condition", None)]
    changed += [p for p in new.provisions if p.label not in {q.label for q in old.provisions}]
    found: dict[str, model.Policy] = {}
    for provision in changed:
        policy = new if provision.label in theirs and theirs[provision.label] is provision else old
        for name in (*provision.values, *provision.facts):
            found.setdefault(name, policy)
    if len(new.facts) <= SMALL:
        for fact in new.facts:
            found.setdefault(fact.name, new)
    return list(found.items())


def _thresholds(name: str, *policies: model.Policy) -> list[Fraction]:
    """The numbers a fact or value is compared with in either revision."""
    found: set[Fraction] = set()
    for policy in policies:
        for provision in policy.provisions:
            for node in preorder(provision.condition) if provision.condition is not None else ():
                if isinstance(node, model.Compare):
                    sides = {node.left, node.right}
                    if any(_names(s) == name for s in sides):
                        numbers = [s.value for s in sides if isinstance(s, model.Const) and _is_number(s.value)]
                        found |= {Fraction(n) for n in numbers}  # type: ignore[arg-type]
    return sorted(found)


def _names(operand: model.Operand) -> str | None:
    if isinstance(operand, model.ValueRef):
        return operand.name
    return operand.fact if isinstance(operand, model.FactRef) else None


def _is_number(value: Any) -> bool:
    return not isinstance(value, (bool, str, tuple)) and not hasattr(value, "toordinal")


def _intervals(analysis: Analysis, region: z3.BoolRef, name: str, value: Value, cuts: list[Fraction]) -> list[str]:
    """`bmi in [35, 40)`: the pieces between the thresholds where the region has requests, joined."""
    if not cuts:
        return []
    real = value.value  # compared with Ints where it can be: a policy of whole numbers stays in integer arithmetic

    def at(q: Fraction) -> z3.ArithRef:
        return constant(q)

    pieces: list[tuple[z3.BoolRef, str, str]] = [(real < at(cuts[0]), "(", "")]
    for i, cut in enumerate(cuts):
        pieces.append((real == at(cut), "[", str(_text(cut))))
        upper = real < at(cuts[i + 1]) if i + 1 < len(cuts) else z3.BoolVal(True)
        pieces.append((z3.And(real > at(cut), upper), "(", str(_text(cut))))
    possible = [analysis.ask(region, value.known, piece, side=-1) for piece, _, _ in pieces]
    if any(p.status == "timeout" for p in possible):
        return []
    unknown = analysis.ask(region, z3.Not(value.known), side=-1).found
    held = [p.found for p in possible]
    if all(held):
        return [] if unknown else [f"{name} is known"]
    runs: list[str] = []
    i = 0
    while i < len(pieces):
        if not held[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(pieces) and held[j + 1]:
            j += 1
        runs.append(_run(name, pieces, i, j, cuts))
        i = j + 1
    text = " or ".join(runs) if runs else f"{name} unknown"
    return [text + (" (or unknown)" if unknown and runs else "")]


def _run(name: str, pieces: list[tuple[Any, str, str]], first: int, last: int, cuts: list[Fraction]) -> str:
    """Pieces first..last as one interval: piece 0 is below the first cut, then each cut and the span after it."""
    low = None if first == 0 else (_text(cuts[(first - 1) // 2]), "[" if first % 2 == 1 else "(")
    high = None if last == len(pieces) - 1 else (_text(cuts[last // 2]), "]" if last % 2 == 1 else ")")
    if low is None and high is None:
        return f"{name} is known"
    if low is None:
        assert high is not None
        return f"{name} {'<=' if high[1] == ']' else '<'} {high[0]}"
    if high is None:
        return f"{name} {'>=' if low[1] == '[' else '>'} {low[0]}"
    if low[1] == "[" and high[1] == "]" and low[0] == high[0]:
        return f"{name} = {low[0]}"
    return f"{name} in {low[1]}{low[0]}, {high[0]}{high[1]}"


def _text(q: Fraction) -> str:
    exact = model.finite_decimal(q)
    return str(exact) if exact is not None else f"{q.numerator}/{q.denominator}"


def _choices(analysis: Analysis, region: z3.BoolRef, name: str, t: model.ScalarType, encoder: Encoder) -> list[str]:
    slot = analysis.space.slots[name]
    if isinstance(t, model.Boolean):
        options = {"true": slot.value, "false": z3.Not(slot.value)}
    else:
        assert isinstance(t, model.Enum)
        options = {v: slot.value == analysis.space.words.id(v) for v in t.values}
    held = [v for v, c in options.items() if analysis.ask(region, slot.has_value, c, side=-1).found]
    unknown = analysis.ask(region, z3.Not(slot.has_value), side=-1).found
    if len(held) == len(options):
        return []
    if not held:
        return [f"{name} unknown"]
    shown = held[0] if len(held) == 1 else "one of " + ", ".join(held)
    return [f"{name} is {shown}" + (" (or unknown)" if unknown else "")]


def _members(
    analysis: Analysis, region: z3.BoolRef, name: str, t: model.ScalarType, encoder: Encoder, policy: model.Policy
) -> list[str]:
    slot = analysis.space.slots[name]
    if isinstance(t, model.EnumSet):
        empty = analysis.ask(region, slot.has_value, *[z3.Not(b) for b in slot.value.values()], side=-1)
        unknown = analysis.ask(region, z3.Not(slot.has_value), side=-1).found
        return [f"{name} is not empty" + (" (or unknown)" if unknown else "")] if empty.impossible else []
    assert isinstance(t, model.Code | model.Codes)
    codes = analysis.space.codes[t.system]
    if isinstance(t, model.Code):
        held = {
            i for i in range(len(codes.classes)) if analysis.ask(region, slot.has_value, slot.value == i, side=-1).found
        }
    else:
        held = {i for i, n in slot.value.items() if analysis.ask(region, slot.has_value, n >= 1, side=-1).found}
    return [f"{name} in {s}" for s, members in codes.members.items() if held and held <= members]
