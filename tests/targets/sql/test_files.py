"""The SQL files `policyc build` writes under generated/sql/ run as they are, in their own engine.

A data team runs them over a relation named `requests`; each must decide as `policyc batch` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compiler import load
from compiler.batch import PRIOR, arrow_schema, decide_file, typed_row
from compiler.targets import sql
from tests.conftest import ROOT
from tests.targets.sql.test_duckdb import SOURCES, found
from tests.test_interpret import random_requests


def requests_file(source: Path, tmp_path: Path) -> Path:
    policy = load(source)
    rows = [typed_row(policy, i, r) for i, r in enumerate(random_requests(policy, 200, seed=2), start=1)]
    for row in rows:
        del row[PRIOR]
    schema = arrow_schema(policy)
    path = tmp_path / "requests.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema.remove(schema.get_field_index(PRIOR))), path)
    return path


def by_row(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [found(r) for r in sorted(rows, key=lambda r: r["row_id"])]


def committed(source: Path, dialect: str) -> str:
    text = (ROOT / "generated" / sql.sql_path(load(source).policy_id, dialect)).read_text(encoding="utf-8")
    assert text.endswith(";\n")
    return text[: -len(";\n")]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_duckdb_file_decides_as_policyc_batch(source: Path, tmp_path: Path) -> None:
    import duckdb

    path = requests_file(source, tmp_path)
    decide_file(load(source), path, tmp_path / "batch.parquet", explain=True)
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW requests AS SELECT * FROM read_parquet('{path}')")
        rows = con.sql(committed(source, "duckdb")).to_arrow_table().to_pylist()
    assert by_row(rows) == by_row(pq.read_table(tmp_path / "batch.parquet").to_pylist())


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_spark_file_decides_as_policyc_batch(source: Path, spark: Any, tmp_path: Path) -> None:
    path = requests_file(source, tmp_path)
    decide_file(load(source), path, tmp_path / "batch.parquet", explain=True)
    spark.read.parquet(str(path)).createOrReplaceTempView("requests")
    rows = [row.asDict(recursive=True) for row in spark.sql(committed(source, "spark")).collect()]
    assert by_row(rows) == by_row(pq.read_table(tmp_path / "batch.parquet").to_pylist())
