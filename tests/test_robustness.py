"""Any JSON value to the evaluator, any line to `policyc eval`: a decision or a documented error, nothing else."""

from __future__ import annotations

import json
import math
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cli import main
from tests.conftest import EVALUATOR, import_file
from tests.syntax.test_parse import EXAMPLES
from tests.test_interpret import requests

EVALUATE = import_file(EVALUATOR, "mp_mm_1308_robustness")
FACT_NAMES = list(EVALUATE.FACTS)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**100, -(10**100), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.integers(1, 200_000).map(lambda n: "x" * n),  # very long strings
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def decides_or_rejects(value: object) -> None:
    try:
        decision = EVALUATE.evaluate(value)
    except EVALUATE.InvalidRequest as exc:
        assert exc.errors, "an error names at least one field"
        json.dumps(exc.to_dict())
        return
    json.dumps(decision.to_dict(), allow_nan=False)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON)
def test_any_json_value_as_a_request(value: object) -> None:
    decides_or_rejects(value)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from([*FACT_NAMES, "other"]), JSON, max_size=6))
def test_any_json_value_for_each_fact(request: dict[str, Any]) -> None:
    decides_or_rejects(request)


def test_deeply_nested_values_are_rejected_not_crashed() -> None:
    deep: Any = "x"
    for _ in range(10_000):
        deep = [deep]
    decides_or_rejects({"contraindications": deep, "age": deep})
    decides_or_rejects(deep)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf, 10**100, 1e308])
def test_non_finite_and_huge_numbers(number: float) -> None:
    with pytest.raises(EVALUATE.InvalidRequest):
        EVALUATE.evaluate({"age": number})


# Any text of one line, but a lone surrogate, which a UTF-8 file cannot hold.
_TEXT = st.characters(blacklist_characters="\n\r\x1c\x1d\x1e\x85\u2028\u2029", blacklist_categories=("Cs",))
LINES = st.one_of(
    requests().map(json.dumps),
    JSON.map(lambda v: json.dumps(v)),
    st.text(alphabet=_TEXT, max_size=30),
    st.sampled_from(["{", "[" * 5000, '{"age": NaN}', "null", "[]", '"string"']),
)


@settings(max_examples=max(50, EXAMPLES // 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(LINES, min_size=1, max_size=12))
def test_eval_never_loses_a_line(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], lines: list[str]
) -> None:
    path: Path = tmp_path_factory.mktemp("eval") / "requests.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    capsys.readouterr()
    code = main(["eval", "MP-MM-1308", "--input", str(path)])
    records = [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]
    assert records == [r for r in records if "outcome" in r or r["error"] in ("malformed_json", "invalid_request")]
    if one_pretty_printed_object(lines):
        assert len(records) == 1
    else:  # JSON Lines: a record for every line that is not blank (JSON's whitespace only), in order
        expected = [n for n, line in enumerate(lines, start=1) if line.strip(" \t\r\n")]
        assert len(records) == len(expected)
        assert [r["line"] for r in records if "line" in r] == [
            n for n, r in zip(expected, records, strict=True) if "line" in r
        ]
    assert code in (0, 1)


def one_pretty_printed_object(lines: list[str]) -> bool:
    """The one case `policyc eval` reads as a single document: a JSON object over several lines."""
    if len(lines) < 2 or not lines[0].strip() or not lines[1].strip():
        return False
    try:
        json.loads(lines[0])
        return False
    except (ValueError, RecursionError):
        pass
    try:
        return isinstance(json.loads("\n".join(lines)), dict)
    except (ValueError, RecursionError):
        return False


def test_thread_safety_eight_threads_decide_as_one() -> None:
    """The evaluator holds no mutable state: 8 threads at once give the sequential results."""
    batch = _requests_for_threads(random.Random(7))

    def decide(request: dict[str, Any]) -> Any:
        try:
            return EVALUATE.evaluate(request).to_dict()
        except EVALUATE.InvalidRequest as exc:
            return exc.to_dict()

    sequential = [decide(r) for r in batch]
    barrier = threading.Barrier(8)

    def worker(offset: int) -> list[Any]:
        barrier.wait()
        order = batch[offset:] + batch[:offset]
        results = [decide(r) for r in order]
        return results[-offset:] + results[:-offset] if offset else results

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(worker, range(0, 8 * 37, 37)))
    assert all(result == sequential for result in outcomes)


def _requests_for_threads(rng: Any) -> list[dict[str, Any]]:
    values: dict[str, list[Any]] = {
        "state": ["OH", "KY", "TX", None],
        "service_date": ["2025-10-31", "2025-11-01", "2026-01-01", None],
        "age": [10, 18, 19, 60, None, "6"],
        "diagnosis": ["primary_achalasia", "gastroparesis", None],
        "achalasia_type": ["I", "III", None],
        "failed_conventional_therapy": [True, False, None],
        "heller_surgical_candidate": [True, False, None],
        "eckardt_score": [2, 3, 12, None],
        "prior_open_foregut_surgery": [True, False, None],
        "contraindications": [[], ["esophageal_malignancy"], None],
    }
    return [{k: rng.choice(v) for k, v in values.items()} for _ in range(400)]
