"""Batch adjudication: a policy's decision query run over a file of requests, on DuckDB or Spark.

Parquet is read by the engine itself, typed columns and all: the query checks every value and
decides. JSON Lines and CSV carry JSON values, whose numbers only an exact reader keeps exact, so
they are read here, in chunks, by the reference interpreter's validation (the evaluator's contract,
word for word), and handed to the engine as typed Arrow tables; a line that breaks the contract
becomes a row with its errors and no facts. Either way every input row gives one output row,
keyed by `row_id`: the input's own column when it has one, else the line or row number from 1.
"""

from __future__ import annotations

import csv
import decimal
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import interpret, jsontext, model
from compiler.targets import sql
from compiler.targets.sql.checks import PLACES
from compiler.targets.sql.columns import ABSENT, ROW_ID, SCALE

CHUNK = 50_000  # rows read into memory at once from JSON Lines or CSV
PRIOR = "_request_errors"  # the column of errors found while reading JSON


class BatchError(Exception):
    """A run that cannot start: a file that cannot be read, a column of the wrong type."""


def arrow_schema(policy: model.Policy) -> Any:
    import pyarrow as pa

    def scalar(t: model.ScalarType) -> Any:
        if isinstance(t, model.Boolean):
            return pa.bool_()
        if isinstance(t, model.Integer):
            return pa.int64()
        if isinstance(t, model.Decimal):
            whole = max(sql.columns.digits(t.low), sql.columns.digits(t.high))
            return pa.decimal128(whole + SCALE, SCALE)
        if isinstance(t, model.Date):
            return pa.date32()
        if isinstance(t, model.EnumSet | model.Codes):
            return pa.list_(pa.string())
        return pa.string()

    def fact(t: model.FactType) -> Any:
        if isinstance(t, model.RecordList):
            fields = [pa.field(f.name, scalar(f.type)) for f in t.fields] + [pa.field(ABSENT, pa.list_(pa.string()))]
            return pa.list_(pa.struct(fields))
        return scalar(t)

    error = pa.struct([pa.field("field", pa.string()), pa.field("message", pa.string())])
    return pa.schema(
        [pa.field(ROW_ID, pa.int64())]
        + [pa.field(f.name, fact(f.type)) for f in policy.facts]
        + [pa.field(ABSENT, pa.list_(pa.string())), pa.field(PRIOR, pa.list_(error))]
    )


def typed_row(policy: model.Policy, row_id: int, request: object) -> dict[str, Any]:
    """One request as a row of the request table: its facts typed, or its errors and no facts."""
    row: dict[str, Any] = {ROW_ID: row_id, ABSENT: [], PRIOR: []}
    try:
        facts = interpret.validate(policy, request)
    except interpret.InvalidRequest as exc:
        row[PRIOR] = [{"field": f, "message": m} for f, m in exc.errors]
        return row
    errors: list[dict[str, str]] = []
    for fact in policy.facts:
        value = facts[fact.name]
        if value is interpret.ABSENT:
            row[ABSENT].append(fact.name)
            value = None
        row[fact.name] = _typed(value, fact.name, errors)
    row[PRIOR] = errors
    return row


def _typed(value: Any, name: str, errors: list[dict[str, str]]) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -SCALE and value != round(value, SCALE):
            errors.append({"field": name, "message": PLACES})
            return None
        return value
    if isinstance(value, tuple):  # records
        records = []
        for i, record in enumerate(value):
            absent = [k for k, v in record.items() if v is interpret.ABSENT]
            typed = {
                k: _typed(None if v is interpret.ABSENT else v, f"{name}[{i}].{k}", errors) for k, v in record.items()
            }
            records.append({**typed, ABSENT: absent})
        return records
    return value


# -- Reading ------------------------------------------------------------------------------------


def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        for number, text in enumerate(handle, start=1):
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip(" \t\r\n"):
                continue
            try:
                yield number, jsontext.decode(text)
            except (ValueError, RecursionError) as exc:
                yield number, _Malformed(str(exc) if isinstance(exc, ValueError) else "nested too deeply")


@dataclass(frozen=True)
class _Malformed:
    reason: str


def _csv_rows(path: Path, policy: model.Policy) -> Iterator[tuple[int, object]]:
    """CSV: a column per fact; an empty cell is unknown; text facts as written, others as JSON."""
    texts = {f.name for f in policy.facts if isinstance(f.type, model.Enum | model.Code | model.String | model.Date)}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, cells in enumerate(reader, start=1):
            row_id = cells.pop(ROW_ID, None)
            request: dict[str, Any] = {}
            bad = None
            for name, cell in cells.items():
                if cell in ("", None):
                    continue
                if name in texts and not cell.startswith("{"):
                    request[name] = cell
                    continue
                try:
                    request[name] = jsontext.decode(cell)
                except ValueError as exc:
                    bad = _Malformed(f"column {name}: {exc}")
            yield (int(row_id) if row_id and row_id.isdigit() else number), (bad or request)


def _rows(policy: model.Policy, rows: Iterator[tuple[int, object]]) -> Iterator[dict[str, Any]]:
    for row_id, request in rows:
        if isinstance(request, _Malformed):
            yield {ROW_ID: row_id, ABSENT: [], PRIOR: [{"field": "$", "message": f"not valid JSON: {request.reason}"}]}
        else:
            yield typed_row(policy, row_id, request)


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- Running ------------------------------------------------------------------------------------


@dataclass
class Summary:
    rows: int = 0
    invalid: int = 0


ENGINES = ("duckdb", "spark")


def decide_file(
    policy: model.Policy,
    source: Path,
    target: Path,
    explain: bool = False,
    progress: Callable[[int], None] | None = None,
    engine: str = "duckdb",
) -> Summary:
    """Decide every request in `source` and write one decision per row to `target`, on `engine`."""
    kind = _kind(source, ("parquet", "jsonl", "csv"))
    try:  # JSON's errors are found while reading, and passed to the query in a column of their own
        query = sql.query(policy, engine, explain=explain, prior=None if kind == "parquet" else PRIOR)
    except sql.Unsupported as exc:
        raise BatchError(f"the SQL target cannot decide {policy.policy_id} exactly: {exc}") from None
    sink = _Sink(_Writer(target, _kind(target, ("parquet", "jsonl"))), progress)
    try:
        (_on_spark if engine == "spark" else _on_duckdb)(policy, source, kind, query, sink)
    finally:
        sink.writer.close()
    return sink.summary


def _typed_chunks(policy: model.Policy, source: Path, kind: str) -> Iterator[Any]:
    """JSON Lines or CSV as Arrow tables of the request table's columns, a chunk at a time."""
    import pyarrow as pa

    schema = arrow_schema(policy)
    rows = _json_lines(source) if kind == "jsonl" else _csv_rows(source, policy)
    for chunk in _chunks(_rows(policy, rows), CHUNK):
        yield pa.Table.from_pylist(chunk, schema=schema)


def _on_duckdb(policy: model.Policy, source: Path, kind: str, query: str, sink: _Sink) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        if kind == "parquet":
            columns = _parquet_columns(source, policy)
            numbered = ROW_ID not in columns  # else the row's number in the file, from 1
            extra = f", file_row_number + 1 AS {ROW_ID}" if numbered else ""
            extra += "" if ABSENT in columns else f", CAST([] AS VARCHAR[]) AS {ABSENT}"
            options = ", file_row_number = true" if numbered else ""
            con.execute(f"CREATE VIEW requests AS SELECT *{extra} FROM read_parquet({_string(source)}{options})")
            sink.write_all(con.sql(query).to_arrow_reader(100_000))
            return
        for table in _typed_chunks(policy, source, kind):
            con.register("requests", table)
            sink.write_all(con.sql(query).to_arrow_reader(100_000))
            con.unregister("requests")
    finally:
        con.close()


def _on_spark(policy: model.Policy, source: Path, kind: str, query: str, sink: _Sink) -> None:
    """Spark in local mode: it writes its part files to a temporary directory, read back in order."""
    import tempfile

    import pyarrow.parquet as pq

    spark = spark_session(progress=sink.progress is not None)
    with tempfile.TemporaryDirectory(prefix="policyc-batch-") as scratch:
        if kind == "parquet":
            columns = _parquet_columns(source, policy)
            requests = spark.read.parquet(str(source))
            if ROW_ID not in columns:
                requests = requests.selectExpr("*", f"_metadata.row_index + 1 AS {ROW_ID}")
            if ABSENT not in columns:
                requests = requests.selectExpr("*", f"CAST(ARRAY() AS ARRAY<STRING>) AS {ABSENT}")
        else:
            typed = Path(scratch) / "requests.parquet"
            with pq.ParquetWriter(typed, arrow_schema(policy)) as writer:
                for table in _typed_chunks(policy, source, kind):
                    writer.write_table(table)
            requests = spark.read.parquet(str(typed))
        requests.createOrReplaceTempView("requests")
        decided = Path(scratch) / "decided"
        spark.sql(query).write.parquet(str(decided))
        for part in sorted(decided.glob("part-*.parquet")):
            sink.write_all(pq.ParquetFile(part).iter_batches(100_000))


def spark_session(progress: bool = False) -> Any:
    """The active Spark session, as under spark-submit, or a local one on loopback with every core."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BatchError("the Spark engine needs pyspark: pip install 'policyc[spark]'") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise BatchError("the Spark engine needs a Java runtime (17 or newer): apt-get install default-jre-headless")
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (
        SparkSession.builder.master("local[*]")
        .appName("policyc batch")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", str(progress).lower())
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _kind(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower().lstrip(".")
    kind = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}.get(suffix, suffix)
    if kind not in allowed:
        raise BatchError(f"{path}: cannot tell the format from the name; use {', '.join('.' + a for a in allowed)}")
    return kind


def _parquet_columns(source: Path, policy: model.Policy) -> dict[str, str]:
    """The file's columns and their types, read by DuckDB from its footer; a mismatch stops the run."""
    import duckdb

    try:
        with duckdb.connect() as con:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(source)]).fetchall()
    except duckdb.Error as exc:
        raise BatchError(f"{source}: cannot read as Parquet: {exc}") from None
    columns = {name: type_ for name, type_, *_ in described}
    expected = {name: t.sql("duckdb") for name, t in sql.request_columns(policy).items()}
    problems = []
    for name, type_ in columns.items():
        if name == ROW_ID:
            continue
        if name not in expected:
            problems.append(f"column {name} is not a fact of {policy.policy_id}")
        elif not _compatible(type_, expected[name]):
            problems.append(f"column {name} is {type_}; the policy needs {expected[name]}")
    if problems:
        raise BatchError(f"{source}: " + "; ".join(problems))
    return columns


def _compatible(found: str, wanted: str) -> bool:
    """A column type the query reads exactly: the same, a narrower integer, or an exact number for a decimal."""
    found, wanted = _normal(found), _normal(wanted)
    if found == wanted:
        return True
    integers = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
    if wanted == "BIGINT":
        return found in integers
    if wanted.startswith("DECIMAL"):
        return found in integers or found.startswith("DECIMAL")  # never a float: it is not what was written
    return False


def _string(path: Path) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _normal(type_: str) -> str:
    return type_.upper().replace('"', "").replace("TEXT", "VARCHAR").replace(", ", ",")


class _Sink:
    """Where decided batches go: the output file, the counts, the progress line."""

    def __init__(self, writer: _Writer, progress: Callable[[int], None] | None) -> None:
        self.writer, self.progress, self.summary = writer, progress, Summary()

    def write_all(self, batches: Any) -> None:
        for batch in batches:
            self.writer.write(batch)
            self.summary.rows += batch.num_rows
            self.summary.invalid += sum(1 for e in batch.column("errors").to_pylist() if e)
            if self.progress is not None:
                self.progress(self.summary.rows)


class _Writer:
    def __init__(self, target: Path, kind: str) -> None:
        self.target, self.kind = target, kind
        self.parquet: Any = None
        self.handle: Any = open(target, "w", encoding="utf-8") if kind == "jsonl" else None  # noqa: SIM115

    def write(self, batch: Any) -> None:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.target, batch.schema)
            self.parquet.write_batch(batch)
            return
        for row in batch.to_pylist():
            self.handle.write(jsontext.dumps(record(row)) + "\n")

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        elif self.kind == "parquet":  # no rows: still a valid, empty file
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({ROW_ID: pa.array([], pa.int64())}), self.target)
        if self.handle is not None:
            self.handle.close()


def record(row: dict[str, Any]) -> dict[str, Any]:
    """A decision row as JSON Lines write it: the terms of its outcome only; errors only when there are some."""
    if row["errors"]:
        return {ROW_ID: row[ROW_ID], "policy": row["policy"], "error": "invalid_request", "errors": row["errors"]}
    found = {k: v for k, v in row.items() if k not in ("errors", "terms")}
    found["terms"] = {k: v for k, v in (row["terms"] or {}).items() if v is not None}
    return found


__all__ = ["ENGINES", "BatchError", "Summary", "arrow_schema", "decide_file", "record", "spark_session", "typed_row"]
