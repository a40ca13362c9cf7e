"""The SQL target on DuckDB against the reference interpreter, row for row, for every shipped policy.

Requests are generated as in tests/test_differential.py (unknown, invalid and boundary values,
histories of every shape) and decided by `policyc batch`'s DuckDB path from JSON Lines and from
Parquet; each decision must say what the interpreter says: outcome, section, sections, missing,
terms, the errors of a rejected request, and with explanations the result of each criterion.
"""

from __future__ import annotations

import decimal
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compiler import find_sources, interpret, jsontext, load, model
from compiler.batch import PRIOR, arrow_schema, as_request, decide_file, typed_row
from tests.conftest import ROOT
from tests.test_interpret import random_requests

SOURCES = find_sources([ROOT / "policies"])
COUNT = 30_000 if os.environ.get("POLICYC_LONG") else 1_500


def exact(value: Any) -> Any:
    """Numbers by their value (a quotient term "p/q" too), everything else as it is."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [exact(v) for v in value]
    if isinstance(value, str) and value.count("/") <= 1 and value.replace("/", "").lstrip("-").isdigit():
        return Fraction(value)  # a quotient term: "p/q", or whole
    if isinstance(value, decimal.Decimal | Fraction) or (isinstance(value, int) and not isinstance(value, bool)):
        return Fraction(value)
    return value


def expected(policy: model.Policy, request: Any) -> dict[str, Any]:
    """What the interpreter decides, in the SQL target's columns."""
    try:
        d = interpret.evaluate(policy, request)
    except interpret.InvalidRequest as exc:
        return {"errors": [{"field": f, "message": m} for f, m in exc.errors]}
    return {
        "effective_date": d["effective_date"],
        "outcome": d["outcome"],
        "section": d["section"],
        "sections": d["sections"],
        "missing": d["missing"],
        "terms": exact(d["terms"]),
        "criteria": {c["section"]: c["result"] for c in d["criteria"]},
    }


def found(row: dict[str, Any]) -> dict[str, Any]:
    if row["errors"]:
        return {"errors": row["errors"]}
    terms = {k: v for k, v in (row["terms"] or {}).items()}
    return {
        "effective_date": row["effective_date"],
        "outcome": row["outcome"],
        "section": row["section"],
        "sections": row["sections"],
        "missing": row["missing"],
        "terms": exact(terms),
        "criteria": {label: result for label, result in (row["criteria"] or {}).items() if result is not None},
    }


def decide(policy: model.Policy, path: Path, tmp_path: Path, engine: str = "duckdb") -> list[dict[str, Any]]:
    out = tmp_path / f"decisions-{engine}.parquet"
    decide_file(policy, path, out, explain=True, engine=engine)
    return sorted(pq.read_table(out).to_pylist(), key=lambda r: r["row_id"])  # keyed, in no promised order


def only_carried(policy: model.Policy, row: dict[str, Any]) -> dict[str, Any]:
    if "outcome" in row:
        names = {t.name for t in policy.outcome(row["outcome"]).terms}
        row["terms"] = {k: v for k, v in row["terms"].items() if k in names}
    return row


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_duckdb_decides_every_generated_request_as_the_interpreter(source: Path, tmp_path: Path) -> None:
    policy = load(source)
    requests = random_requests(policy, COUNT, seed=len(source.stem))
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(jsontext.dumps(r) + "\n" for r in requests), encoding="utf-8")
    rows = decide(policy, path, tmp_path)
    assert [r["row_id"] for r in rows] == list(range(1, len(requests) + 1))  # one row per line, none lost
    for request, row in zip(requests, rows, strict=True):
        assert only_carried(policy, found(row)) == expected(policy, request), request


def _spoiled(t: model.FactType, value: Any, rng: Any) -> Any:
    """A value of the right column type that breaks the contract, or None when there is none to make."""
    if isinstance(t, model.Integer):
        return rng.choice([t.low - 1, t.high + 1])
    if isinstance(t, model.Decimal):
        return rng.choice([t.low - 1, t.high + 1])
    if isinstance(t, model.Enum):
        return rng.choice(["", "not_a_value", "x" * 50])
    if isinstance(t, model.EnumSet):
        return rng.choice([[t.values[0], t.values[0]], ["not_a_value"], [None], [t.values[0], "x" * 45, t.values[0]]])
    if isinstance(t, model.Code):
        return rng.choice(["bad", "1234"])
    if isinstance(t, model.Codes):
        return rng.choice([["bad"], ["bad", "bad"], [None]])
    if isinstance(t, model.String) and t.pattern:
        return "?" * 3
    if isinstance(t, model.RecordList) and value:
        record = dict(rng.choice(value))
        spoilable = [f for f in t.fields if _spoiled(f.type, None, rng) is not None]
        if not spoilable:
            return [None]
        f = rng.choice(spoilable)
        record[f.name] = _spoiled(f.type, None, rng)
        record["absent"] = [a for a in record["absent"] if a != f.name]
        return [*value, record]
    return None


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_duckdb_checks_typed_parquet_values_as_the_interpreter(source: Path, tmp_path: Path) -> None:
    """Parquet's types say what kind each value is; the query checks the rest, in the evaluator's words."""
    import random

    policy = load(source)
    rng = random.Random(7)
    rows = [typed_row(policy, i, r) for i, r in enumerate(random_requests(policy, 600, seed=3), start=1)]
    rows = [r for r in rows if not r[PRIOR]]
    facts = {f.name: f for f in policy.facts}
    for row in rows[::2]:  # every other row spoiled in one fact
        name = rng.choice(list(facts))
        spoiled = _spoiled(facts[name].type, row[name], rng)
        if spoiled is not None:
            row[name] = spoiled
            row["absent"] = [a for a in row["absent"] if a != name]
        elif not facts[name].absent:
            row["absent"] = [*row["absent"], name] if row[name] is None else row["absent"]
    schema = arrow_schema(policy).remove(arrow_schema(policy).get_field_index(PRIOR))
    for row in rows:
        del row[PRIOR]
    path = tmp_path / "requests.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    decided = decide(policy, path, tmp_path)
    assert [r["row_id"] for r in decided] == [r["row_id"] for r in rows]
    for row, result in zip(rows, decided, strict=True):
        request = as_request(row)
        assert only_carried(policy, found(result)) == expected(policy, request), request


def test_a_decimal_with_more_places_than_sql_reads_exactly_is_an_error_never_rounded(tmp_path: Path) -> None:
    policy = load(ROOT / "policies" / "CMS-NCD-100.1.policy")
    request = {
        "procedure_code": "43644",
        "weight_kg": decimal.Decimal("107.1875000001"),
        "height_m": decimal.Decimal("1.75"),
    }
    path = tmp_path / "requests.jsonl"
    path.write_text(jsontext.dumps(request) + "\n", encoding="utf-8")
    [row] = decide(policy, path, tmp_path)
    assert row["outcome"] is None
    assert row["errors"] == [
        {
            "field": "weight_kg",
            "message": "has more than 6 digits after the decimal point, the most the SQL target reads exactly",
        }
    ]
