"""Conditions: a provision's or a rule's condition, resolved and typed as a `model.Expr`.

Facts, section references and literals compared, tested for membership, intersected or
combined (E201-E207); numbers and dates go to `ValueCheck`, which this pass extends.
"""

from __future__ import annotations

from compiler import model
from compiler.check.quantities import can_hold
from compiler.check.report import a, suggest
from compiler.check.values import ValueCheck
from compiler.syntax import nodes

APPLICABILITY = model.APPLICABILITY
CONDITION_KINDS = ("criteria", "criterion", "rule", "contraindications", "contraindication")
_ORDER_OPS = ("<", "<=", ">", ">=")
_RECORD_QUANTIFIERS: dict[str, model.QuantifierKind] = {k: k for k in ("any", "every", "no", "at_least")}


class ConditionCheck(ValueCheck):
    def check_condition(self, expr: nodes.Expr) -> model.Expr | None:
        """Check an expression that must be a condition (true, false or unknown)."""
        if isinstance(expr, nodes.Name):
            if expr.name == "applicable" and self.has_applicability and expr.name not in self.facts:
                return model.ProvisionRef(APPLICABILITY, span=expr.span)
            if expr.name in self.computed or expr.name in self.codesets:
                kind = "computed value" if expr.name in self.computed else "code set"
                self.error("E206", f"'{expr.name}' is a {kind}, not a condition", expr.span, hint="compare it")
                return None
            fact_type = self.lookup_fact(expr)
            if fact_type is None:
                return None
            if not isinstance(fact_type, model.Boolean):
                self.error(
                    "E206",
                    f"'{expr.name}' is {a(fact_type.kind)} fact, not a condition",
                    expr.span,
                    hint="compare it, e.g. `age <= 18`",
                )
                return None
            return self.ref(expr)
        if isinstance(expr, nodes.SectionRef):
            target = self.provisions.get(expr.label)
            if target is None:
                self.error(
                    "E205", f"section '{expr.label}' is not declared", expr.span, suggest(expr.label, self.provisions)
                )
                return None
            if target.kind not in CONDITION_KINDS:
                self.error("E206", f"'{expr.label}' is {a(target.kind)}, which has no condition", expr.span)
                return None
            return model.ProvisionRef(expr.label, span=expr.span)
        if isinstance(expr, nodes.BoolLit):
            return model.Const(expr.value, span=expr.span)
        if isinstance(expr, nodes.Negation):
            operand = self.check_condition(expr.operand)
            return None if operand is None else model.Not(operand, span=expr.span)
        if isinstance(expr, (nodes.Conjunction, nodes.Disjunction, nodes.Quantified)):
            operands = [self.check_condition(o) for o in expr.operands]
            if any(o is None for o in operands):
                return None
            checked = tuple(o for o in operands if o is not None)
            if isinstance(expr, nodes.Conjunction):
                return model.Combine("all", len(checked), checked, span=expr.span)
            if isinstance(expr, nodes.Disjunction):
                return model.Combine("any", 1, checked, span=expr.span)
            return self.quantify(expr.quantifier, checked)
        if isinstance(expr, nodes.Comparison):
            return self.check_comparison(expr)
        if isinstance(expr, nodes.Membership):
            return self.check_membership(expr)
        if isinstance(expr, nodes.Emptiness):
            return self.check_emptiness(expr)
        if isinstance(expr, nodes.Knownness):
            return self.check_knownness(expr)
        if isinstance(expr, nodes.Presence):
            return self.check_presence(expr)
        if isinstance(expr, nodes.Intersection):
            return self.check_intersection(expr)
        if isinstance(expr, nodes.RecordsQuantified):
            return self.check_records(expr)
        self.error("E206", "expected a condition, found a value", expr.span, hint="compare it with a fact")
        return None

    def quantify(self, quantifier: nodes.Quantifier, operands: tuple[model.Expr, ...]) -> model.Expr | None:
        if not operands:
            return None
        if quantifier.kind == "all":
            return model.Combine("all", len(operands), operands, span=quantifier.span)
        if quantifier.kind == "any":
            return model.Combine("any", 1, operands, span=quantifier.span)
        count = quantifier.count or 0
        if not 1 <= count <= len(operands):
            self.error(
                "E207", f"'at least {count} of' needs between 1 and {len(operands)} conditions here", quantifier.span
            )
            return None
        return model.Combine("at_least", count, operands, span=quantifier.span)

    def check_records(self, expr: nodes.RecordsQuantified) -> model.Expr | None:
        """`any | every | no | at least N [distinct x.F for] x in LIST such that CONDITION`."""
        bound = self.bind(expr.binding)
        if bound is None:
            return None
        inner, list_type = bound
        where = inner.check_condition(expr.where)
        distinct = None
        if expr.distinct is not None:
            field = expr.distinct
            if not isinstance(field, nodes.Name) or not field.name.startswith(expr.binding.record + "."):
                self.error("E203", f"'distinct' counts the values of a field of '{expr.binding.record}'", field.span)
                return None
            if inner.lookup_fact(field) is None:
                return None
            distinct = inner.ref(field)
        if where is None:
            return None
        if expr.count < 1:
            self.error("E207", "'at least 0' is always true: count from 1", expr.span)
            return None
        kind = _RECORD_QUANTIFIERS[expr.kind]
        records = model.Records(expr.binding.records.name, expr.binding.record, where, span=expr.binding.span)
        return model.Quantify(kind, expr.count, records, distinct, span=expr.span)

    def check_emptiness(self, expr: nodes.Emptiness) -> model.Expr | None:
        subject = expr.operand
        if not isinstance(subject, nodes.Name):
            self.error("E203", "'is empty' needs a set fact", subject.span)
            return None
        fact_type = self.lookup_fact(subject)
        if fact_type is None:
            return None
        if not isinstance(fact_type, (model.EnumSet, model.Codes)):
            self.error(
                "E203", f"'is empty' needs a set fact, but '{subject.name}' is {a(fact_type.kind)} fact", subject.span
            )
            return None
        return model.Empty(self.ref(subject), span=expr.span)

    def check_knownness(self, expr: nodes.Knownness) -> model.Expr | None:
        """`x is known`: of a fact, or of a computed value (known when every fact it reads is)."""
        subject = expr.operand
        if not isinstance(subject, nodes.Name):
            self.error("E203", "'is known' tests a fact or a computed value", subject.span)
            return None
        if subject.name in self.computed:
            quantity = self.named_quantity(subject)
            if quantity is None:
                return None
            value = quantity[0]
            assert isinstance(value, model.ValueRef)
            return model.Known(value, span=expr.span)
        if self.lookup_fact(subject) is None:
            return None
        return model.Known(self.ref(subject), span=expr.span)

    def check_presence(self, expr: nodes.Presence) -> model.Expr | None:
        """`x is present` (or `is absent`): of a fact or record field declared `or absent`."""
        subject = expr.operand
        if not isinstance(subject, nodes.Name) or subject.name in self.computed:
            self.error(
                "E214", "'is present' and 'is absent' test a fact or a record's field", subject.span,
                hint="test the facts the value reads, or whether it `is known`",
            )  # fmt: skip
            return None
        if self.lookup_fact(subject) is None:
            return None
        if not self.may_be_absent(subject.name):
            self.error(
                "E214",
                f"'{subject.name}' is not declared `or absent`: when it is known, it is present",
                subject.span,
                hint="declare it `... or absent` if a request may say it does not exist, or test `is known`",
            )
            return None
        return model.Present(self.ref(subject), span=expr.span)

    def check_comparison(self, expr: nodes.Comparison) -> model.Expr | None:
        if self.needs_quantity(expr.left) or self.needs_quantity(expr.right):
            return self.compare_quantities(expr)
        left, right = expr.left, expr.right
        # Put the fact on the left so that `3 <= eckardt_score` reads as `eckardt_score >= 3`.
        op = model.COMPARE_OPS[expr.op]
        # A misspelt value on the left (`primary_car == setting`) is read as the value it is meant to be.
        misspelt_left = isinstance(left, nodes.Name) and not self._declared(left) and self._is_enum_fact(right)
        if (not self._is_fact(left) or misspelt_left) and self._is_fact(right):
            left, right = right, left
            op = model.MIRRORED[op]
        if not isinstance(left, nodes.Name) or not self._is_fact(left):
            if isinstance(left, nodes.Name) and not isinstance(right, nodes.Name):
                self.lookup_fact(left)  # reports the undeclared fact
            else:
                self.error("E203", "a comparison needs a fact on one side", expr.span)
            return None
        fact_type = self.lookup_fact(left)
        if fact_type is None:
            return None
        if op in _ORDER_OPS and not isinstance(fact_type, (model.Integer, model.Date)):
            self.error(
                "E203", f"'{op}' compares numbers or dates, but '{left.name}' is {a(fact_type.kind)} fact", expr.span
            )
            return None
        # An undeclared name compared with an enum is a misspelt value (`setting == primary_car`), not a fact.
        misspelt = isinstance(fact_type, model.Enum) and isinstance(right, nodes.Name) and not self._declared(right)
        if isinstance(right, nodes.Name) and self._is_fact(right) and not misspelt:
            other = self.lookup_fact(right)
            if other is None:
                return None
            if isinstance(other, model.Integer) and isinstance(fact_type, model.Integer):
                if other.unit != fact_type.unit:
                    self.error("E208", f"cannot compare {fact_type.unit} with {other.unit}", expr.span)
                    return None
            elif type(other) is not type(fact_type) or (
                isinstance(other, (model.Enum, model.EnumSet)) and other != fact_type
            ):
                self.error(
                    "E203",
                    f"cannot compare {fact_type.kind} fact '{left.name}' with {other.kind} fact '{right.name}'",
                    expr.span,
                )
                return None
            return model.Compare(
                op, self.ref(left), self.ref(right), span=expr.span
            )
        if isinstance(fact_type, model.EnumSet):
            self.error(
                "E203",
                f"'{left.name}' is a set fact; '{op}' compares a single value",
                expr.span,
                hint=f"write `VALUE in {left.name}`, or `{left.name} is empty`",
            )
            return None
        value = self.check_value(right, fact_type, left.name)
        if value is None:
            return None
        if isinstance(fact_type, model.Integer):
            assert isinstance(value.value, int)
            self.check_satisfiable(expr, left.name, fact_type, op, value.value)
        return model.Compare(op, self.ref(left), value, span=expr.span)

    def _declared(self, name: nodes.Name) -> bool:
        return name.name in self.facts or name.name in self.computed

    def _is_enum_fact(self, expr: nodes.Expr) -> bool:
        return isinstance(expr, nodes.Name) and isinstance(self.fact_types.get(expr.name), model.Enum)

    def check_satisfiable(self, expr: nodes.Comparison, fact: str, t: model.Integer, op: str, n: int) -> None:
        if not can_hold(t.low, t.high, op, n):
            self.error(
                "E204",
                f"'{fact} {op} {n}' can never be true: '{fact}' ranges over {t.low}..{t.high}",
                expr.span,
            )

    def check_intersection(self, expr: nodes.Intersection) -> model.Expr | None:
        left, right = expr.left, expr.right
        if isinstance(left, nodes.SetLit) or (isinstance(left, nodes.Name) and left.name in self.codesets):
            left, right = right, left  # the fact on the left
        if not isinstance(left, nodes.Name) or left.name in self.codesets:
            self.error("E203", "'intersects' needs a set fact or a list of codes on one side", expr.span)
            return None
        fact_type = self.lookup_fact(left)
        if fact_type is None:
            return None
        subject = self.ref(left)
        if isinstance(fact_type, model.Codes):
            if isinstance(right, nodes.Name) and right.name in self.codesets:
                codeset = self.codesets[right.name]
                if codeset.system != fact_type.system:
                    self.error(
                        "E203",
                        f"'{left.name}' holds {fact_type.system} codes; '{right.name}' is a {codeset.system} code set",
                        expr.span,
                    )
                    return None
                return model.Intersects(subject, model.CodeSetRef(right.name, span=right.span), span=expr.span)
            self.error("E203", f"'{left.name}' is a list of codes; test it against a code set", right.span)
            return None
        if not isinstance(fact_type, model.EnumSet):
            self.error("E203", f"'intersects' needs a set, but '{left.name}' is {a(fact_type.kind)} fact", left.span)
            return None
        if isinstance(right, nodes.Name) and right.name in self.facts:
            other = self.lookup_fact(right)
            if other != fact_type:
                self.error("E203", f"'{left.name}' and '{right.name}' are not sets of the same values", expr.span)
                return None
            return model.Intersects(subject, self.ref(right), span=expr.span)
        if not isinstance(right, nodes.SetLit) or not right.items:
            self.error("E203", "'intersects' needs a set such as {a, b} or a set fact on its right", right.span)
            return None
        member_type = model.Enum(fact_type.values, fact_type.labels)
        values = [self.check_value(item, member_type, left.name) for item in right.items]
        if any(v is None for v in values):
            return None
        constants = model.Const(model.sorted_set(v.value for v in values if v is not None), span=right.span)
        return model.Intersects(subject, constants, span=expr.span)

    def check_membership(self, expr: nodes.Membership) -> model.Expr | None:
        element, collection = expr.element, expr.collection
        if isinstance(collection, nodes.Name) and collection.name in self.codesets:
            codeset = self.codesets[collection.name]
            fact_type = self.lookup_fact(element) if isinstance(element, nodes.Name) else None
            if isinstance(element, nodes.Name) and fact_type is None:
                return None
            if not isinstance(fact_type, model.Code) or fact_type.system != codeset.system:
                self.error(
                    "E203",
                    f"'in {collection.name}' needs a {codeset.system} code fact on its left",
                    element.span,
                    hint="for a claim's list of codes, write `CODES intersects CODESET`",
                )
                return None
            assert isinstance(element, nodes.Name)
            element_ref = self.ref(element)
            return model.Member(element_ref, model.CodeSetRef(collection.name, span=collection.span), span=expr.span)
        if isinstance(collection, nodes.Name) and self._is_fact(collection):
            set_type = self.lookup_fact(collection)
            if set_type is None:
                return None
            if not isinstance(set_type, model.EnumSet):
                self.error(
                    "E203",
                    f"'in' needs a set on its right, but '{collection.name}' is {a(set_type.kind)} fact",
                    collection.span,
                )
                return None
            value = self.check_value(element, model.Enum(set_type.values, set_type.labels), collection.name)
            collection_ref = self.ref(collection)
            return None if value is None else model.Member(value, collection_ref, span=expr.span)
        if not isinstance(collection, nodes.SetLit):
            if isinstance(collection, nodes.Name):
                self.lookup_fact(collection)
            else:
                self.error("E203", "'in' needs a set fact or a set such as {a, b} on its right", collection.span)
            return None
        if not isinstance(element, nodes.Name) or not self._is_fact(element):
            if isinstance(element, nodes.Name):
                self.lookup_fact(element)
            else:
                self.error("E203", "'in {...}' needs a fact on its left", element.span)
            return None
        fact_type = self.lookup_fact(element)
        if fact_type is None:
            return None
        if isinstance(fact_type, (model.EnumSet, model.Boolean)):
            self.error(
                "E203",
                f"'{element.name}' is {a(fact_type.kind)} fact; 'in {{...}}' tests a single value",
                element.span,
            )
            return None
        if isinstance(fact_type, (model.Code, model.Codes, model.Decimal)):
            hint = "declare a code set and write `FACT in CODESET`" if fact_type.kind != "decimal" else None
            self.error("E203", f"'in {{...}}' does not take {a(fact_type.kind)} fact", element.span, hint)
            return None
        values = [self.check_value(item, fact_type, element.name) for item in collection.items]
        if any(v is None for v in values):
            return None
        if not values:
            self.error("E204", f"'{element.name} in {{}}' can never be true: the set is empty", expr.span)
            return None
        if isinstance(fact_type, model.Integer):
            if not any(isinstance(v.value, int) and fact_type.low <= v.value <= fact_type.high for v in values if v):
                self.error(
                    "E204",
                    f"'{element.name}' ranges over {fact_type.low}..{fact_type.high}; no value of this set is in range",
                    collection.span,
                )
                return None
        constants = model.Const(model.sorted_set(v.value for v in values if v is not None), span=collection.span)
        return model.Member(self.ref(element), constants, span=expr.span)
