"""What changed in meaning between two revisions of a policy, and which decisions it changes.

`changes` compares two checked models, not their text: metadata and dates,
states, facts, provisions and their conditions, outcomes and the order of
decision. `impact` decides the same requests with both revisions' generated
evaluators and reports those whose outcome or deciding section changes. The
requests come from each fact's interesting values: unknown, every enum value,
and both sides of every threshold and date either revision mentions. When all
their combinations are few enough, every one is decided; otherwise the facts
that the changed provisions read take all their values and the other facts a
fixed sample of theirs.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import random
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from compiler import interpret, model
from compiler.syntax.unparse import condition, model_type

EXHAUSTIVE_LIMIT = 200_000  # requests decided when the whole space is enumerated
SAMPLES = 64  # completions of the other facts in a targeted search


@dataclass(frozen=True)
class Change:
    kind: str  # metadata, state, fact, provision, outcome, decide
    subject: str
    old: str | None  # None: added
    new: str | None  # None: removed

    @property
    def text(self) -> str:
        if self.old is None:
            return f"{self.kind} {self.subject} added: {self.new}"
        if self.new is None:
            return f"{self.kind} {self.subject} removed (was: {self.old})"
        return f"{self.kind} {self.subject}: {self.old} -> {self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "old": self.old, "new": self.new}


@dataclass
class Impact:
    search: str  # "grid": every combination of the sampled values; "targeted": a sample of those
    searched: int
    changed: int = 0
    examples: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # request, old, new

    def to_dict(self) -> dict[str, Any]:
        return {
            "search": self.search,
            "searched": self.searched,
            "changed": self.changed,
            "examples": [{"request": r, "old": old, "new": new} for r, old, new in self.examples],
        }


# -- Changes in meaning --------------------------------------------------------------------------------


def changes(old: model.Policy, new: model.Policy) -> list[Change]:
    found: list[Change] = []
    found += _compare("metadata", _metadata(old), _metadata(new))
    found += _compare("state", _states(old), _states(new))
    found += _compare("fact", _facts(old), _facts(new))
    found += _compare("provision", _provisions(old), _provisions(new))
    found += _compare("wording", _wordings(old), _wordings(new))
    found += _compare("outcome", _outcomes(old), _outcomes(new))
    old_order, new_order = _order(old), _order(new)
    if old_order != new_order:
        found.append(Change("decide", "order", "; ".join(old_order), "; ".join(new_order)))
    return found


def _compare(kind: str, old: dict[str, str], new: dict[str, str]) -> list[Change]:
    found = []
    for key in [*old, *(k for k in new if k not in old)]:
        if old.get(key) != new.get(key):
            found.append(Change(kind, key, old.get(key), new.get(key)))
    return found


def _metadata(policy: model.Policy) -> dict[str, str]:
    return {
        "id": policy.policy_id,
        "title": policy.title,
        "effective": policy.effective.isoformat(),
        **dict(policy.meta),
    }


def _states(policy: model.Policy) -> dict[str, str]:
    if policy.applicability is None:
        return {}
    return {
        s.code: f"effective {s.effective}" + (f", inactive from {s.inactive}" if s.inactive else "")
        for s in policy.applicability.states
    }


def _facts(policy: model.Policy) -> dict[str, str]:
    return {f.name: model_type(f.type) + (" or absent" if f.absent else "") for f in policy.facts}


def _provisions(policy: model.Policy) -> dict[str, str]:
    """Each provision's kind and condition; applicability's meaning is in the states."""
    return {
        p.label: p.kind + (f" when {condition(p.condition)}" if p.condition is not None else "")
        for p in policy.provisions
        if p.label != model.APPLICABILITY
    }


def _wordings(policy: model.Policy) -> dict[str, str]:
    return {
        p.label: (f"as {p.cited_as!r} " if p.cited_as else "") + repr(p.wording)
        for p in policy.provisions
        if p.label != model.APPLICABILITY
    }


def _outcomes(policy: model.Policy) -> dict[str, str]:
    """Each outcome's meaning, advisories and the terms it carries, by their formulas."""
    return {
        o.name: repr(o.description)
        + (f", advise {', '.join(o.advisories)}" if o.advisories else "")
        + "".join(f", carries {t.name} = {condition(t.operand)}" for t in o.terms)
        for o in policy.outcomes
    }


def _order(policy: model.Policy) -> list[str]:
    lines: list[str] = []
    for revision in policy.revisions:
        head = f"{revision.name}: " if len(policy.revisions) > 1 else ""
        lines += [f"{head}{r.outcome} when {r.condition_text}" for r in revision.rules]
        lines.append(f"{head}otherwise {revision.otherwise} by {revision.otherwise_section}")
    return [*lines, f"unknown {policy.unknown}"]


# -- Decision impact -----------------------------------------------------------------------------------


def impact(
    old: model.Policy, new: model.Policy, old_evaluator: types.ModuleType, new_evaluator: types.ModuleType
) -> Impact:
    pools = _pools(old, new)
    names = sorted(pools)
    size = 1
    for name in names:
        size *= len(pools[name])
    if size <= EXHAUSTIVE_LIMIT:
        combinations = itertools.product(*(pools[n] for n in names))
        requests: Iterator[dict[str, Any]] = (dict(zip(names, values, strict=True)) for values in combinations)
        result = Impact("grid", size)
    else:
        found = changes(old, new)
        varied = sorted(_facts_behind_changes(old, new, found) & set(names))
        labels = {c.subject for c in found if c.kind == "provision"}
        versions = ((old, old_evaluator), (new, new_evaluator))

        def reaches(request: dict[str, Any]) -> bool:
            """Whether either revision evaluates a changed provision for this request."""
            return any(labels.intersection(_evaluated(policy, evaluator, request)) for policy, evaluator in versions)

        requests, searched = _targeted(pools, names, varied, reaches if labels else None)
        result = Impact("targeted", searched)
    seen: set[tuple[str, str]] = set()
    for request in requests:
        before, after = _decide(old, old_evaluator, request), _decide(new, new_evaluator, request)
        if before != after:
            result.changed += 1
            if (before, after) not in seen and len(result.examples) < 5:
                seen.add((before, after))
                result.examples.append(({k: v for k, v in request.items() if v is not None}, before, after))
    return result


def _decide(policy: model.Policy, evaluator: types.ModuleType, request: dict[str, Any]) -> str:
    """`outcome (section)`, and the terms it carries; each revision reads only the facts it declares."""
    try:
        decision = evaluator.evaluate(_own(policy, request), explain=False)
    except evaluator.InvalidRequest as exc:
        return f"invalid ({exc})"
    terms = "".join(f", {name} = {value}" for name, value in decision.terms)
    return f"{decision.outcome} ({', '.join(decision.sections)}{terms})"


def _evaluated(policy: model.Policy, evaluator: types.ModuleType, request: dict[str, Any]) -> tuple[str, ...]:
    try:
        return tuple(evaluator.evaluate(_own(policy, request)).evaluated)
    except evaluator.InvalidRequest:
        return ()


def _own(policy: model.Policy, request: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in policy.facts}
    return {k: v for k, v in request.items() if k in names and v is not None}


def _targeted(
    pools: dict[str, list[Any]], names: list[str], varied: list[str], reaches: Callable[[dict[str, Any]], bool] | None
) -> tuple[Iterator[dict[str, Any]], int]:
    """Every combination of the varied facts' values, each with SAMPLES completions of the others.

    Completions are drawn at random (the same ones on every run); with `reaches`, only
    those that take a request to a changed provision are kept, so the search lands
    where the change is.
    """
    rng = random.Random(1308)
    while True:  # drop varied facts (keeping the first ones) until the search fits
        combinations = 1
        for name in varied:
            combinations *= len(pools[name])
        if combinations * SAMPLES <= EXHAUSTIVE_LIMIT or len(varied) <= 1:
            break
        varied = varied[:-1]
    others = [n for n in names if n not in varied]
    completions: list[dict[str, Any]] = []
    for _ in range(SAMPLES * 100):
        # Unknown one time in ten: mostly known facts, which carry a request furthest into the rules.
        completion = {n: rng.choice(pools[n][1:]) if rng.random() < 0.9 else None for n in others}
        pick = {n: rng.choice(pools[n]) for n in varied}
        if reaches is None or reaches({**completion, **pick}):
            completions.append(completion)
            if len(completions) == SAMPLES:
                break

    def requests() -> Iterator[dict[str, Any]]:
        for values in itertools.product(*(pools[n] for n in varied)):
            for completion in completions:
                yield {**completion, **dict(zip(varied, values, strict=True))}

    return requests(), combinations * SAMPLES


def _facts_behind_changes(old: model.Policy, new: model.Policy, changed: list[Change]) -> set[str]:
    """The facts read by provisions whose meaning changed, and facts whose type changed."""
    found: set[str] = set()
    for change in changed:
        if change.kind == "fact":
            found.add(change.subject)
        elif change.kind == "provision":
            for policy in (old, new):
                if any(p.label == change.subject for p in policy.provisions):
                    found.update(policy.provision(change.subject).facts)
        elif change.kind in ("state", "metadata", "decide"):
            for policy in (old, new):
                if policy.applicability is not None:
                    found.update((policy.applicability.state_fact, policy.applicability.date_fact))
                if change.kind == "decide":
                    found.update(f.name for f in policy.facts)
    return found


def _pools(old: model.Policy, new: model.Policy) -> dict[str, list[Any]]:
    """Each fact's values worth trying (JSON), both revisions' thresholds and dates included, unknown first."""
    constants: dict[str, set[Any]] = {}
    for policy in (old, new):
        for p in policy.provisions:
            if p.condition is not None:
                _collect(p.condition, constants, policy)
        if policy.applicability is not None:
            a = policy.applicability
            constants.setdefault(a.state_fact, set()).update(s.code for s in a.states)
            dates = [d for s in a.states for d in (s.effective, s.inactive) if d is not None] + [policy.effective]
            constants.setdefault(a.date_fact, set()).update(dates)
    pools: dict[str, list[Any]] = {}
    for policy in (old, new):
        for fact in policy.facts:
            values = pools.setdefault(fact.name, [None])
            for value in [*_values(fact.type, constants.get(fact.name, set())), *([ABSENT] if fact.absent else [])]:
                if value not in values:
                    values.append(value)
    for policy in (old, new):
        for name, found in _around_computed_thresholds(policy, pools).items():
            pools[name].extend(v for v in found if v not in pools[name])
    return pools


def _around_computed_thresholds(policy: model.Policy, pools: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Values of a number fact that put a computed number (`weight_kg / (height_m * height_m)`) just below,
    on and just above each constant it is compared with, and between two such constants, for each
    value the pools give the other facts it reads. Found by bisection, computed exactly."""
    targets: dict[model.Operand, set[Fraction]] = {}
    for p in policy.provisions:
        for compare in _comparisons(p.condition):
            for side, other in ((compare.left, compare.right), (compare.right, compare.left)):
                if isinstance(other, model.Const) and isinstance(other.value, (int, decimal.Decimal)):
                    if not isinstance(side, model.FactRef) and not isinstance(other.value, bool):
                        targets.setdefault(side, set()).add(Fraction(other.value))
    found: dict[str, list[Any]] = {}
    for operand, constants in targets.items():
        numbers = model.facts_read(operand)
        if not all(isinstance(policy.fact(f).type, (model.Integer, model.Decimal)) for f in numbers):
            continue
        ordered = sorted(constants)
        aims = [*ordered, *((a + b) / 2 for a, b in itertools.pairwise(ordered))]
        for solved in numbers:  # each fact in turn, the others at the values their pools give
            others = [n for n in numbers if n != solved]
            known = [[v for v in pools[o] if v is not None][:3] for o in others]
            for values in itertools.product(*known):
                for aim in aims:
                    for value in _bisect(policy, operand, solved, dict(zip(others, values, strict=True)), aim):
                        found.setdefault(solved, []).append(value)
    return found


def _bisect(
    policy: model.Policy, operand: model.Operand, fact: str, others: dict[str, Any], aim: Fraction
) -> list[Any]:
    """Values of `fact` around where `operand` crosses `aim` (nothing if it does not, over the fact's range)."""
    t = policy.fact(fact).type
    assert isinstance(t, (model.Integer, model.Decimal))

    def value(x: Fraction) -> Fraction | None:
        exact = {k: decimal.Decimal(repr(v)) if isinstance(v, float) else v for k, v in others.items()}
        facts = {f.name: None for f in policy.facts} | exact | {fact: decimal.Decimal(x.numerator) / x.denominator}
        if isinstance(t, model.Integer):
            facts[fact] = int(x)
        try:
            result = interpret.Evaluation(policy, facts).operand(operand)
        except (ArithmeticError, ValueError):
            return None
        return None if result is None else Fraction(result)

    low, high = Fraction(t.low), Fraction(t.high)
    at_low, at_high = value(low), value(high)
    if at_low is None or at_high is None or (at_low - aim) * (at_high - aim) > 0:
        return []
    rising = at_high >= at_low
    step = Fraction(1) if isinstance(t, model.Integer) else Fraction(1, 10**_PLACES)
    while high - low > step:
        middle = (low + high) / 2
        middle = Fraction(int(middle / step)) * step  # on the grid of values a request would hold
        if middle in (low, high):
            break
        reached = value(middle)
        if reached is None:
            return []
        if (reached < aim) == rising:
            low = middle
        else:
            high = middle
    shown = [low - step, low, high, high + step]
    bounds = (Fraction(t.low), Fraction(t.high))
    if isinstance(t, model.Integer):
        return [int(v) for v in shown if bounds[0] <= v <= bounds[1]]
    return [float(f"{float(v):.{_PLACES}f}") for v in shown if bounds[0] <= v <= bounds[1]]


_PLACES = 4  # decimal places of the values tried for a decimal fact


def _comparisons(expr: model.Expr | None) -> Iterator[model.Compare]:
    return (e for e in (model.preorder(expr) if expr is not None else ()) if isinstance(e, model.Compare))


def _collect(expr: model.Expr, constants: dict[str, set[Any]], policy: model.Policy) -> None:
    """The constants each fact is compared with, or tested against: thresholds and values to try."""
    for e in model.preorder(expr):
        if isinstance(e, model.Member | model.Intersects):
            fact, other = (e.element, e.collection) if isinstance(e, model.Member) else (e.left, e.right)
            if isinstance(fact, model.FactRef) and isinstance(other, model.CodeSetRef):
                constants.setdefault(fact.fact, set()).update(policy.codeset(other.name).exact)
                continue
        if isinstance(e, model.Compare | model.Member):
            left, right = (e.left, e.right) if isinstance(e, model.Compare) else (e.element, e.collection)
            for fact, const in ((left, right), (right, left)):
                if isinstance(fact, model.FactRef) and isinstance(const, model.Const):
                    values = const.value if isinstance(const.value, tuple) else (const.value,)
                    constants.setdefault(fact.fact, set()).update(values)


ABSENT: dict[str, Any] = {"absent": True}  # what a request gives for a fact or field known not to exist


def _values(t: model.FactType, constants: set[Any]) -> list[Any]:
    if isinstance(t, model.Boolean):
        return [True, False]
    if isinstance(t, model.Integer):
        near = {c + d for c in constants if isinstance(c, int) for d in (-1, 0, 1)} | {t.low, t.high}
        return sorted(v for v in near if t.low <= v <= t.high)
    if isinstance(t, model.Decimal):  # JSON numbers: floats, read back by their shortest decimal
        middle = (t.low + t.high) / 2
        nearby = {c + d for c in constants if isinstance(c, (int, decimal.Decimal)) for d in (-1, 0, 1)}
        values = {float(v) for v in nearby | {t.low, middle, t.high} if t.low <= v <= t.high}
        return sorted(values)
    if isinstance(t, (model.Code, model.Codes)):
        codes = sorted(c for c in constants if isinstance(c, str))
        other = {"CPT": "99999", "HCPCS": "V9999", "ICD10CM": "Z99.9"}[t.system]
        singles = [*codes, other] if other not in codes else codes
        return singles if isinstance(t, model.Code) else [[], *([c] for c in singles)]
    if isinstance(t, model.Enum):
        return list(t.values)
    if isinstance(t, model.EnumSet):
        return [[], *([v] for v in t.values)]
    if isinstance(t, model.Date):
        days = {c + datetime.timedelta(days=d) for c in constants if isinstance(c, datetime.date) for d in (-1, 0)}
        return [d.isoformat() for d in sorted(days)] or ["2000-01-01"]
    if isinstance(t, model.RecordList):  # none, and one record of the first or the last values tried for each field
        tried = {f.name: [*_values(f.type, constants), *([ABSENT] if f.absent else [])] for f in t.fields}
        return [[], *([{name: values[i] for name, values in tried.items()}] for i in (0, -1))]
    strings = sorted(c for c in constants if isinstance(c, str))
    return [*strings, "ZZ" if t.pattern is None or not strings else _other(strings)]


def _other(strings: list[str]) -> str:
    """A value of the same shape as those the policy names, but none of them (for a state: another state)."""
    sample = strings[0]
    candidate = "Z" * len(sample) if sample.isupper() else "z" * len(sample)
    return candidate if candidate not in strings else candidate[:-1] + "Y"
