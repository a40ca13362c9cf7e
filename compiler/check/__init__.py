"""Checking: `nodes.PolicyFile` -> `model.Policy`, plus diagnostics.

The checker resolves names, types every expression, desugars `applies_to` into an ordinary
provision, and looks for the mistakes a policy author makes. It runs as passes, each a module:

    scope        every declared name, resolved once and frozen      (E101, E106, E110-E116, E3xx)
    values       computed values and the typing of numbers and dates (E203, E204, E208-E210)
    conditions   conditions, typed as `model.Expr`                    (E201-E207)
    header       id, dates, metadata, applies_to, revision history   (E102-E105, E120-E122, E501)
    provisions   criteria, groups, clarifications, cycles, citations (E205-E207, E215, E304, E407, W104, W105)
    decide       rules, revisions, reachability                      (E401-E408)
    presence     reads of values that may be absent, unguarded       (W107)
    usage        unused declarations, advisories, examples           (W101-W103, E406, E601)

Every pass reads the frozen `Scope` and appends to one `Report`, so the author sees every
problem at once; a model is returned only when there are no errors.
"""

from __future__ import annotations

from compiler import model
from compiler.check.conditions import ConditionCheck
from compiler.check.decide import DecideCheck
from compiler.check.header import HeaderCheck
from compiler.check.presence import check_guards
from compiler.check.prose import prose
from compiler.check.provisions import ProvisionCheck
from compiler.check.report import Report
from compiler.check.scope import check_singletons, declare
from compiler.check.usage import UsageCheck
from compiler.check.values import declare_computed, declare_tables, outcome_terms
from compiler.diagnostics import Diagnostic, has_errors
from compiler.syntax import nodes


def check(tree: nodes.PolicyFile, source_name: str, source_sha256: str) -> tuple[model.Policy | None, list[Diagnostic]]:
    report = Report()
    items = tree.items
    check_singletons(tree, report)
    scope = declare(tree, report)
    scope = declare_tables(scope, [i for i in items if isinstance(i, nodes.Table)], report)
    scope = declare_computed(scope, [i for i in items if isinstance(i, nodes.Computed)], report, ConditionCheck)

    headers = HeaderCheck(scope, report)
    header = next((headers.check_header(i) for i in items if isinstance(i, nodes.Policy)), None)
    effective = header.effective if header else None
    applies = next((i for i in items if isinstance(i, nodes.AppliesTo)), None)
    applicability = headers.check_applies_to(applies, effective) if applies else None
    sections = tuple(i for i in items if isinstance(i, nodes.Section))
    provisions = ProvisionCheck(scope, report).check_provisions(sections)
    if applicability is not None:
        provisions = (applicability[1], *provisions)
    headers.check_history(sections, header)
    decides = [i for i in items if isinstance(i, nodes.Decide)]
    decision = DecideCheck(scope, report).check_revisions(decides, effective) if decides else None
    conditions = [p.condition for p in provisions if p.condition is not None]
    conditions += [r.condition for revision in (decision.revisions if decision else ()) for r in revision.rules]
    absent = frozenset(name for name, fact in scope.facts.items() if fact.absent)
    check_guards(conditions, absent, report)
    terms = {o.name: outcome_terms(scope, o, report, ConditionCheck) for o in scope.outcomes.values()}

    usage = UsageCheck(scope, report)
    facts = usage.check_usage(provisions, decision.revision_fact if decision else None)
    usage.check_outcome_usage()
    interpretations = usage.check_interpretations([i for i in items if isinstance(i, nodes.Interpretation)])
    written = {i.name for i in items if isinstance(i, nodes.Fact)}  # declared, rightly or not
    examples = usage.check_examples([i for i in items if isinstance(i, nodes.Example)], facts, written)
    # An example that is not a valid request leaves the policy sound: it is still built, so that the
    # other examples are decided (E603) in the same run; the caller returns no policy while it errs.
    if header is None or decision is None or has_errors([d for d in report.diagnostics if d.code != "E602"]):
        return None, report.diagnostics
    policy = model.Policy(
        policy_id=header.policy_id,
        title=header.title,
        effective=header.effective,
        meta=header.meta,
        applicability=applicability[0] if applicability else None,
        facts=facts,
        provisions=provisions,
        outcomes=tuple(
            model.Outcome(
                o.name,
                o.description,
                tuple(a.label for a in o.advise),
                terms[o.name],
                span=o.span,
            )
            for o in scope.outcomes.values()
        ),
        revisions=decision.revisions,
        revision_fact=decision.revision_fact,
        unknown=decision.unknown,
        codesets=tuple(scope.codesets.values()),
        computed=tuple(c.value for c in scope.computed.values()),
        sections=prose(sections),
        examples=examples,
        source_name=source_name,
        source_sha256=source_sha256,
        interpretations=interpretations,
    )
    return policy, report.diagnostics
