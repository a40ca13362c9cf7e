"""A policy's order of decision as SMT: each way a decision can go, and when each rule is reached.

A `Path` is one way to decide (an outcome, by a section) with the requests that take it; the paths
of a policy partition its valid requests. As in the interpreter, the date fact picks the revision;
in it the first rule that is not definitely false decides: its outcome when it is true, the
policy's `unknown` outcome when it is unknown; with every rule false, `otherwise`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from compiler import model
from compiler.analysis.encode import TRUE, Encoder, Truth


@dataclass(frozen=True)
class Path:
    outcome: str
    section: str
    condition: z3.BoolRef
    rule: model.Rule | None = None  # the rule that decides, or None (otherwise, or an unknown revision)

    @property
    def key(self) -> str:
        return f"{self.outcome} by {self.section}"


@dataclass(frozen=True)
class Step:
    """A rule of a revision: when a request reaches it (every rule before it false), and its condition."""

    rule: model.Rule
    revision: model.Revision
    reached: z3.BoolRef
    truth: Truth


@dataclass
class Decision:
    paths: list[Path] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def outcome_is(self, outcome: str) -> z3.BoolRef:
        return z3.Or([p.condition for p in self.paths if p.outcome == outcome] or [z3.BoolVal(False)])

    def evaluated(self, label: str, policy: model.Policy) -> z3.BoolRef:
        """The requests whose decision lists provision `label` among its criteria."""
        reaching = [s.reached for s in self.steps if label in {p.label for p in policy.rule_explained(s.rule)}]
        return z3.Or(reaching or [z3.BoolVal(False)])


def decide(encoder: Encoder) -> Decision:
    policy, space = encoder.policy, encoder.space
    decision = Decision()
    for revision in policy.revisions:
        chosen: z3.BoolRef = TRUE
        if policy.revision_fact is not None:
            day = space.slots[policy.revision_fact]
            bounds = [day.value >= revision.start.toordinal()] if revision.start else []
            bounds += [day.value < revision.end.toordinal()] if revision.end else []
            chosen = z3.And(day.has_value, *bounds)
        reached = chosen
        for rule in revision.rules:
            truth = encoder.truth(rule.condition, {})
            decision.steps.append(Step(rule, revision, reached, truth))
            decision.paths.append(Path(rule.outcome, rule.section, z3.And(reached, truth.true), rule))
            decision.paths.append(Path(policy.unknown, rule.section, z3.And(reached, truth.unknown), rule))
            reached = z3.And(reached, truth.false)
        decision.paths.append(Path(revision.otherwise, revision.otherwise_section, reached))
    if policy.revision_fact is not None:
        unknown = z3.Not(space.slots[policy.revision_fact].has_value)
        decision.paths.append(Path(policy.unknown, model.REVISION, unknown))
    return decision
