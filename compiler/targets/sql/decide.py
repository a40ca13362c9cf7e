"""The decision query: a request table in, one decision per row out.

    checked      each row's errors, from the values the request table holds
    facts        the facts of rows without errors, cast to their declared types
    provisions   one step per depth: a provision's column reads only earlier steps' columns
    decided      the revision in force, the rule that decides (its number, negative when unknown), the outcome
    (select)     outcome, section, sections, missing, terms and, on request, the criteria

The query's own columns and lambda parameters begin with `_`, as no fact's name can (E107).

Every rule is tested for unknown before it is tested for true: `CASE WHEN NULL` would fall through
to the next rule, where the evaluator stops and asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect

from compiler import model
from compiler.targets.sql.checks import Checks, any_error
from compiler.targets.sql.columns import ABSENT, ROW_ID, fact_type
from compiler.targets.sql.lower import (
    Lowering,
    Number,
    Unsupported,
    absent_marked,
    all_of,
    any_of,
    case,
    concat,
    is_null,
    lit,
    size,
)

TEXTS = exp.DataType.build("ARRAY<STRING>", dialect="spark")
NO_TEXTS = exp.cast(exp.Array(expressions=[]), TEXTS)
ERRORS, REVISION, RULE, OUTCOME = "_errors", "_revision", "_rule", "_outcome"  # the query's own columns


@dataclass(frozen=True)
class Dialect:
    name: str  # sqlglot's
    index_base: int  # where a lambda's index starts: DuckDB counts from 1, Spark from 0


DIALECTS = {"duckdb": Dialect("duckdb", 1), "spark": Dialect("spark", 0)}  # each with a test that runs its query


def render(tree: exp.Expr, dialect: str) -> str:
    """A query's SQL in a dialect. The tree is the caller's own, built for this call: sqlglot would
    otherwise copy it first, which costs a third of the time."""
    return SqlglotDialect.get_or_raise(dialect).generate(tree, copy=False, identify=True, pretty=True)


def texts(names: list[str] | tuple[str, ...]) -> exp.Expr:
    return exp.Array(expressions=[exp.Literal.string(n) for n in names]) if names else NO_TEXTS


class Query:
    def __init__(self, policy: model.Policy, dialect: Dialect) -> None:
        if any(f.name == ROW_ID for f in policy.facts):
            raise Unsupported(f"a fact is named {ROW_ID}, the request table's key")
        self.policy = policy
        self.dialect = dialect
        self.lower = Lowering(policy)

    def build(self, source: str, explain: bool, prior: str | None = None, prefix: str = "") -> exp.Select:
        """The query; `prefix` before the name of each of its CTEs lets two queries share one WITH."""
        errors = Checks(self.policy, self.dialect.index_base).row(prior)
        checked = exp.select(exp.Star(), errors.as_(ERRORS, copy=False)).from_(source, copy=False)
        valid = exp.Not(this=any_error(exp.column(ERRORS)))
        facts = exp.select(
            exp.column(ROW_ID),
            exp.column(ERRORS),
            *(self._fact(f, valid) for f in self.policy.facts),
            case((valid, exp.column(ABSENT)), default=exp.null()).as_(ABSENT, copy=False),
        ).from_(f"{prefix}checked", copy=False)
        query = (
            exp.select(*self.outputs(explain))
            .from_(f"{prefix}decided", copy=False)
            .with_(f"{prefix}checked", checked, copy=False)
            .with_(f"{prefix}facts", facts, copy=False)
        )
        previous = f"{prefix}facts"
        for depth, labels in enumerate(self._steps(), 1):
            step = exp.select(exp.Star(), *(self._provision(label) for label in labels)).from_(previous, copy=False)
            query = query.with_(f"{prefix}step_{depth}", step, copy=False)
            previous = f"{prefix}step_{depth}"
        decided = exp.select(exp.Star(), self._revision().as_(REVISION, copy=False)).from_(previous, copy=False)
        by_revision = decided.subquery("_by_revision", copy=False)
        decided = exp.select(exp.Star(), self._rule().as_(RULE, copy=False)).from_(by_revision, copy=False)
        by_rule = decided.subquery("_by_rule", copy=False)
        decided = exp.select(exp.Star(), self._outcome().as_(OUTCOME, copy=False)).from_(by_rule, copy=False)
        return query.with_(f"{prefix}decided", decided, copy=False)

    def _fact(self, fact: model.Fact, valid: exp.Expr) -> exp.Expr:
        value: exp.Expr = exp.column(fact.name)
        if not isinstance(fact.type, model.RecordList):
            value = exp.cast(value, fact_type(fact.type))
        return case((valid, value), default=exp.null()).as_(fact.name, copy=False)

    def _steps(self) -> list[list[str]]:
        """Provisions with a condition, by depth: each reads only provisions of earlier depths."""
        depth: dict[str, int] = {}

        def of(label: str) -> int:
            if label not in depth:
                condition = self.policy.provision(label).condition
                assert condition is not None
                depth[label] = 1 + max(map(of, model.provisions_referenced(condition)), default=0)
            return depth[label]

        labels = [p.label for p in self.policy.provisions if p.condition is not None]
        steps: list[list[str]] = [[] for _ in range(max(map(of, labels), default=0))]
        for label in labels:
            steps[of(label) - 1].append(label)
        return steps

    def _provision(self, label: str) -> exp.Expr:
        condition = self.policy.provision(label).condition
        assert condition is not None
        return self.lower.condition(condition).as_(label, copy=False)

    # -- The order of decision -------------------------------------------------------------------

    def _revision(self) -> exp.Expr:
        """The number of the revision in force (0 is the latest); NULL when the date that picks it is unknown."""
        if self.policy.revision_fact is None:
            return exp.Literal.number(0)
        day = exp.column(self.policy.revision_fact)
        branches: list[tuple[exp.Expr, exp.Expr]] = [(is_null(day), exp.null())]
        for i, revision in enumerate(self.policy.revisions):
            tests: list[exp.Expr] = []
            if revision.start is not None:
                tests.append(exp.GTE(this=day, expression=lit(revision.start)))
            if revision.end is not None:
                tests.append(exp.LT(this=day, expression=lit(revision.end)))
            branches.append((all_of(tests), exp.Literal.number(i)))
        return case(*branches)

    def _numbered(self) -> list[tuple[int, int, model.Rule]]:
        """(revision, number from 1, rule) of every rule."""
        found, number = [], 0
        for r, revision in enumerate(self.policy.revisions):
            for rule in revision.rules:
                number += 1
                found.append((r, number, rule))
        return found

    def _rule(self) -> exp.Expr:
        """The number of the rule that decides, negative when it is unknown; 0 when none holds."""
        by_revision = []
        for r, _ in enumerate(self.policy.revisions):
            branches = []
            for _, number, rule in (x for x in self._numbered() if x[0] == r):
                held = self.lower.condition(rule.condition)
                branches.append((is_null(held), exp.Literal.number(-number)))
                branches.append((held, exp.Literal.number(number)))
            order = case(*branches, default=exp.Literal.number(0)) if branches else exp.Literal.number(0)
            by_revision.append((exp.EQ(this=exp.column(REVISION), expression=exp.Literal.number(r)), order))
        return case(*by_revision)

    def _by_rule(
        self, unknown: exp.Expr, otherwise: list[exp.Expr], rules: list[tuple[exp.Expr, exp.Expr]]
    ) -> exp.Expr:
        """A column's value: by the rule that decided, known or unknown; by the revision when none did.
        Rules that give the same value share a branch (`_rule IN (...)`): fewer tests for each row."""
        rule, revision = exp.column(RULE), exp.column(REVISION)
        branches = [(any_error(exp.column(ERRORS)), exp.null()), (is_null(revision), unknown)]
        numbers: dict[exp.Expr, list[int]] = {}  # a value: the rule numbers that give it
        for (_, number, _), (held, open_) in zip(self._numbered(), rules, strict=True):
            numbers.setdefault(held, []).append(number)
            numbers.setdefault(open_, []).append(-number)
        for value, given in numbers.items():
            literals = [exp.Literal.number(n) for n in given]
            test = (
                exp.EQ(this=rule, expression=literals[0])
                if len(given) == 1
                else exp.In(this=rule, expressions=literals)
            )
            branches.append((test, value))
        for r, value in enumerate(otherwise):
            branches.append((exp.EQ(this=revision, expression=exp.Literal.number(r)), value))
        return case(*branches)

    def _outcome(self) -> exp.Expr:
        unknown = exp.Literal.string(self.policy.unknown)
        return self._by_rule(
            unknown,
            [exp.Literal.string(r.otherwise) for r in self.policy.revisions],
            [(exp.Literal.string(rule.outcome), unknown) for _, _, rule in self._numbered()],
        )

    def outputs(self, explain: bool) -> list[exp.Expr]:
        policy, numbered = self.policy, self._numbered()
        section = self._by_rule(
            exp.Literal.string(model.REVISION),
            [exp.Literal.string(r.otherwise_section) for r in policy.revisions],
            [(exp.Literal.string(rule.section),) * 2 for _, _, rule in numbered],
        )
        sections = self._by_rule(
            texts([model.REVISION]),
            [texts([r.otherwise_section]) for r in policy.revisions],
            [(texts(rule.cited),) * 2 for _, _, rule in numbered],
        )
        asked = [policy.revision_fact] if policy.revision_fact else []
        missing = self._by_rule(
            texts(asked),
            [NO_TEXTS for _ in policy.revisions],
            [(NO_TEXTS, self._sorted(self.missing(rule.condition))) for _, _, rule in numbered],
        )
        effective = (
            [lit(r.start.isoformat()) if r.start else exp.null() for r in policy.revisions]
            if policy.revision_fact
            else [lit(policy.effective.isoformat())]
        )
        effective_date = self._by_rule(
            lit(policy.effective.isoformat()),
            effective,
            [(effective[r], effective[r]) for r, _, _ in numbered],
        )
        columns: list[exp.Expr] = [
            exp.column(ROW_ID),
            lit(policy.policy_id).as_("policy", copy=False),
            lit(policy.source_sha256).as_("source_sha256", copy=False),
            exp.cast(effective_date, exp.DataType.build("VARCHAR")).as_("effective_date", copy=False),
            exp.column(OUTCOME).as_("outcome", copy=False),
            section.as_("section", copy=False),
            sections.as_("sections", copy=False),
            missing.as_("missing", copy=False),
            self.terms().as_("terms", copy=False),
            exp.column(ERRORS).as_("errors", copy=False),
        ]
        if explain:
            columns.append(self.criteria().as_("criteria", copy=False))
        return columns

    def _sorted(self, names: exp.Expr) -> exp.Expr:
        return exp.ArraySort(this=exp.ArrayDistinct(this=names))

    def missing(self, e: model.Expr) -> exp.Expr:
        """The unknown facts that make an unknown condition unknown, as the evaluator names them."""
        if isinstance(e, model.ProvisionRef):
            condition = self.policy.provision(e.label).condition
            assert condition is not None
            return self.missing(condition)
        if isinstance(e, model.Not):
            return self.missing(e.operand)
        if isinstance(e, model.Combine):
            return concat(
                [case((is_null(self.lower.condition(o)), self.missing(o)), default=NO_TEXTS) for o in e.operands],
                NO_TEXTS,
            )
        unknown = concat(
            [case((self._unknown(f), texts([f])), default=NO_TEXTS) for f in model.facts_read(e)], NO_TEXTS
        )
        lists = []
        for node in model.outermost_records(e):
            value = self.lower.condition(node) if isinstance(node, model.Quantify) else self.lower.operand(node)
            plain = value.value if isinstance(value, Number) else value
            lists.append(
                case(
                    (is_null(plain), texts(list(dict.fromkeys(r.records.fact for r in model.records_read(node))))),
                    default=NO_TEXTS,
                )
            )
        if not lists:
            return unknown
        return case(
            (exp.GT(this=size(unknown), expression=exp.Literal.number(0)), unknown),
            default=concat(lists, NO_TEXTS),
        )

    def _unknown(self, fact: str) -> exp.Expr:
        value = is_null(exp.column(fact))
        if self.policy.fact(fact).absent:
            return all_of([value, exp.Not(this=absent_marked(model.FactRef(fact)))])
        return value

    def terms(self) -> exp.Expr:
        """Every term of every outcome, each set only when the decision has an outcome that carries it."""
        carried: dict[str, list[tuple[str, model.Computed]]] = {}
        for o in self.policy.outcomes:
            for term in o.terms:
                carried.setdefault(term.name, []).append((o.name, term))
        if not carried:
            return exp.null()
        fields = []
        for name, pairs in carried.items():
            branches = [(exp.EQ(this=exp.column(OUTCOME), expression=lit(o)), self.term(t)) for o, t in pairs]
            fields.append(exp.PropertyEQ(this=exp.to_identifier(name), expression=case(*branches)))
        return exp.Struct(expressions=fields)

    def term(self, term: model.Computed) -> exp.Expr:
        value = self.lower.operand(term.operand)
        if isinstance(value, Number):
            return value.value if value.denominator is None else _fraction(term.name, value, value.denominator)
        if term.date:
            return exp.cast(value, exp.DataType.build("VARCHAR"))
        return value

    def criteria(self) -> exp.Expr:
        """Each criterion the evaluator lists for the decision, by its label: `met`, `not_met` or
        `unknown`, NULL where the decision did not reach it. A struct of one shape for every row, so
        that no row builds a list: a provision is listed once a rule that lists it was reached."""
        rule, revision = exp.column(RULE), exp.column(REVISION)
        reached: dict[str, list[exp.Expr]] = {}  # label: when the decision lists it
        provisions: dict[str, model.Provision] = {}
        for r, _ in enumerate(self.policy.revisions):
            first: dict[str, int] = {}
            for _, number, each in (x for x in self._numbered() if x[0] == r):
                for p in self.policy.rule_explained(each):
                    first.setdefault(p.label, number)
                    provisions.setdefault(p.label, p)
            for label, number in first.items():
                later = any_of(
                    [
                        exp.EQ(this=rule, expression=exp.Literal.number(0)),
                        exp.GTE(this=exp.Abs(this=rule), expression=exp.Literal.number(number)),
                    ]
                )
                reached.setdefault(label, []).append(
                    all_of([exp.EQ(this=revision, expression=exp.Literal.number(r)), later])
                )
        if not provisions:
            return exp.null()
        fields = [
            exp.PropertyEQ(this=exp.to_identifier(label), expression=case((any_of(reached[label]), self._result(p))))
            for label, p in provisions.items()
        ]
        return case((any_error(exp.column(ERRORS)), exp.null()), default=exp.Struct(expressions=fields))

    @staticmethod
    def _result(p: model.Provision) -> exp.Expr:
        value = exp.column(p.label)
        return case((is_null(value), lit("unknown")), (value, lit("met")), default=lit("not_met"))


def _fraction(name: str, top: Number, bottom: Number) -> exp.Expr:
    """A quotient of whole numbers as text: whole when it divides, else "p/q" (not reduced)."""
    if top.decimal or bottom.decimal:
        raise Unsupported(f"term {name} is a quotient of decimals, which SQL cannot write exactly")
    p, q = top.value, bottom.value
    whole = exp.EQ(this=exp.Mod(this=exp.Paren(this=p), expression=exp.Paren(this=q)), expression=exp.Literal.number(0))
    as_text = exp.DataType.build("VARCHAR")
    return case(
        (whole, exp.cast(exp.IntDiv(this=exp.Paren(this=p.copy()), expression=exp.Paren(this=q.copy())), as_text)),
        default=exp.DPipe(
            this=exp.DPipe(this=exp.cast(p.copy(), as_text), expression=lit("/"), safe=True),
            expression=exp.cast(q.copy(), as_text),
            safe=True,
        ),
    )


__all__ = ["DIALECTS", "Query", "render"]
