"""The transformer: Lark's parse tree -> syntax nodes, one method per grammar rule.

Each method is named after its rule and returns the node of the same name, carrying the span
of the text it came from; errors the grammar cannot express (unreal dates, bad escapes) are
collected here. The rules are grouped as the grammar is: declarations, then sections and
expressions.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import re
import textwrap
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta as LarkMeta

from compiler.diagnostics import Diagnostic, Span, error
from compiler.syntax import nodes

MAX_DIGITS = 18  # integers in policies are ages, scores, counts: never this long
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


def fold_text(raw: str) -> tuple[str, ...]:
    """A text block as paragraphs: dedented, blank lines separate, line breaks fold to spaces."""
    text = textwrap.dedent(raw.strip("\n"))
    paragraphs = re.split(r"\n[ \t]*\n", text)
    return tuple(" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in paragraphs if p.strip())


def _json(value: Any) -> nodes.JsonValue:
    """`true` and `false` are shared with expressions, where they are BoolLit nodes."""
    return value.value if isinstance(value, nodes.BoolLit) else value


def span_of(file: str, item: LarkMeta | Token) -> Span:
    line, column = getattr(item, "line", None), getattr(item, "column", None)
    if line is None or column is None:  # an empty rule has no position
        return Span(file, 1, 1, 1, 1)
    end_line = getattr(item, "end_line", None) or line
    end_column = getattr(item, "end_column", None) or column
    return Span(file, line, column, end_line, end_column)


def _minus(sign: Token | None) -> bool:
    """Whether a number's sign makes it negative; `+5` is 5, as `policyc fmt` writes it."""
    return sign is not None and str(sign) == "-"


def _negated(number: nodes.DecimalLit, span: Span) -> nodes.DecimalLit:
    return nodes.DecimalLit(span, -number.value, "-" + number.text)


@v_args(meta=True)
class _Tokens(Transformer[Token, Any]):
    """Reading tokens: strings with their escapes, numbers, dates, prose, names."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def _span(self, meta: LarkMeta) -> Span:
        return span_of(self.file, meta)

    def _string(self, token: Token) -> str:
        def unescape(match: re.Match[str]) -> str:
            escape = match.group(1)
            if escape.startswith("u") and len(escape) == 5:
                code = int(escape[1:], 16)
                if not 0xD800 <= code <= 0xDFFF:
                    return chr(code)
                self.diagnostics.append(
                    error(
                        "E002", f"'\\{escape}' is half of a surrogate pair, not a character", span_of(self.file, token)
                    )
                )
                return ""
            if escape in _ESCAPES:
                return _ESCAPES[escape]
            self.diagnostics.append(
                error(
                    "E002",
                    f"unknown escape '\\{escape}' in string",
                    span_of(self.file, token),
                    hint='use \\" \\\\ \\n \\t or \\uXXXX',
                )
            )
            return escape

        return _ESCAPE.sub(unescape, token[1:-1])

    def _int(self, token: Token) -> int:
        if len(token) > MAX_DIGITS:
            self.diagnostics.append(
                error(
                    "E006",
                    f"number has {len(token)} digits; at most {MAX_DIGITS} are allowed",
                    span_of(self.file, token),
                )
            )
            return 0
        return int(token)

    def _decimal(self, token: Token) -> nodes.DecimalLit:
        """A number written with a decimal point (or a whole number where a decimal is expected)."""
        text = str(token)
        if len(text.replace(".", "")) > MAX_DIGITS:
            self.diagnostics.append(
                error("E006", f"number has more than {MAX_DIGITS} digits", span_of(self.file, token))
            )
            text = "0"
        return nodes.DecimalLit(span_of(self.file, token), decimal.Decimal(text), text)

    def _date(self, token: Token, month_allowed: bool = False) -> nodes.DateLit:
        span = span_of(self.file, token)
        text = str(token)
        if len(text) == 7 and not month_allowed:
            self.diagnostics.append(error("E003", f"'{text}' is a month: a date here needs its day", span))
            return nodes.DateLit(span, None, text)
        try:
            value: datetime.date | None = datetime.date.fromisoformat(text if len(text) == 10 else text + "-01")
        except ValueError:
            value = None
            what = "date" if len(text) == 10 else "month"
            self.diagnostics.append(error("E003", f"'{text}' is not a real {what}", span))
        return nodes.DateLit(span, value, text)

    def _prose(self, token: Token) -> nodes.Prose:
        span = span_of(self.file, token)
        if token.type == "TEXT":
            return nodes.Prose(span, fold_text(token[3:-3]))
        return nodes.Prose(span, (self._string(token),))

    # Top level

    def _name(self, token: Token) -> nodes.Name:
        return nodes.Name(span_of(self.file, token), str(token))

    def _before_colon(self, span: Span, message: str) -> None:
        """Text that the syntax before 0.2 read as a label or an action: refuse it, never guess."""
        hint = "write `\"CODE\": \"label\"` or `revision KIND DATE: \"text\"`; `policyc fmt` rewrites the old form"
        self.diagnostics.append(error("E007", message, span, hint))


@v_args(meta=True)
class _Declarations(_Tokens):
    """The header, facts and their types, code sets, computed values, outcomes, `decide`, examples and tests."""

    def start(self, meta: LarkMeta, items: list[nodes.Item]) -> nodes.PolicyFile:
        return nodes.PolicyFile(self._span(meta), tuple(items))

    def policy(self, meta: LarkMeta, children: list[Any]) -> nodes.Policy:
        policy_id, *entries = children
        return nodes.Policy(self._span(meta), self._string(policy_id), tuple(entries))

    def meta(self, meta: LarkMeta, children: list[Any]) -> nodes.Meta:
        key, value = children
        return nodes.Meta(self._span(meta), str(key), value)

    def text(self, meta: LarkMeta, children: list[Token]) -> nodes.Prose:
        return self._prose(children[0])

    def date(self, meta: LarkMeta, children: list[Token]) -> nodes.DateLit:
        return self._date(children[0])

    def applies_to(self, meta: LarkMeta, children: list[Any]) -> nodes.AppliesTo:
        state_fact, date_fact, wording, *jurisdictions = children
        return nodes.AppliesTo(
            self._span(meta),
            nodes.Name(span_of(self.file, state_fact), str(state_fact)),
            nodes.Name(span_of(self.file, date_fact), str(date_fact)),
            self._string(wording),
            tuple(jurisdictions),
        )

    def jurisdiction(self, meta: LarkMeta, children: list[Any]) -> nodes.Jurisdiction:
        code, name, *events = children
        dates: dict[str, nodes.DateLit] = {}
        for event, date in events:
            if event in dates:
                self.diagnostics.append(error("E004", f"'{event}' given twice for {code}", date.span))
            dates[event] = date
        return nodes.Jurisdiction(
            self._span(meta), str(code), self._string(name), dates.get("effective"), dates.get("inactive")
        )

    def jurisdiction_date(self, meta: LarkMeta, children: list[Token]) -> tuple[str, nodes.DateLit]:
        event, date = children
        return str(event), self._date(date)

    # Facts

    def fact(self, meta: LarkMeta, children: list[Any]) -> nodes.Fact:
        name, fact_type, absent, description = children
        return nodes.Fact(self._span(meta), str(name), fact_type, description, absent is not None)

    def or_absent(self, meta: LarkMeta, children: list[Any]) -> bool:
        return True

    def boolean_type(self, meta: LarkMeta, children: list[Any]) -> nodes.BooleanType:
        return nodes.BooleanType(self._span(meta))

    def integer_type(self, meta: LarkMeta, children: list[Any]) -> nodes.IntegerType:
        low, high, unit = children
        return nodes.IntegerType(self._span(meta), low, high, unit)

    def decimal_type(self, meta: LarkMeta, children: list[Any]) -> nodes.DecimalType:
        low, high, unit = children
        return nodes.DecimalType(self._span(meta), low, high, unit)

    def signed_int(self, meta: LarkMeta, children: list[Token | None]) -> int:
        sign, digits = children
        assert digits is not None
        return -self._int(digits) if _minus(sign) else self._int(digits)

    def signed_number(self, meta: LarkMeta, children: list[Token | None]) -> nodes.DecimalLit:
        sign, digits = children
        assert digits is not None
        number = self._decimal(digits)
        return _negated(number, self._span(meta)) if _minus(sign) else number

    def unit(self, meta: LarkMeta, children: list[Token]) -> str:
        return self._string(children[0])

    def code_type(self, meta: LarkMeta, children: list[Token]) -> nodes.CodeType:
        return nodes.CodeType(self._span(meta), self._name(children[0]), False)

    def codes_type(self, meta: LarkMeta, children: list[Token]) -> nodes.CodeType:
        return nodes.CodeType(self._span(meta), self._name(children[0]), True)

    def computed(self, meta: LarkMeta, children: list[Any]) -> nodes.Computed:
        name, unit, expr, description = children
        return nodes.Computed(self._span(meta), str(name), unit, expr, description)

    def table(self, meta: LarkMeta, children: list[Any]) -> nodes.Table:
        name, unit, source, *rest = children
        keys = tuple(self._name(c) for c in rest if isinstance(c, Token))
        rows = tuple(c for c in rest if isinstance(c, nodes.TableRow))
        return nodes.Table(self._span(meta), str(name), unit, self._string(source), keys, rows)

    def table_row(self, meta: LarkMeta, children: list[Any]) -> nodes.TableRow:
        *keys, value = children
        return nodes.TableRow(self._span(meta), tuple(keys), value)

    def key_value(self, meta: LarkMeta, children: list[Token]) -> nodes.TableKey:
        return str(children[0])

    def key_any(self, meta: LarkMeta, children: list[Token]) -> nodes.TableKey:
        return None

    def key_range(self, meta: LarkMeta, children: list[int]) -> nodes.TableKey:
        return (children[0], children[1])

    def codeset(self, meta: LarkMeta, children: list[Any]) -> nodes.CodeSet:
        name, system, title, *entries = children
        for before, after in itertools.pairwise(entries):
            if before.label is None and after.span.line == before.span.end_line:
                self._before_colon(after.span, "a code's label follows it after ':' (two codes go on two lines)")
        return nodes.CodeSet(self._span(meta), str(name), self._name(system), self._string(title), tuple(entries))

    def code_entry(self, meta: LarkMeta, children: list[Token | None]) -> nodes.CodeEntry:
        code, label = children
        assert code is not None
        return nodes.CodeEntry(self._span(meta), self._string(code), None if label is None else self._string(label))

    def enum_type(self, meta: LarkMeta, children: list[Any]) -> nodes.EnumType:
        return nodes.EnumType(self._span(meta), children[0])

    def set_type(self, meta: LarkMeta, children: list[Any]) -> nodes.SetType:
        return nodes.SetType(self._span(meta), children[0])

    def date_type(self, meta: LarkMeta, children: list[Any]) -> nodes.DateType:
        return nodes.DateType(self._span(meta))

    def list_type(self, meta: LarkMeta, children: list[nodes.RecordField]) -> nodes.ListType:
        return nodes.ListType(self._span(meta), tuple(children))

    def record_field(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordField:
        name, fact_type, absent, description = children
        text = None if description is None else self._string(description)
        return nodes.RecordField(self._span(meta), str(name), fact_type, text, absent is not None)

    def string_type(self, meta: LarkMeta, children: list[Token | None]) -> nodes.StringType:
        pattern = children[0]
        return nodes.StringType(self._span(meta), None if pattern is None else self._string(pattern))

    def enum_values(self, meta: LarkMeta, children: list[nodes.EnumValue]) -> tuple[nodes.EnumValue, ...]:
        return tuple(children)

    def enum_value(self, meta: LarkMeta, children: list[Token | None]) -> nodes.EnumValue:
        name, label = children
        assert name is not None
        return nodes.EnumValue(self._span(meta), str(name), None if label is None else self._string(label))

    # Outcomes and the order of decision

    def outcome(self, meta: LarkMeta, children: list[Any]) -> nodes.Outcome:
        name, description, advise, carries = children
        return nodes.Outcome(self._span(meta), str(name), self._string(description), advise or (), carries or ())

    def carries(self, meta: LarkMeta, children: list[nodes.Computed]) -> tuple[nodes.Computed, ...]:
        return tuple(children)

    def carried(self, meta: LarkMeta, children: list[Any]) -> nodes.Computed:
        return self.computed(meta, children)

    def choice(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Choice:
        then, condition, otherwise = children
        return nodes.Choice(self._span(meta), then, condition, otherwise)

    def interpretation(self, meta: LarkMeta, children: list[Token]) -> nodes.Interpretation:
        text, *labels = children
        about = tuple(nodes.SectionRef(span_of(self.file, t), str(t)) for t in labels)
        return nodes.Interpretation(self._span(meta), self._prose(text), about)

    def advise(self, meta: LarkMeta, children: list[Token]) -> tuple[nodes.SectionRef, ...]:
        return tuple(nodes.SectionRef(span_of(self.file, t), str(t)) for t in children)

    def decide(self, meta: LarkMeta, children: list[Any]) -> nodes.Decide:
        in_force, *rules, otherwise, unknown = children
        return nodes.Decide(self._span(meta), in_force, tuple(rules), otherwise, unknown)

    def in_force(self, meta: LarkMeta, children: list[Token | None]) -> nodes.InForce:
        fact, start, end = children
        assert fact is not None and start is not None
        return nodes.InForce(
            self._span(meta), self._name(fact), self._date(start), None if end is None else self._date(end)
        )

    def in_force_until(self, meta: LarkMeta, children: list[Token]) -> nodes.InForce:
        fact, end = children
        return nodes.InForce(self._span(meta), self._name(fact), None, self._date(end))

    def rule(self, meta: LarkMeta, children: list[Any]) -> nodes.Rule:
        outcome, condition = children
        return nodes.Rule(self._span(meta), nodes.Name(span_of(self.file, outcome), str(outcome)), condition)

    def otherwise(self, meta: LarkMeta, children: list[Token | None]) -> nodes.Otherwise:
        outcome, basis = children
        assert outcome is not None
        section = None if basis is None else nodes.SectionRef(span_of(self.file, basis), str(basis))
        return nodes.Otherwise(self._span(meta), self._name(outcome), section)

    def unknown(self, meta: LarkMeta, children: list[Token]) -> nodes.Name:
        return nodes.Name(span_of(self.file, children[0]), str(children[0]))

    # Examples

    def example(self, meta: LarkMeta, children: list[Any]) -> nodes.Example:
        title, expect, *facts = children
        outcome = None if expect is None else nodes.Name(span_of(self.file, expect), str(expect))
        return nodes.Example(self._span(meta), self._string(title), outcome, tuple(facts))

    def example_fact(self, meta: LarkMeta, children: list[Any]) -> nodes.ExampleFact:
        name, value = children
        return nodes.ExampleFact(self._span(meta), str(name), _json(value))

    def json_string(self, meta: LarkMeta, children: list[Token]) -> str:
        return self._string(children[0])

    def json_integer(self, meta: LarkMeta, children: list[Token]) -> int:
        return self._int(children[0])

    def json_decimal(self, meta: LarkMeta, children: list[Token]) -> decimal.Decimal:
        return self._decimal(children[0]).value

    def json_null(self, meta: LarkMeta, children: list[Token]) -> None:
        return None

    def json_empty_array(self, meta: LarkMeta, children: list[Any]) -> list[Any]:
        return []

    def json_array(self, meta: LarkMeta, children: list[Any]) -> list[Any]:
        return [_json(c) for c in children]

    # Test files

    def json_object(self, meta: LarkMeta, children: list[tuple[str, Any] | None]) -> dict[str, Any]:
        return {key: value for key, value in (c for c in children if c is not None)}

    def json_member(self, meta: LarkMeta, children: list[Any]) -> tuple[str, nodes.JsonValue]:
        key, value = children
        return (self._string(key) if key.type == "STRING" else str(key)), _json(value)

    def tests(self, meta: LarkMeta, items: list[nodes.Request | nodes.Case]) -> nodes.TestFile:
        return nodes.TestFile(self._span(meta), tuple(items))

    def request(self, meta: LarkMeta, children: list[Any]) -> nodes.Request:
        name, *facts = children
        return nodes.Request(self._span(meta), str(name), tuple(facts))

    def case(self, meta: LarkMeta, children: list[Any]) -> nodes.Case:
        title, base, expect, section, missing, terms, *facts = children
        return nodes.Case(
            self._span(meta),
            self._string(title),
            None if base is None else self._name(base),
            self._name(expect),
            None if section is None else self._name(section),
            missing,
            tuple(facts),
            terms,
        )

    def expected_terms(self, meta: LarkMeta, children: list[nodes.ExampleFact]) -> tuple[nodes.ExampleFact, ...]:
        return tuple(children)

    def missing(self, meta: LarkMeta, children: list[Token | None]) -> tuple[nodes.Name, ...]:
        return tuple(self._name(name) for name in children if name is not None)


@v_args(meta=True)
class PolicyTransformer(_Declarations):
    """One method per grammar rule; each returns the node of the same name."""

    # Sections

    def section(self, meta: LarkMeta, children: list[Any]) -> nodes.Section:
        label, title, *items = children
        for before, after in itertools.pairwise(items):
            if isinstance(before, nodes.Revision) and before.action is None and isinstance(after, nodes.Prose):
                if after.span.line == before.span.end_line:
                    self._before_colon(after.span, "a revision's text follows it after ':'")
        return nodes.Section(self._span(meta), str(label), self._string(title), tuple(items))

    def prose(self, meta: LarkMeta, children: list[Token]) -> nodes.Prose:
        return self._prose(children[0])

    def term(self, meta: LarkMeta, children: list[Any]) -> nodes.Term:
        name, text, *terms = children
        return nodes.Term(self._span(meta), self._string(name), text, tuple(t for t in terms if t is not None))

    def revision(self, meta: LarkMeta, children: list[Any]) -> nodes.Revision:
        kind, date, action = children
        return nodes.Revision(
            self._span(meta),
            str(kind),
            None if date is None else self._date(date, month_allowed=True),
            None if action is None else self._string(action),
        )

    def reference(self, meta: LarkMeta, children: list[Token | None]) -> nodes.Reference:
        citation, doi, url = children
        assert citation is not None
        return nodes.Reference(
            self._span(meta),
            self._string(citation),
            None if doi is None else self._string(doi),
            None if url is None else self._string(url),
        )

    def provision(self, meta: LarkMeta, children: list[Any]) -> nodes.Provision:
        kind, label, cited_as, wording, body = children
        return nodes.Provision(self._span(meta), str(kind), str(label), self._string(wording), body, cited_as)

    def cited_as(self, meta: LarkMeta, children: list[Token]) -> str:
        return self._string(children[0])

    def condition(self, meta: LarkMeta, children: list[Any]) -> nodes.Condition:
        expr, differs = children
        return nodes.Condition(self._span(meta), expr, differs)

    def wording_differs(self, meta: LarkMeta, children: list[Token]) -> str:
        return self._string(children[0])

    def group(self, meta: LarkMeta, children: list[Any]) -> nodes.Group:
        quantifier, *provisions = children
        return nodes.Group(self._span(meta), quantifier, tuple(provisions))

    def clarifies(self, meta: LarkMeta, children: list[Token]) -> nodes.Clarifies:
        section, *facts = children
        return nodes.Clarifies(
            self._span(meta),
            nodes.SectionRef(span_of(self.file, section), str(section)),
            tuple(nodes.Name(span_of(self.file, f), str(f)) for f in facts),
        )

    def quantifier(self, meta: LarkMeta, children: list[Token]) -> nodes.Quantifier:
        words = [str(c) for c in children]
        if words[0] == "at":
            return nodes.Quantifier(self._span(meta), "at_least", self._int(children[2]))
        return nodes.Quantifier(self._span(meta), words[0], None)

    # Expressions

    def disjunction(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Disjunction:
        return nodes.Disjunction(self._span(meta), tuple(children))

    def conjunction(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Conjunction:
        return nodes.Conjunction(self._span(meta), tuple(children))

    def negation(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Negation:
        return nodes.Negation(self._span(meta), children[0])

    def comparison(self, meta: LarkMeta, children: list[Any]) -> nodes.Comparison:
        left, op, right = children
        return nodes.Comparison(self._span(meta), str(op), left, right)

    def membership(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Membership:
        element, collection = children
        return nodes.Membership(self._span(meta), element, collection)

    def non_membership(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Negation:
        return nodes.Negation(self._span(meta), self.membership(meta, children))

    def emptiness(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Emptiness:
        return nodes.Emptiness(self._span(meta), children[0])

    def non_emptiness(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Negation:
        return nodes.Negation(self._span(meta), self.emptiness(meta, children))

    def knownness(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Knownness:
        return nodes.Knownness(self._span(meta), children[0])

    def unknownness(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Negation:
        return nodes.Negation(self._span(meta), self.knownness(meta, children))

    def presence(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Presence:
        return nodes.Presence(self._span(meta), children[0])

    def absence(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Negation:
        return nodes.Negation(self._span(meta), self.presence(meta, children))

    def quantified(self, meta: LarkMeta, children: list[Any]) -> nodes.Quantified:
        quantifier, *operands = children
        return nodes.Quantified(self._span(meta), quantifier, tuple(operands))

    def name(self, meta: LarkMeta, children: list[Token]) -> nodes.Name:
        return nodes.Name(self._span(meta), str(children[0]))

    def field(self, meta: LarkMeta, children: list[Token]) -> nodes.Name:
        """`trial.drug`: a name that the checker finds among the fields of the record `trial`."""
        return nodes.Name(self._span(meta), str(children[0]))

    def binding(self, meta: LarkMeta, children: list[Token]) -> nodes.Binding:
        record, records = children
        return nodes.Binding(self._span(meta), str(record), self._name(records))

    def records_quantified(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordsQuantified:
        kind, binding, where = children
        return nodes.RecordsQuantified(self._span(meta), str(kind), 1, None, binding, where)

    def records_at_least(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordsQuantified:
        count, binding, where = children
        return nodes.RecordsQuantified(self._span(meta), "at_least", self._int(count), None, binding, where)

    def records_at_least_distinct(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordsQuantified:
        count, distinct, binding, where = children
        return nodes.RecordsQuantified(self._span(meta), "at_least", self._int(count), distinct, binding, where)

    def records_count(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordsAggregate:
        function, binding, where = children
        return nodes.RecordsAggregate(self._span(meta), self._name(function), None, binding, where, None)

    def records_aggregate(self, meta: LarkMeta, children: list[Any]) -> nodes.RecordsAggregate:
        function, value, binding, where, fallback = children
        return nodes.RecordsAggregate(self._span(meta), self._name(function), value, binding, where, fallback)

    def section_ref(self, meta: LarkMeta, children: list[Token]) -> nodes.SectionRef:
        return nodes.SectionRef(self._span(meta), str(children[0]))

    def integer(self, meta: LarkMeta, children: list[Token]) -> nodes.IntLit:
        return nodes.IntLit(self._span(meta), self._int(children[0]))

    def decimal(self, meta: LarkMeta, children: list[Token]) -> nodes.DecimalLit:
        return self._decimal(children[0])

    def signed_integer(self, meta: LarkMeta, children: list[Token]) -> nodes.IntLit:
        sign, digits = children
        value = self._int(digits)
        return nodes.IntLit(self._span(meta), -value if _minus(sign) else value)

    def signed_decimal(self, meta: LarkMeta, children: list[Token]) -> nodes.DecimalLit:
        sign, digits = children
        number = self._decimal(digits)
        return _negated(number, self._span(meta)) if _minus(sign) else number

    def duration(self, meta: LarkMeta, children: list[Token]) -> nodes.DurationLit:
        amount, unit = children
        plural = str(unit) if str(unit).endswith("s") else f"{unit}s"
        return nodes.DurationLit(self._span(meta), self._int(amount), plural)

    def arithmetic(self, meta: LarkMeta, children: list[Any]) -> nodes.Arithmetic:
        left, op, right = children
        return nodes.Arithmetic(self._span(meta), str(op), left, right)

    def call(self, meta: LarkMeta, children: list[Any]) -> nodes.Call:
        function, *arguments = children
        return nodes.Call(self._span(meta), self._name(function), tuple(a for a in arguments if a is not None))

    def intersection(self, meta: LarkMeta, children: list[nodes.Expr]) -> nodes.Intersection:
        left, right = children
        return nodes.Intersection(self._span(meta), left, right)

    def string(self, meta: LarkMeta, children: list[Token]) -> nodes.StrLit:
        return nodes.StrLit(self._span(meta), self._string(children[0]))

    def true(self, meta: LarkMeta, children: list[Token]) -> nodes.BoolLit:
        return nodes.BoolLit(self._span(meta), True)

    def false(self, meta: LarkMeta, children: list[Token]) -> nodes.BoolLit:
        return nodes.BoolLit(self._span(meta), False)

    def set_literal(self, meta: LarkMeta, children: list[nodes.Expr | None]) -> nodes.SetLit:
        return nodes.SetLit(self._span(meta), tuple(c for c in children if c is not None))
