"""Test cases that reach what a policy's tests do not, found by the solver: `policyc test --suggest`.

A target is one value of coverage (a rule or provision true, false or unknown, as `policyc test
--coverage` counts them) or an outcome that no case reaches. For each target still open the
solver is asked for a request that reaches it; the request is cut down to the facts it needs,
decided by the generated evaluator (which must agree with the interpreter), and kept as a case
with the outcome, section and missing facts it gets, in the `.tests` format for an author to
review. Every target it reaches is closed with it. A target no request reaches is a gap, with
the reason; one the solver could not settle in time is a gap that says so.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from compiler import interpret, model, testing
from compiler.analysis.solve import Analysis
from compiler.analysis.space import Unsupported
from compiler.diagnostics import Span
from compiler.syntax.fmt import json_text
from compiler.syntax.unparse import quote


@dataclass(frozen=True)
class Target:
    kind: str  # rule, provision or outcome
    label: str  # as coverage names it: `covered when B.II`, `B.I.A`, or the outcome
    side: str  # true, false or unknown; "" for an outcome
    line: int

    @property
    def text(self) -> str:
        if self.kind == "outcome":
            return f"outcome {self.label}"
        if self.kind == "rule":
            return f"rule '{self.label}' {self.side}"
        return f"provision {self.label} {self.side}"


@dataclass
class Suggestion:
    target: Target
    request: dict[str, Any]
    outcome: str
    section: str
    missing: tuple[str, ...]

    def case(self, title: str) -> str:
        """The case in the `.tests` format."""
        head = f"case {quote(title)} expect {self.outcome} by {self.section} missing [{', '.join(self.missing)}] {{"
        body = [f"    {name}: {json_text(value)}" for name, value in self.request.items()]
        return "\n".join([head, *body, "}"])


@dataclass
class Gap:
    target: Target
    reason: str
    proved: bool = False  # no request reaches it (within the bound on histories); else the solver could not tell


def _never(target: Target, analysis: Analysis, policy: model.Policy) -> str:
    """Why no request reaches a target."""
    if target.kind == "outcome":
        return "no request reaches it"
    if target.kind == "rule":
        return f"the rule is never {target.side} when a request reaches it"
    if not analysis.ask(analysis.decisions[0].evaluated(target.label, policy)).found:
        return "no decision lists it among its criteria: no rule a request reaches cites it or a provision above it"
    return f"no decision that lists it finds it {target.side}"


def targets(policy: model.Policy, covered: testing.Coverage, outcomes: set[str]) -> list[Target]:
    """What the cases leave open: values of coverage, then outcomes that no case reaches."""
    found = [Target(i.kind, i.label, side, i.line) for i in covered.items for side in i.uncovered]
    decided = {r.outcome for r in policy.rules} | {r.otherwise for r in policy.revisions} | {policy.unknown}
    open_outcomes = [o for o in policy.outcomes if o.name in decided - outcomes]
    return found + [Target("outcome", o.name, "", o.span.line if o.span else 1) for o in open_outcomes]


def suggest(
    policy: model.Policy, open_targets: list[Target], evaluator: types.ModuleType, timeout: float
) -> tuple[list[Suggestion], list[Gap], str]:
    """Cases that reach the open targets, the targets no case can reach (and why), and the bound that
    the answers depend on ("" when the policy reads no history)."""
    try:
        analysis = Analysis(policy, timeout=timeout)
        conditions = _conditions(policy, analysis)
    except Unsupported as exc:
        return [], [Gap(t, f"the solver cannot model this policy: {exc}") for t in open_targets], ""
    suggestions: list[Suggestion] = []
    gaps: list[Gap] = []
    remaining = list(open_targets)
    while remaining:
        target = remaining.pop(0)
        answer = analysis.example(conditions[target])
        if answer.impossible:
            bound = f" ({analysis.bound_text})" if analysis.bound_text else ""
            gaps.append(Gap(target, _never(target, analysis, policy) + bound, proved=True))
            continue
        if not answer.found:
            gaps.append(Gap(target, f"the solver could not decide it in {timeout:g} s"))
            continue
        assert answer.request is not None
        request = _smallest(policy, evaluator, answer.request, target)
        reached = _reached(policy, evaluator, request)
        if target not in reached:
            gaps.append(Gap(target, "the solver's request does not reach it: please report this"))
            continue
        decision = evaluator.evaluate(request)
        suggestions.append(Suggestion(target, request, decision.outcome, decision.section, tuple(decision.missing)))
        remaining = [t for t in remaining if t not in reached]
    return suggestions, gaps, analysis.bound_text


def _conditions(policy: model.Policy, analysis: Analysis) -> dict[Target, z3.BoolRef]:
    """Each possible target as a formula: a provision's value among a decision's criteria, a rule's
    value when it is reached, an outcome."""
    decision, encoder = analysis.decisions[0], analysis.encoders[0]
    found: dict[Target, z3.BoolRef] = {}
    for rule, step in zip(policy.rules, decision.steps, strict=True):
        label = f"{rule.outcome} when {rule.condition_text}"
        for side in testing.SIDES:
            found[Target("rule", label, side, rule.line)] = z3.And(step.reached, step.truth.side(side))
    for provision in policy.provisions:
        if provision.condition is not None:
            evaluated = decision.evaluated(provision.label, policy)
            for side in testing.SIDES:
                target = Target("provision", provision.label, side, provision.line)
                found[target] = z3.And(evaluated, encoder.provision(provision.label).side(side))
    for outcome in policy.outcomes:
        found[Target("outcome", outcome.name, "", outcome.span.line if outcome.span else 1)] = decision.outcome_is(
            outcome.name
        )
    return found


def _reached(policy: model.Policy, evaluator: types.ModuleType, request: dict[str, Any]) -> set[Target]:
    """The targets a request reaches, by the generated evaluator's decision (the interpreter must agree)."""
    try:
        decision = evaluator.evaluate(request)
        oracle = interpret.evaluate(policy, request)
    except (evaluator.InvalidRequest, interpret.InvalidRequest):
        return set()
    if (decision.outcome, decision.section) != (oracle["outcome"], oracle["section"]):
        return set()
    case = testing.Case("", request, decision.outcome, None, None, _NOWHERE)
    covered = testing.coverage(policy, [testing.Result(case, [], decision)])
    found = {Target(i.kind, i.label, side, i.line) for i in covered.items for side in testing.SIDES if i.counts[side]}
    outcome = policy.outcome(decision.outcome)
    return found | {Target("outcome", outcome.name, "", outcome.span.line if outcome.span else 1)}


def _smallest(
    policy: model.Policy, evaluator: types.ModuleType, request: dict[str, Any], target: Target
) -> dict[str, Any]:
    """The request with each fact, record and field left out that reaching the target does not need."""
    return smallest(request, lambda trial: target in _reached(policy, evaluator, trial))


def smallest(request: dict[str, Any], keeps: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Leave out each fact (it becomes unknown), then each member of a set or record of a history, then
    each field of a record, while `keeps` still holds."""
    smaller = dict(request)
    for name in list(request):
        trial = {k: v for k, v in smaller.items() if k != name}
        if keeps(trial):
            smaller = trial
    for name, value in list(smaller.items()):
        if not isinstance(value, list):
            continue
        items = list(value)
        for index in reversed(range(len(items))):
            fewer = items[:index] + items[index + 1 :]
            if keeps({**smaller, name: fewer}):
                items = fewer
        for index, item in enumerate(items):
            for field in list(item) if isinstance(item, dict) else []:
                narrower = {k: v for k, v in items[index].items() if k != field}
                trial_items = [*items[:index], narrower, *items[index + 1 :]]
                if keeps({**smaller, name: trial_items}):
                    items = trial_items
        smaller[name] = items
    return smaller


_NOWHERE = Span("", 1, 1, 1, 1)
