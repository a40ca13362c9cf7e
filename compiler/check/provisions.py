"""Provisions: criteria, groups and clarifications, as `model.Provision`s (E205-E207, E215, E304, E407)."""

from __future__ import annotations

from compiler import model
from compiler.check.conditions import CONDITION_KINDS, ConditionCheck
from compiler.check.report import Report, a, suggest
from compiler.check.scope import Pass, Scope
from compiler.check.wording import check_wording_numbers
from compiler.syntax import nodes

MAX_REFERENCE_DEPTH = 100  # provisions reading provisions: an input limit, as nesting is


class ProvisionCheck(Pass):
    def __init__(self, scope: Scope, report: Report) -> None:
        super().__init__(scope, report)
        self.conditions = ConditionCheck(scope, report)

    def check_provisions(self, sections: tuple[nodes.Section, ...]) -> tuple[model.Provision, ...]:
        """Every provision of the statement, parents before children, in policy order."""
        order: list[model.Provision] = []
        for section in sections:
            for item in section.items:
                if isinstance(item, nodes.Provision):
                    order.extend(_preorder(self.check_provision(item)))
        self.check_clarifications(order)
        self.check_citations(order)
        self.check_cycles(order)
        return tuple(order)

    def check_cycles(self, provisions: list[model.Provision]) -> None:
        """A provision that refers to itself, through others or not, has no value (E215): each cycle once."""
        refers = {p.label: model.provisions_referenced(p.condition) if p.condition else () for p in provisions}
        done: set[str] = set()
        depth: dict[str, int] = {}  # the longest chain of references from each, itself counted
        reported: set[frozenset[str]] = set()
        for start in refers:
            path: list[str] = []  # the provisions being followed, each with the references left to follow
            pending: list[list[str]] = []
            label: str | None = start
            while label is not None or pending:
                if label is not None and label in path:
                    cycle = path[path.index(label) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        self.error(
                            "E215", f"'{label}' refers to itself: {' -> '.join(_shortened([*cycle, label]))}",
                            self.provisions[label].span,
                            hint="a provision's condition may read other provisions, never itself",
                        )  # fmt: skip
                elif label is not None and label not in done and label in refers:
                    path.append(label)
                    pending.append(list(refers[label]))
                label = None
                while pending and not pending[-1]:  # every reference of the last one followed
                    finished = path.pop()
                    pending.pop()
                    done.add(finished)
                    depth[finished] = 1 + max((depth.get(r, 0) for r in refers[finished]), default=0)
                if pending:
                    label = pending[-1].pop(0)
        deepest = max(depth, key=depth.__getitem__, default=None)
        if deepest is not None and depth[deepest] > MAX_REFERENCE_DEPTH:
            self.error(
                "E005", f"'{deepest}' begins a chain of {depth[deepest]} provisions, each read by the one before; "
                f"at most {MAX_REFERENCE_DEPTH}", self.provisions[deepest].span,
            )  # fmt: skip

    def check_citations(self, provisions: list[model.Provision]) -> None:
        """A decision cites a provision by the policy's own label: no two may share one (E304)."""
        cited: dict[str, str] = {p.label: p.label for p in provisions}
        for p in provisions:
            if p.cited_as is None:
                continue
            other = cited.get(p.cited_as)
            if other is not None and other != p.label:
                self.error(
                    "E304",
                    f"'{p.label}' is cited as '{p.cited_as}', which already cites '{other}'",
                    self.provisions[p.label].span,
                    hint="give the label in full, with its section: `as \"B(1)\"`",
                )
            cited.setdefault(p.cited_as, p.label)

    def check_provision(self, provision: nodes.Provision) -> model.Provision:
        children: tuple[model.Provision, ...] = ()
        condition: model.Expr | None = None
        clarifies: str | None = None
        body = provision.body
        if isinstance(body, nodes.Condition):
            condition = self.conditions.check_condition(body.expr)
            if body.wording_differs is None:
                check_wording_numbers(self.report, provision, body)
        elif isinstance(body, nodes.Group):
            children = tuple(self.check_provision(child) for child in body.provisions)
            for child in children:
                written = isinstance(self.provisions[child.label].body, (nodes.Condition, nodes.Group))
                if child.condition is None and not written:  # a written one that failed has its own error
                    self.error(
                        "E206",
                        f"'{child.label}' has no condition, so it cannot be part of '{provision.label}'",
                        self.provisions[child.label].span,
                    )
            operands = tuple(
                model.ProvisionRef(c.label, span=self.provisions[c.label].span)
                for c in children
                if c.condition is not None
            )
            condition = self.conditions.quantify(body.quantifier, operands)
        elif isinstance(body, nodes.Clarifies):
            clarifies = self.check_clarifies(body)

        wants_condition = provision.kind in CONDITION_KINDS
        if wants_condition and body is None:
            self.error(
                "E206",
                f"{provision.kind} '{provision.label}' has no condition",
                provision.span,
                hint="add `when CONDITION`",
            )
        elif not wants_condition and isinstance(body, (nodes.Condition, nodes.Group)):
            self.error("E206", f"{provision.kind} '{provision.label}' cannot have a condition", body.span)
        elif provision.kind == "clarification" and not isinstance(body, nodes.Clarifies):
            self.error(
                "E206",
                f"clarification '{provision.label}' must say what it clarifies",
                provision.span,
                hint="add `clarifies SECTION reads FACT`",
            )
        elif provision.kind != "clarification" and isinstance(body, nodes.Clarifies):
            self.error(
                "E206", f"only a clarification can clarify; '{provision.label}' is {a(provision.kind)}", body.span
            )
        facts = _provision_facts(condition, children)
        values = dict.fromkeys(model.values_read(condition) if condition is not None else ())
        for child in children:
            values.update(dict.fromkeys(child.values))
        if isinstance(body, nodes.Clarifies):
            facts = tuple(dict.fromkeys(name.name for name in body.facts))
        return model.Provision(
            provision.kind,
            provision.label,
            provision.wording,
            provision.span.line,
            condition,
            children,
            facts,
            clarifies,
            tuple(values),
            body.wording_differs if isinstance(body, nodes.Condition) else None,
            provision.cited_as,
            span=provision.span,
        )

    def check_clarifies(self, body: nodes.Clarifies) -> str | None:
        target = self.provisions.get(body.section.label)
        if target is None:
            self.error(
                "E205",
                f"section '{body.section.label}' is not declared",
                body.section.span,
                suggest(body.section.label, self.provisions),
            )
            return None
        for name in body.facts:
            self.report.used_facts.add(name.name)
            if name.name not in self.facts:
                self.error("E201", f"fact '{name.name}' is not declared", name.span, suggest(name.name, self.facts))
        return body.section.label

    def check_clarifications(self, provisions: list[model.Provision]) -> None:
        by_label = {p.label: p for p in provisions}
        for p in provisions:
            if p.clarifies is None or p.clarifies not in by_label:
                continue
            source = self.provisions[p.label]
            if not isinstance(source.body, nodes.Clarifies):  # its label repeats another's, reported already
                continue
            target = by_label[p.clarifies]
            for name in source.body.facts:
                if name.name in target.facts:
                    self.error(
                        "E407",
                        f"'{p.label}' says '{name.name}' does not bear on '{target.label}', "
                        f"but '{target.label}' reads it",
                        name.span,
                    )


def _provision_facts(condition: model.Expr | None, children: tuple[model.Provision, ...]) -> tuple[str, ...]:
    found = dict.fromkeys(model.facts_read(condition) if condition is not None else ())
    for child in children:
        found.update(dict.fromkeys(child.facts))
    return tuple(found)


def _shortened(labels: list[str]) -> list[str]:
    """A long cycle by its first and last steps."""
    return labels if len(labels) <= 8 else [*labels[:4], "...", *labels[-3:]]


def _preorder(root: model.Provision) -> list[model.Provision]:
    return [root, *(p for child in root.children for p in _preorder(child))]
