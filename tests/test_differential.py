"""Every shipped policy, the generated evaluator against the reference interpreter on generated requests.

MP-MM-1308 gets its own 10,000 in tests/test_interpret.py; here each policy gets 1,500 (more
with POLICYC_LONG=1): unknown, invalid and boundary values, histories with records of every
shape among them, compared on everything a decision says, and the lean path on its outcome.
"""

from __future__ import annotations

import decimal
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from compiler import find_sources, load
from compiler.targets import python
from tests.conftest import ROOT
from tests.test_interpret import decide_both, minimal, random_requests

SOURCES = find_sources([ROOT / "policies"])
COUNT = 30_000 if os.environ.get("POLICYC_LONG") else 1_500


def _exact(value: Any) -> Any:
    """Numbers by their value (a Decimal 0.0 is the interpreter's 0), everything else as it is."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, (decimal.Decimal, Fraction)) or (isinstance(value, int) and not isinstance(value, bool)):
        return Fraction(value)
    return value


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_evaluator_decides_every_generated_request_as_the_interpreter(source: Path) -> None:
    policy = load(source)
    evaluator = python.load_module(policy)

    def disagrees(request: dict[str, Any]) -> bool:
        ours, oracle = decide_both(evaluator, policy, request)
        return bool(_exact(ours) != _exact(oracle))

    outcomes: set[str] = set()
    for request in random_requests(policy, COUNT, seed=len(source.stem)):
        ours, oracle = decide_both(evaluator, policy, request)
        if _exact(ours) != _exact(oracle):
            pytest.fail(f"{source.stem}: the evaluator and the interpreter disagree on {minimal(request, disagrees)}")
        if isinstance(ours, dict):
            outcomes.add(ours["outcome"])
            lean = evaluator.evaluate(request, explain=False)
            said = (ours["outcome"], ours["section"], tuple(ours["sections"]))
            assert (lean.outcome, lean.section, lean.sections) == said
    assert policy.unknown in outcomes and len(outcomes) >= 2  # the requests reach more than one way to decide
