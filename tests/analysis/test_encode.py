"""The SMT translation against the interpreter and the evaluator: a pinned request gets the same verdicts.

For each shipped policy, generated requests (unknown, absent, boundary values, histories of
every shape) are pinned: every variable of the symbolic request is fixed to the request's value.
Then the solver's value of every provision (true, false or unknown) and the way the decision
goes (outcome and section) must be the interpreter's and the generated evaluator's. Each encoding bug shows up here as a
disagreement, independently of the solver's search.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import z3

from compiler import find_sources, interpret, load, model
from compiler.analysis.encode import Truth
from compiler.analysis.solve import Analysis
from compiler.analysis.space import Slot, Space, constant
from compiler.targets import python
from tests.conftest import ROOT
from tests.test_interpret import random_requests

SOURCES = find_sources([ROOT / "policies", ROOT / "tests" / "cases" / "good", Path(__file__).parent])
COUNT = 120


def pinned(space: Space, facts: dict[str, Any]) -> list[z3.BoolRef]:
    """Constraints that fix every variable of the symbolic request to a validated request's facts."""
    strings: dict[str, int] = {}
    found: list[z3.BoolRef] = []

    def pin(slot: Slot, value: Any) -> None:
        if value is None:
            found.append(z3.Not(slot.known))
            return
        if value is interpret.ABSENT:
            found.extend([slot.known, slot.absent])
            return
        found.extend([slot.known, z3.Not(slot.absent)])
        t = slot.type
        if isinstance(t, model.Boolean):
            found.append(slot.value == value)
        elif isinstance(t, model.Integer | model.Decimal):
            found.append(slot.value == constant(value))
        elif isinstance(t, model.Date):
            found.append(slot.value == value.toordinal())
        elif isinstance(t, model.EnumSet):
            found.extend(b == (w in value) for w, b in slot.value.items())
        elif isinstance(t, model.Code | model.Codes):
            classes = space.codes[t.system]
            counts = [0] * len(classes.classes)
            for code in [value] if isinstance(t, model.Code) else value:
                counts[_class_of(classes, code)] += 1
            if isinstance(t, model.Code):
                found.append(slot.value == counts.index(1))
            else:
                found.extend(n == counts[i] for i, n in slot.value.items())
        else:  # a word: an enum value, or a string that may be none of the policy's
            number = space.words.ids.get(value)
            if number is None:
                number = strings.setdefault(value, len(space.words.ids) + len(strings))
            found.append(slot.value == number)

    for name, slot in space.slots.items():
        pin(slot, facts.get(name))
    for name, history in space.histories.items():
        records = facts.get(name)
        if records is None:
            found.append(z3.Not(history.known))
            continue
        found.extend([history.known, history.size == len(records)])
        for record, slots in zip(records, history.records, strict=False):
            for field, slot in slots.items():
                pin(slot, record[field])
    return found


def _class_of(classes: Any, code: str) -> int:
    if code in classes.exact:
        return classes.classes.index((code, True))
    prefix = max((p for p in classes.prefixes if code.startswith(p)), key=len, default="")
    return classes.classes.index((prefix, False))


def _side(truth: Truth, found: z3.ModelRef) -> bool | None:
    if z3.is_true(found.eval(truth.true, model_completion=True)):
        return True
    return False if z3.is_true(found.eval(truth.false, model_completion=True)) else None


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_pinned_request_gets_the_interpreters_verdicts(source: Path) -> None:
    policy = load(source)
    evaluator = python.load_module(policy)
    analysis = Analysis(policy)
    encoder, decision = analysis.encoders[0], analysis.decisions[0]
    checked = 0
    for request in random_requests(policy, COUNT * 3, seed=17):
        try:
            facts = interpret.validate(policy, request)
        except interpret.InvalidRequest:
            continue
        if any(isinstance(v, tuple) and len(v) > analysis.bound for v in facts.values()):
            continue  # longer than the histories the solver is given
        solver = z3.Solver()
        solver.add(analysis.space.valid(policy), *analysis.calendar.facts, *pinned(analysis.space, facts))
        assert solver.check() == z3.sat, request
        found = solver.model()
        evaluation = interpret.Evaluation(policy, facts)
        for provision in policy.provisions:
            if provision.condition is not None:
                expected = evaluation.value(provision.condition)
                assert _side(encoder.provision(provision.label), found) == expected, (provision.label, request)
        oracle, generated = interpret.evaluate(policy, request), evaluator.evaluate(request)
        [path] = [p for p in decision.paths if z3.is_true(found.eval(p.condition, model_completion=True))]
        assert (path.outcome, path.section) == (oracle["outcome"], oracle["section"]), request
        assert (path.outcome, path.section) == (generated.outcome, generated.section), request
        checked += 1
        if checked == COUNT:
            break
    assert checked >= COUNT // 2


def test_terms_are_the_interpreters() -> None:
    """A term (NCD 30.3.3's sessions left, a date moved by days) has the interpreter's value."""
    policy = load(ROOT / "policies" / "CMS-NCD-30.3.3.policy")
    analysis = Analysis(policy)
    encoder = analysis.encoders[0]
    checked = 0
    for request in random_requests(policy, 400, seed=5):
        try:
            facts = interpret.validate(policy, request)
        except interpret.InvalidRequest:
            continue
        if any(isinstance(v, tuple) and len(v) > analysis.bound for v in facts.values()):
            continue
        solver = z3.Solver()
        solver.add(analysis.space.valid(policy), *analysis.calendar.facts, *pinned(analysis.space, facts))
        assert solver.check() == z3.sat
        found = solver.model()
        evaluation = interpret.Evaluation(policy, facts)
        for term in (t for o in policy.outcomes for t in o.terms):
            expected = evaluation.operand(term.operand)
            value = encoder.value(model.ValueRef(term.name, term.operand, term.whole), {})
            known = z3.is_true(found.eval(value.known, model_completion=True))
            assert known == (expected is not None), (term.name, request)
            if known:
                got = found.eval(value.value, model_completion=True)
                if isinstance(expected, str):  # a term in words
                    want = z3.IntVal(analysis.space.words.ids[expected])
                else:
                    want = constant(expected.toordinal() if isinstance(expected, datetime.date) else expected)
                assert z3.is_true(z3.simplify(got == want)), (term.name, request)
                checked += 1
    assert checked > 0


def test_codes_under_prefixes_fall_in_their_code_sets() -> None:
    """Codes the generated requests do not hold: under a prefix, under a prefix within it, a listed
    code, and codes of no set, alone and as lists of several."""
    policy = load(Path(__file__).parent / "codes.policy")
    analysis = Analysis(policy)
    encoder = analysis.encoders[0]
    diagnoses = ["E10.9", "E10.11", "E10.1", "E11.65", "O24.410", "O24.419", "Z99.9", "A00"]
    others: list[list[str]] = [[], ["E10.10"], ["E11.9", "I10"], ["E10.10", "E10.11", "Z99.9"]]
    for diagnosis, other in ((d, o) for d in diagnoses for o in others):
        request = {"diagnosis": diagnosis, "other_diagnoses": other, "supply": "E2102", "dose_mg": 10, "weight_kg": 40}
        facts = interpret.validate(policy, request)
        solver = z3.Solver()
        solver.add(analysis.space.valid(policy), *pinned(analysis.space, facts))
        assert solver.check() == z3.sat
        evaluation = interpret.Evaluation(policy, facts)
        for label in ("B.I.B", "B.I.C", "B.I"):
            expected = evaluation.value(policy.provision(label).condition)  # type: ignore[arg-type]
            assert _side(encoder.provision(label), solver.model()) == expected, (label, request)
