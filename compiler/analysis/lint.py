"""Warnings that need every request at once, answered by the solver (W901-W905).

    W901  a rule that can never decide: every request that reaches it is decided by earlier rules
    W902  a provision that can never be true, or never be false, within the facts' declared ranges
    W903  a conjunction (`and`, `all of`) that no request satisfies within the declared ranges
    W904  an outcome that no request reaches
    W905  a rule or provision that stays unknown whatever more is learned

Each cause is reported once, at its own span: an impossible conjunction is not reported again as
the provision that holds it, nor that provision as the rule that cites it. Each warning gives
the reason (the earlier rules, the declared ranges) or an example request. A question that runs
out of time gives no warning: nothing is claimed that is not proved.
"""

from __future__ import annotations

import dataclasses

import z3

from compiler import model
from compiler.analysis.decide import Step
from compiler.analysis.solve import Analysis, Answer
from compiler.diagnostics import Diagnostic, Span, warning
from compiler.jsontext import dumps
from compiler.model.walk import children, provisions_referenced


@dataclasses.dataclass
class Lint:
    policy: model.Policy
    file: str
    analysis: Analysis
    found: list[Diagnostic] = dataclasses.field(default_factory=list)
    never_true: set[str] = dataclasses.field(default_factory=set)  # provisions already explained as never true
    ranges: dict[str, z3.BoolRef] = dataclasses.field(default_factory=dict)  # each fact's range, for a reason

    def warn(self, code: str, message: str, span: Span | None, line: int, hint: str | None = None) -> None:
        bound = self.analysis.bound_text
        text = f"{message} ({bound})" if bound else message
        self.found.append(warning(code, text, span or Span(self.file, line, 1, line, 1), hint))


def lint(policy: model.Policy, file: str, timeout: float) -> tuple[list[Diagnostic], int]:
    """The solver's warnings for a valid policy, and how many questions ran out of time; `Unsupported`
    when the solver cannot model the policy."""
    analysis = Analysis(policy, timeout=timeout)
    check = Lint(policy, file, analysis)
    check.ranges = _ranges(check)
    for provision in _referenced_first(policy):
        _provision(check, provision)
    shadowed = [step.rule for step in analysis.decisions[0].steps if _rule(check, step)]
    _outcomes(check, shadowed)
    return check.found, analysis.timeouts


def _ranges(check: Lint) -> dict[str, z3.BoolRef]:
    """Each fact's declared range, as an assumption the solver can name in its reason."""
    space, policy = check.analysis.space, check.policy
    found = {}
    for fact in policy.facts:
        if isinstance(fact.type, model.Integer | model.Decimal | model.Enum | model.Date):
            found[fact.name] = space.within(fact.name, policy)
    return found


def _reason(check: Lint, answer: Answer) -> str:
    ranges = [name for name in answer.core if name in {f.name for f in check.policy.facts}]
    if not ranges:
        return "whatever the facts"
    shown = ", ".join(f"{n} ({_range(check.policy.fact(n).type)})" for n in ranges)
    return f"within the declared range of {shown}"


def _range(t: model.FactType) -> str:
    if isinstance(t, model.Integer | model.Decimal):
        return f"{t.low}..{t.high}"
    if isinstance(t, model.Enum):
        return ", ".join(t.values)
    return t.kind


def _referenced_first(policy: model.Policy) -> list[model.Provision]:
    """The provisions with conditions, each after those its condition refers to (there is no cycle: E215)."""
    done: dict[str, model.Provision] = {}

    def visit(provision: model.Provision) -> None:
        if provision.label in done or provision.condition is None:
            return
        for label in provisions_referenced(provision.condition):
            visit(policy.provision(label))
        done[provision.label] = provision

    for provision in policy.provisions:
        visit(provision)
    return list(done.values())


def _conjunctions(check: Lint, provision: model.Provision) -> bool:
    """W903 for each innermost `and` that nothing satisfies, outside quantifiers; whether there was one."""
    assert provision.condition is not None
    encoder = check.analysis.encoders[0]

    def visit(expr: model.Expr | model.Operand) -> bool:
        """Whether a W903 was given in `expr`."""
        if isinstance(expr, model.Quantify | model.Aggregate | model.Choice):
            return False
        inner = any([visit(child) for child in children(expr)])
        if inner or not (isinstance(expr, model.Combine) and expr.kind == "all" and len(expr.operands) > 1):
            return inner
        answer = check.analysis.ask(encoder.truth(expr, {}).true, named=check.ranges)
        if not answer.impossible:
            return False
        check.warn("W903", f"no request satisfies this condition, {_reason(check, answer)}", expr.span, provision.line)
        return True

    return visit(provision.condition)


def _provision(check: Lint, provision: model.Provision) -> None:
    """W903 within a provision, or W902 or W905 for it; nothing for one that refers to a provision never
    true, whose cause is reported there (it is noted as never true itself when it is)."""
    assert provision.condition is not None
    truth, ask = check.analysis.encoders[0].provision(provision.label), check.analysis.ask
    true = ask(truth.true, named=check.ranges)
    if set(provisions_referenced(provision.condition)) & check.never_true:
        if true.impossible:
            check.never_true.add(provision.label)
        return
    if _conjunctions(check, provision):
        check.never_true.add(provision.label)
        return
    false = ask(truth.false, named=check.ranges)
    name = f"{provision.kind} {provision.citation}"
    if true.impossible and false.impossible:
        check.never_true.add(provision.label)
        check.warn("W905", f"{name} is unknown for every request, whatever is learned", provision.span, provision.line)
    elif true.impossible:
        check.never_true.add(provision.label)
        check.warn("W902", f"{name} can never be true, {_reason(check, true)}", provision.span, provision.line)
    elif false.impossible and provision.kind != "applicability":
        message = f"{name} can never be false, {_reason(check, false)}"
        check.warn("W902", message, provision.span, provision.line, "a condition that always holds decides nothing")


def _rule(check: Lint, step: Step) -> bool:
    """W901 or W905 for a rule of the order of decision; whether it can never decide."""
    rule, analysis = step.rule, check.analysis
    revision = [s for s in analysis.decisions[0].steps if s.revision is step.revision]
    earlier = revision[: revision.index(step)]
    named = {f"{s.rule.outcome} when {s.rule.condition_text}": s.truth.false for s in earlier}
    where = "" if len(check.policy.revisions) == 1 else f" (revision {step.revision.name})"
    chosen = revision[0].reached  # the revision is in force
    decides = analysis.ask(chosen, step.truth.true, named=named)
    if not decides.impossible:
        return False
    if set(rule.cited) & check.never_true:
        return True  # its provision was reported, once
    unknown = analysis.ask(step.reached, step.truth.unknown)
    if unknown.found and analysis.ask(step.reached, z3.Not(step.truth.unknown)).impossible:
        message = f"the rule '{rule.outcome} when {rule.condition_text}'{where} is unknown whenever it is reached"
        shown = dumps(unknown.request) if unknown.request else "{} (no fact known)"
        hint = f"a request reaches it only when it cannot decide it: for example {shown}"
        check.warn("W905", message, rule.span, rule.line, hint)
        return True
    blockers = [n for n in named if n in decides.core]
    lines = {f"{s.rule.outcome} when {s.rule.condition_text}": s.rule.line for s in earlier}
    reason = (
        "earlier rules decide every request it would: " + "; ".join(f"'{b}' (line {lines[b]})" for b in blockers)
        if blockers
        else "its condition is never true"
    )
    message = f"the rule '{rule.outcome} when {rule.condition_text}'{where} can never decide: {reason}"
    check.warn("W901", message, rule.span, rule.line, "remove it, or move it before the rules that shadow it")
    return True


def _outcomes(check: Lint, shadowed: list[model.Rule]) -> None:
    """W904 for an outcome that rules or `otherwise` decide, yet no request reaches (unless its rules were reported)."""
    decision = check.analysis.decisions[0]
    for outcome in check.policy.outcomes:
        rules = [r for r in check.policy.rules if r.outcome == outcome.name]
        decided = rules or any(r.otherwise == outcome.name for r in check.policy.revisions)
        if not decided or outcome.name == check.policy.unknown or (rules and all(r in shadowed for r in rules)):
            continue
        if check.analysis.ask(decision.outcome_is(outcome.name)).impossible:
            check.warn("W904", f"no request reaches the outcome '{outcome.name}'", outcome.span, 1)
