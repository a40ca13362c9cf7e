"""Usage, last: what is declared but never read or decided (W101-W103), advisories, and examples (E601)."""

from __future__ import annotations

import re
from typing import Any

from compiler import model
from compiler.check.report import a, fold, suggest, undeclared_outcome
from compiler.check.scope import Pass
from compiler.interpret import InvalidRequest, validate_facts
from compiler.syntax import nodes


class UsageCheck(Pass):
    def check_usage(self, provisions: tuple[model.Provision, ...], revision_fact: str | None) -> tuple[model.Fact, ...]:
        for outcome in self.outcomes.values():
            for ref in outcome.advise:
                target = self.provisions.get(ref.label)
                if target is None:
                    self.error(
                        "E205", f"section '{ref.label}' is not declared", ref.span, suggest(ref.label, self.provisions)
                    )
                elif target.kind != "advisory":
                    self.error("E406", f"'{ref.label}' is {a(target.kind)}, not an advisory", ref.span)
        facts: list[model.Fact] = []
        for name, fact in self.facts.items():
            if name not in self.report.used_facts:
                self.warning("W101", f"fact '{name}' is declared but never read", fact.span)
            sections = tuple(p.label for p in provisions if name in _direct_facts(p))
            if name == revision_fact:
                sections = (model.REVISION, *sections)
            description = fold(fact.description)
            fact_type = self.fact_types[name]
            facts.append(
                model.Fact(name, fact_type, description, sections, fact.span.line, fact.absent, span=fact.span)
            )

        for name, value in self.computed.items():
            if name not in self.report.used_computed:
                self.warning("W103", f"value '{name}' is computed but never read", value.span)
        return tuple(facts)

    def check_outcome_usage(self) -> None:
        for name, outcome in self.outcomes.items():
            if name not in self.report.used_outcomes:
                self.warning("W102", f"outcome '{name}' is declared but no rule decides it", outcome.span)

    def check_examples(
        self, examples: list[nodes.Example], facts: tuple[model.Fact, ...], written: set[str]
    ) -> tuple[model.Example, ...]:
        """Each example once, naming declared outcomes, and a valid request: checked here against the
        facts' declarations, at the field, even while other parts of the policy have errors. (Whether
        the policy decides it as expected waits for a policy without errors.)"""
        checked: list[model.Example] = []
        titles: set[str] = set()
        for example in examples:
            if example.title in titles:
                self.error("E601", f"example '{example.title}' is given twice", example.span)
            titles.add(example.title)
            names: set[str] = set()
            for fact in example.facts:
                if fact.name in names:
                    self.error("E601", f"example '{example.title}' gives '{fact.name}' twice", fact.span)
                names.add(fact.name)
            expected = example.expect
            if expected is not None and expected.name not in self.outcomes and self.report.first("E401", expected.name):
                hint = undeclared_outcome(expected.name, self.outcomes)
                self.error("E401", f"outcome '{expected.name}' is not declared", expected.span, hint)
            given = tuple((f.name, f.value) for f in example.facts)
            if len(names) == len(example.facts):  # a field given twice is its own error
                self.check_example_request(example, dict(given), facts, written)
            expect = example.expect.name if example.expect else None
            expect_span = example.expect.span if example.expect else None
            checked.append(
                model.Example(
                    example.title, given, expect, example.span.line, span=example.span, expect_span=expect_span
                )
            )
        return tuple(checked)


    def check_interpretations(self, written: list[nodes.Interpretation]) -> tuple[model.Interpretation, ...]:
        """Each interpretation is about provisions the policy has."""
        checked = []
        for item in written:
            for ref in item.about:
                if ref.label not in self.provisions:
                    hint = suggest(ref.label, self.provisions)
                    self.error("E205", f"section '{ref.label}' is not declared", ref.span, hint)
            labels = tuple(dict.fromkeys(ref.label for ref in item.about if ref.label in self.provisions))
            checked.append(model.Interpretation(fold(item.text), labels, item.span.line, span=item.span))
        return tuple(checked)

    def check_example_request(
        self, example: nodes.Example, request: dict[str, Any], facts: tuple[model.Fact, ...], written: set[str]
    ) -> None:
        sound = {f.name for f in facts}  # a fact whose declaration has an error is left to that error
        request = {name: value for name, value in request.items() if name in sound or name not in written}
        try:
            validate_facts(facts, request)
        except InvalidRequest as exc:
            spans = {f.name: f.span for f in example.facts}
            for field, message in exc.errors:
                name = re.split(r"[.\[]", field, maxsplit=1)[0]
                where = spans.get(name, example.span)
                self.error("E602", f"example '{example.title}' is not a valid request: {field}: {message}", where)


def _direct_facts(provision: model.Provision) -> tuple[str, ...]:
    """The facts a provision reads itself: its own condition, or what a clarification reads."""
    if provision.kind == "clarification":
        return provision.facts
    return model.facts_read(provision.condition) if provision.condition is not None else ()
