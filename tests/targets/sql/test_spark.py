"""The SQL target on Spark, in a local session, against the reference interpreter, row for row.

The same query as on DuckDB, written in Spark's dialect, run by `policyc batch --engine spark`.
Spark has two families of semantics that a data team's cluster may run: ANSI (Spark 4's default)
and the older one, where SIZE(NULL) is -1 and a bad cast is NULL. Every policy is decided under
both, since a trap in either would turn an unknown into a decision.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compiler import jsontext, load
from compiler.batch import PRIOR, arrow_schema, typed_row
from tests.targets.sql.test_duckdb import SOURCES, decide, expected, found, only_carried
from tests.test_interpret import random_requests

COUNT = 20_000 if os.environ.get("POLICYC_LONG") else 600


@pytest.mark.parametrize("ansi", [True, False], ids=["ansi", "legacy"])
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_spark_decides_every_generated_request_as_the_interpreter(
    source: Path, ansi: bool, spark: Any, tmp_path: Path
) -> None:
    spark.conf.set("spark.sql.ansi.enabled", str(ansi).lower())
    policy = load(source)
    requests = random_requests(policy, COUNT, seed=len(source.stem) + ansi)
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(jsontext.dumps(r) + "\n" for r in requests), encoding="utf-8")
    rows = decide(policy, path, tmp_path, "spark")
    assert [r["row_id"] for r in rows] == list(range(1, len(requests) + 1))  # none lost, none twice
    for request, row in zip(requests, rows, strict=True):
        assert only_carried(policy, found(row)) == expected(policy, request), request


def test_spark_reads_parquet_and_numbers_rows_as_duckdb_does(spark: Any, tmp_path: Path) -> None:
    """Without a row_id column, each row is numbered by its place in the file, from 1, on both engines."""
    policy = load(Path(SOURCES[0]).parent / "MP-MM-1308.policy")
    rows = [typed_row(policy, i, r) for i, r in enumerate(random_requests(policy, 300, seed=11), start=1)]
    rows = [r for r in rows if not r[PRIOR]]
    for row in rows:
        del row[PRIOR], row["row_id"]
    schema = arrow_schema(policy)
    schema = schema.remove(schema.get_field_index(PRIOR)).remove(schema.get_field_index("row_id"))
    path = tmp_path / "requests.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=64)
    on_spark = decide(policy, path, tmp_path, "spark")
    on_duckdb = decide(policy, path, tmp_path)
    assert [r["row_id"] for r in on_spark] == list(range(1, len(rows) + 1))
    assert [found(r) for r in on_spark] == [found(r) for r in on_duckdb]
