"""The generated evaluator against the reference interpreter, on many generated requests."""

from __future__ import annotations

import datetime
import json
import os
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import interpret, model
from compiler.model import Policy
from tests.conftest import EVALUATOR, POLICY_SOURCE, import_file

POLICY = __import__("compiler").load(POLICY_SOURCE)
GENERATED = import_file(EVALUATOR, "mp_mm_1308_differential")


def fact_values(policy: Policy, fact: model.Fact) -> st.SearchStrategy[Any]:
    """Values of one fact, valid ones mostly, near the policy's own thresholds and dates."""
    t = fact.type
    if isinstance(t, model.Boolean):
        valid: st.SearchStrategy[Any] = st.booleans()
        invalid: st.SearchStrategy[Any] = st.sampled_from([0, 1, "true"])
    elif isinstance(t, model.Integer):
        valid = st.integers(t.low, t.high)
        invalid = st.sampled_from([t.low - 1, t.high + 1, "3", 3.0, True])
    elif isinstance(t, model.Enum):
        valid = st.sampled_from(t.values)
        invalid = st.sampled_from(["bogus", 1, t.values[0].upper() + "x"])
    elif isinstance(t, model.EnumSet):
        valid = st.lists(st.sampled_from(t.values), unique=True, max_size=3)
        invalid = st.lists(st.sampled_from(t.values), min_size=2, max_size=3).filter(lambda v: len(set(v)) < len(v))
    elif isinstance(t, model.Date):
        constants = [c.value for p in policy.provisions if p.condition for c in _constants(p.condition)]
        edges = sorted({d for d in constants if isinstance(d, datetime.date)})
        near = [d + datetime.timedelta(days=k) for d in edges for k in (-1, 0, 1)]
        valid = st.one_of(st.sampled_from(near), st.dates(datetime.date(2024, 1, 1), datetime.date(2027, 12, 31))).map(
            datetime.date.isoformat
        )
        invalid = st.sampled_from(["2026-02-30", "2026-2-3", "20260203", 20260203])
    elif isinstance(t, model.String):
        codes = [s.code for s in policy.applicability.states] if policy.applicability else []
        valid = st.sampled_from([*codes, "TX", "CA"])
        invalid = st.sampled_from(["oh", "OHIO", 7])
    else:
        raise TypeError(t)
    return st.one_of(valid, valid, valid, valid, valid, valid, valid, valid, st.none(), invalid)


def _constants(expr: model.Expr) -> list[model.Const]:
    if isinstance(expr, model.Const):
        return [expr]
    if isinstance(expr, (model.Compare,)):
        return _constants(expr.left) + _constants(expr.right)
    if isinstance(expr, model.Not):
        return _constants(expr.operand)
    if isinstance(expr, model.Combine):
        return [c for o in expr.operands for c in _constants(o)]
    return []


@st.composite
def requests(draw: st.DrawFn, policy: Policy = POLICY) -> dict[str, Any]:
    request: dict[str, Any] = {}
    for fact in policy.facts:
        if draw(st.integers(0, 9)) > 0:  # absent one time in ten: unknown
            request[fact.name] = draw(fact_values(policy, fact))
    if draw(st.integers(0, 49)) == 0:
        request["unexpected_key"] = 1
    return request


def decide_both(generated: ModuleType, policy: Policy, request: dict[str, Any]) -> tuple[Any, Any]:
    try:
        ours: Any = generated.evaluate(request).to_dict()
    except generated.InvalidRequest as exc:
        ours = [(e.field, e.message) for e in exc.errors]
    try:
        oracle: Any = interpret.evaluate(policy, request)
    except interpret.InvalidRequest as exc:
        oracle = exc.errors
    return ours, oracle


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_generated_evaluator_agrees_with_the_interpreter(request: dict[str, Any]) -> None:
    ours, oracle = decide_both(GENERATED, POLICY, request)
    assert ours == oracle


@settings(max_examples=2000, deadline=None)
@given(requests())
def test_lean_path_decides_the_same(request: dict[str, Any]) -> None:
    try:
        full = GENERATED.evaluate(request)
    except GENERATED.InvalidRequest:
        return
    lean = GENERATED.evaluate(request, explain=False)
    assert lean.evaluated == lean.results == ()
    assert lean == full._replace(evaluated=(), results=())  # all the rest
    for decision in (full, lean):
        assert decision.to_json() == json.dumps(decision.to_dict(), ensure_ascii=False)


@settings(max_examples=1000, deadline=None)
@given(requests())
def test_insufficient_information_exactly_when_missing_is_not_empty(request: dict[str, Any]) -> None:
    try:
        decision = interpret.evaluate(POLICY, request)
    except interpret.InvalidRequest:
        return
    assert (decision["outcome"] == "insufficient_information") == bool(decision["missing"])
    # Unknown is never a silent default: filling in the missing facts can change the outcome's basis.
    assert set(decision["missing"]) <= {k for k, v in POLICY_FACTS.items() if request.get(k) is None}


POLICY_FACTS = {f.name: f for f in POLICY.facts}


def value_pools(policy: Policy) -> dict[str, tuple[list[Any], list[Any]]]:
    """(valid, invalid) values of each fact, at and around the policy's thresholds."""
    constants = [c.value for p in policy.provisions if p.condition for c in _constants(p.condition)]
    return {fact.name: _given(_pool(policy, fact.type, constants), fact.absent) for fact in policy.facts}


def _given(pools: tuple[list[Any], list[Any]], absent: bool) -> tuple[list[Any], list[Any]]:
    """A pool with the absence marker: valid where declared `or absent`, invalid elsewhere; a bad marker too."""
    valid, invalid = pools
    marker = {"absent": True}
    return ([*valid, marker], [*invalid, {"absent": 1}]) if absent else (valid, [*invalid, marker])


def _pool(policy: Policy, t: model.FactType, constants: list[Any]) -> tuple[list[Any], list[Any]]:
    if isinstance(t, model.Boolean):
        return [True, False], [0, 1, "true"]
    if isinstance(t, model.Integer):
        near = {n + d for n in constants if isinstance(n, int) and not isinstance(n, bool) for d in (-1, 0, 1)}
        valid = sorted({t.low, t.high, *(n for n in near if t.low <= n <= t.high)})
        return valid, [t.low - 1, t.high + 1, "3", 2.5, True]
    if isinstance(t, model.Decimal):
        return [float(t.low), float(t.high)], ["1", True]
    if isinstance(t, model.Enum):
        return list(t.values), ["bogus", 1]
    if isinstance(t, model.EnumSet):
        subsets = [[], *([v] for v in t.values), list(t.values[:2]), list(t.values)]
        return subsets, [[t.values[0], t.values[0]], ["bogus"], t.values[0]]
    if isinstance(t, model.Date):
        days = {c + datetime.timedelta(days=d) for c in constants if isinstance(c, datetime.date) for d in (-1, 0, 1)}
        return sorted(d.isoformat() for d in days) or ["2025-01-01"], ["2026-02-30", "20260101"]
    if isinstance(t, model.Code | model.Codes):  # the codes its code sets name, and one they do not
        codes = sorted({c for s in policy.codesets if s.system == t.system for c in s.exact})
        other = {"CPT": "99999", "HCPCS": "V9999", "ICD10CM": "Z99.9"}[t.system]
        singles = [*codes, other]
        return (singles, ["TX", 3]) if isinstance(t, model.Code) else ([[], *([c] for c in singles)], ["TX", [3]])
    if isinstance(t, model.RecordList):  # histories of up to three records, one with a field unknown
        fields = {f.name: _given(_pool(policy, f.type, constants), f.absent)[0] for f in t.fields}
        records = [{name: values[i % len(values)] for name, values in fields.items()} for i in range(6)]
        gap = {**records[0], t.fields[-1].name: None}
        return [[], records[:1], records[1:3], records[3:6], [gap, records[1]]], ["x", [3], [{"bogus": 1}]]
    codes = [s.code for s in policy.applicability.states] if policy.applicability else []
    return [*codes, "TX"], ["oh", 3]


def random_requests(policy: Policy, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pools = value_pools(policy)
    batch = []
    for _ in range(count):
        request: dict[str, Any] = {}
        for name, (valid, invalid) in pools.items():
            roll = rng.random()
            if roll < 0.08:
                continue  # absent: unknown
            request[name] = None if roll < 0.12 else rng.choice(invalid if roll < 0.14 else valid)
        batch.append(request)
    return batch


def minimal(request: dict[str, Any], disagrees: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Drop facts while the disagreement remains, so the report shows only what matters."""
    for name in list(request):
        smaller = {k: v for k, v in request.items() if k != name}
        if disagrees(smaller):
            request = smaller
    return request


DIFFERENTIAL_COUNT = 1_000_000 if os.environ.get("POLICYC_LONG") else 10_000


def test_ten_thousand_requests_agree_with_the_interpreter() -> None:
    """10,000 requests (1,000,000 with POLICYC_LONG=1), unknown facts included; any disagreement is minimised."""

    def disagrees(request: dict[str, Any]) -> bool:
        ours, oracle = decide_both(GENERATED, POLICY, request)
        return bool(ours != oracle)

    outcomes: set[str] = set()
    for request in random_requests(POLICY, DIFFERENTIAL_COUNT, seed=1308):
        ours, oracle = decide_both(GENERATED, POLICY, request)
        if ours != oracle:
            pytest.fail(f"generated and interpreter disagree on {minimal(request, disagrees)}")
        if isinstance(ours, dict):
            outcomes.add(ours["outcome"])
    assert outcomes == {o.name for o in POLICY.outcomes}  # the set reaches every outcome
