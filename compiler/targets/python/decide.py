"""The order of decision as `pyir`: each revision's `decide`, with its explanation, and its lean twin.

`decide` computes, rule by rule, the value of every provision the explanation lists, into a
local: in plain booleans when every fact the rule reads is known, else three-valued. The lean
twin, for `explain=False`, tests a rule's whole condition in place while its facts are known.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from compiler import model
from compiler.targets.python import pyir
from compiler.targets.python.lower import Block, Lowering, counter, function_name, local_name, missing_function_name
from compiler.targets.python.pyir import Expr, Stmt, call
from compiler.targets.templating import doc_line

_EVALUATED, _RESULTS, _NONE_YET = pyir.Name("_EVALUATED"), pyir.Name("results"), pyir.Tuple(())


@dataclass(frozen=True)
class RevisionCode:
    name: str  # from 2024-01-16, before 2024-01-16
    decide: str  # its function, and the one without the explanation
    lean: str
    test: Expr | None  # that it is in force, on the date of service `day` (None: the earliest)
    decide_body: tuple[Stmt, ...]
    lean_body: tuple[Stmt, ...]
    rules_name: str  # its table of rules, for what to ask for when a rule is unknown
    rules: Expr
    pending_name: str  # for each rule, the rules after it


@dataclass
class _Rule:
    """A rule where it stands in its revision, with what both functions say about it."""

    rule: model.Rule
    index: int  # in _EVALUATED
    position: int  # in its revision's rules
    explains: tuple[str, ...]  # the provisions its explanation lists: its section and those below
    clarifications: tuple[str, ...]
    reads: tuple[str, ...]  # every fact its condition reads
    effective: Expr
    comment: pyir.Comment  # where it is written, and what it says
    pending: pyir.Name  # its revision's table of the rules after each rule

    @property
    def local(self) -> pyir.Name:
        """Where its condition's value is: its provision's local, or its own for a combination."""
        return pyir.Name(local_name(self.rule.section) if self.rule.single else f"rule_{self.position + 1}")

    @property
    def holds(self) -> Expr:
        negated = self.rule.single and isinstance(self.rule.condition, model.Not)
        return pyir.Not(self.local) if negated else self.local

    @property
    def cited(self) -> tuple[str, ...]:
        """The provisions a decision by it cites, when it combines several (else its section says it)."""
        return () if self.rule.single else self.rule.cited

    @property
    def missing_function(self) -> str:
        """The function of the facts it misses: its provision's, or its own for a combination."""
        return missing_function_name(self.rule.section) if self.rule.single else rule_missing_function_name(self.rule)


@dataclass
class _Function:
    """One function being written: its temporaries, and the provisions it has a local for."""

    temps: Iterator[int] = field(default_factory=counter)
    computed: set[str] = field(default_factory=set)


class Decide:
    def __init__(self, policy: model.Policy, lowering: Lowering) -> None:
        self.policy = policy
        self.lowering = lowering

    def revision(self, revision: model.Revision, first: int) -> RevisionCode:
        """A revision's two functions; `first` is the index in _EVALUATED of its first rule."""
        single = len(self.policy.revisions) == 1
        suffix = revision.name.replace(" ", "_").replace("-", "_")
        start = revision.start.isoformat() if revision.start else None
        effective = pyir.Name("EFFECTIVE_DATE") if single else pyir.Lit(start)
        rules: list[_Rule] = []
        evaluated: list[str] = []
        table = pyir.Name("_RULES" if single else f"_RULES_{suffix}")
        pending = pyir.Name("_PENDING" if single else f"_PENDING_{suffix}")
        for i, rule in enumerate(revision.rules):
            explains = tuple(p.label for p in self.policy.rule_explained(rule))
            evaluated += explains
            reads = self.lowering.reads(rule.condition)
            said = f"{doc_line(self.policy.source_name)} line {rule.line}: {rule.outcome} when {rule.condition_text}"
            comment = pyir.Comment(said, blank_before=True)
            clarifications = self.clarifications(evaluated)
            rules.append(_Rule(rule, first + i, i, explains, clarifications, reads, effective, comment, pending))
        decide: list[Stmt] = [pyir.Assign("results: list[bool | None]", pyir.List(()))]
        explained = _Function()
        for r in rules:
            decide += self.explained(r, explained)
        temps = counter()  # one count for the whole function: a temporary keeps one type
        lean: list[Stmt] = [statement for r in rules for statement in self.lean(r, _Function(temps))]
        last = rules[-1]
        otherwise = self.decision(revision.otherwise, revision.otherwise_section, last, explained=True)
        lean_otherwise = self.decision(revision.otherwise, revision.otherwise_section, last, explained=False)
        test = None
        if revision.start is not None:
            test = pyir.Compare(">=", pyir.Name("day"), self.lowering.values.constant(revision.start))
        return RevisionCode(
            revision.name,
            "decide" if single else f"_decide_{suffix}",
            "_decide_lean" if single else f"_decide_lean_{suffix}",
            test,
            (*decide, pyir.Return(otherwise)),
            (*lean, pyir.Return(lean_otherwise)),
            table.id,
            pyir.Tuple(tuple(_rule_entry(rule) for rule in revision.rules)),
            pending.id,
        )

    def explained(self, r: _Rule, function: _Function) -> list[Stmt]:
        """A rule in `decide`: the value of each provision it explains, then the decision if it stops here."""
        kleene = Block(frozenset(), function.temps, set(function.computed))
        known = Block(frozenset(r.reads), function.temps, set(function.computed))
        for label in r.explains:  # the explanation lists them all, so compute them all
            self.lowering.compute(label, kleene)
            self.lowering.compute(label, known)
        self.compute(r, kleene)
        self.compute(r, known)
        function.computed |= kleene.computed
        statements: list[Stmt] = [r.comment]
        if r.reads and len(kleene.statements) > 1:
            statements.append(pyir.If(pyir.any_none(r.reads), tuple(kleene.statements), tuple(known.statements)))
        else:
            statements += kleene.statements
        values = tuple(pyir.Name(local_name(label)) for label in r.explains)
        if len(values) == 1:
            statements.append(pyir.Do(pyir.Call(pyir.Attr(_RESULTS, "append"), values)))
        else:
            statements.append(pyir.AugAssign("results", "+=", pyir.Tuple(values)))
        decided = self.decision(r.rule.outcome, r.rule.section, r, True, r.cited)
        return [
            *statements,
            pyir.If(pyir.is_none(r.local), self.undecided(r, explained=True)),
            pyir.If(r.holds, (pyir.Return(decided),)),
        ]

    def lean(self, r: _Rule, function: _Function) -> list[Stmt]:
        """A rule in the lean twin: its whole condition in place while its facts are known."""
        decided = pyir.Return(self.decision(r.rule.outcome, r.rule.section, r, False, r.cited))
        whole = self.lowering.condition(r.rule.condition, frozenset(r.reads), "inline")
        if not r.reads:
            return [r.comment, pyir.If(whole, (decided,))]
        kleene = Block(frozenset(), function.temps)  # no other rule's branch ran: compute afresh
        self.compute(r, kleene)
        unknown = (
            *kleene.statements,
            pyir.If(pyir.is_none(r.local), self.undecided(r, explained=False)),
            pyir.If(r.holds, (decided,)),
        )
        return [r.comment, pyir.If(pyir.all_known(r.reads), (pyir.If(whole, (decided,)),), unknown)]

    def compute(self, r: _Rule, block: Block) -> None:
        """A rule's value into `r.local`: its provision's, or that of the combination of provisions it names."""
        if r.rule.single:
            self.lowering.compute(r.rule.section, block)
        else:
            value = self.lowering.condition(r.rule.condition, block.known, "local", block)
            block.statements.append(pyir.Assign(r.local.id, value))

    def decision(self, outcome: str, section: str, r: _Rule, explained: bool, cited: tuple[str, ...] = ()) -> Expr:
        """A decided Decision; with `explained`, the provisions `decide` evaluated up to `r`, and their values."""
        head = [pyir.Name("POLICY_ID"), r.effective, pyir.Lit(outcome), pyir.Lit(section), _NONE_YET]
        advisories = pyir.Lit(self.policy.outcome(outcome).advisories)
        listed = self._listed(r) if explained else [_NONE_YET, _NONE_YET]
        tail: list[Expr] = [_NONE_YET, pyir.Lit(cited)] if cited else []  # nothing pending; all it cites
        return call("Decision", *head, advisories, *listed, pyir.Lit(r.clarifications), pyir.F, *tail)

    def undecided(self, r: _Rule, explained: bool) -> tuple[Stmt, ...]:
        """The Decision when a rule's condition is unknown: the facts it misses, and all that is worth asking for."""
        section = r.rule.section
        missing = pyir.Name("missing")
        pending = pyir.Subscript(r.pending, r.position)  # the rules after this one, for what else to ask for
        listed: Sequence[Expr] = [self._listed(r)[0], _RESULTS] if explained else [_NONE_YET, pyir.List(())]
        unknown, cited, clarifications = (pyir.Lit(v) for v in (self.policy.unknown, section, r.clarifications))
        sections = pyir.Lit(r.rule.cited) if not r.rule.single else pyir.Tuple(())
        decision = call(
            "_decision", pyir.F, unknown, cited, missing, *listed, clarifications, r.effective, pending, sections
        )
        return (pyir.Assign("missing", call(r.missing_function, pyir.F)), pyir.Return(decision))

    @staticmethod
    def _listed(r: _Rule) -> list[Expr]:
        return [pyir.Subscript(_EVALUATED, r.index), call("tuple", _RESULTS)]

    def clarifications(self, evaluated: list[str]) -> tuple[str, ...]:
        return tuple(p.label for p in self.policy.provisions if p.kind == "clarification" and p.clarifies in evaluated)


def _rule_entry(rule: model.Rule) -> pyir.Tuple:
    """`(_D_III, _missing_D_III, False)`: a rule's provision, what it misses, and whether it is negated
    (a combination of provisions has functions of its own, never negated)."""
    if not rule.single:
        names = (pyir.Name(rule_function_name(rule)), pyir.Name(rule_missing_function_name(rule)))
        return pyir.Tuple((*names, pyir.Lit(False)))
    negated = isinstance(rule.condition, model.Not)
    names = (pyir.Name(function_name(rule.section)), pyir.Name(missing_function_name(rule.section)))
    return pyir.Tuple((*names, pyir.Lit(negated)))


def rule_function_name(rule: model.Rule) -> str:
    """`_rule_42`: the function of a rule that combines provisions, by its line in the policy."""
    return f"_rule_{rule.line}"


def rule_missing_function_name(rule: model.Rule) -> str:
    return "_missing" + rule_function_name(rule)
