"""Batch adjudication: a policy's decision query run over a file of requests, on DuckDB or Spark;
and the impact of a revision: both revisions' decisions of the same requests, counted by change.

Parquet is read by the engine itself, typed columns and all: the query checks every value and
decides; a fact the file has no column for is unknown in every row. JSON Lines and CSV carry JSON
values, whose numbers only an exact reader keeps exact, so they are read here, in chunks, by the
reference interpreter's validation (the evaluator's contract, word for word), and handed to the
engine as typed Arrow tables; a line that breaks the contract becomes a row with its errors and no
facts. Either way every input row gives one output row,
keyed by `row_id`: the input's own column when it has one, else the line or row number from 1.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

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
            except ValueError as exc:
                yield number, _Malformed(str(exc))


@dataclass(frozen=True)
class _Malformed:
    reason: str


def _csv_rows(path: Path, policies: list[model.Policy]) -> Iterator[tuple[int, object]]:
    """CSV: a column per fact; an empty cell is unknown; text facts as written, others as JSON."""
    texts = {
        f.name
        for policy in policies
        for f in policy.facts
        if isinstance(f.type, model.Enum | model.Code | model.String | model.Date)
    }
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


def _requests(source: Path, kind: str, policies: list[model.Policy]) -> Iterator[tuple[int, object]]:
    return _json_lines(source) if kind == "jsonl" else _csv_rows(source, policies)


def _row(policy: model.Policy, row_id: int, request: object) -> dict[str, Any]:
    if isinstance(request, _Malformed):
        return {ROW_ID: row_id, ABSENT: [], PRIOR: [{"field": "$", "message": f"not valid JSON: {request.reason}"}]}
    return typed_row(policy, row_id, request)


def _typed_chunks(relations: dict[str, model.Policy], source: Path, kind: str) -> Iterator[dict[str, Any]]:
    """JSON Lines or CSV, read once, as each relation's Arrow table of its policy's columns, a chunk at a time."""
    schemas = {name: arrow_schema(policy) for name, policy in relations.items()}
    chunk: list[tuple[int, object]] = []
    for row in _requests(source, kind, list(relations.values())):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield _tables(relations, schemas, chunk)
            chunk = []
    if chunk:
        yield _tables(relations, schemas, chunk)


def _tables(relations: dict[str, model.Policy], schemas: dict[str, Any], chunk: list[tuple[int, object]]) -> Any:
    import pyarrow as pa

    return {
        name: pa.Table.from_pylist([_row(policy, i, r) for i, r in chunk], schema=schemas[name])
        for name, policy in relations.items()
    }


def as_request(row: dict[str, Any]) -> dict[str, Any]:
    """A row of a request table as the JSON request it stands for: unknown left out, absent marked."""

    def value(v: Any) -> Any:
        if isinstance(v, list) and v and isinstance(v[0], dict):
            return [None if r is None else as_request(r) for r in v]
        return v.isoformat() if isinstance(v, datetime.date) else v

    request = {k: value(v) for k, v in row.items() if k not in (ROW_ID, ABSENT, PRIOR) and v is not None}
    request.update({name: {"absent": True} for name in row.get(ABSENT) or []})
    return request


# -- Engines ------------------------------------------------------------------------------------


class _DuckDB:
    """DuckDB, embedded: Parquet read in place, JSON's typed chunks registered as Arrow tables."""

    def __init__(self, progress: bool) -> None:
        import duckdb

        self.con = duckdb.connect()
        if progress:  # DuckDB's own bar, for a COPY that passes no row through here
            self.con.execute("SET enable_progress_bar = true")
            self.con.execute("SET enable_progress_bar_print = true")

    def relations(
        self, relations: dict[str, model.Policy], source: Path, kind: str, found: dict[str, str]
    ) -> Iterator[None]:
        """Make each relation of `relations` for its policy, once for Parquet (whose columns are
        `found`), once per chunk for JSON."""
        if kind == "parquet":
            options = "" if ROW_ID in found else ", file_row_number = true"
            for name, policy in relations.items():
                columns = ", ".join(["*", *_completed(policy, found, "duckdb")])
                self.con.execute(
                    f"CREATE VIEW {_name(name)} AS SELECT {columns} FROM read_parquet({_string(source)}{options})"
                )
            yield
            return
        for tables in _typed_chunks(relations, source, kind):
            for name, table in tables.items():
                self.con.register(name, table)
            yield
            for name in tables:
                self.con.unregister(name)

    def run(self, query: str) -> Iterator[Any]:
        yield from self.con.sql(query).to_arrow_reader(100_000)

    def copy(self, query: str, target: Path, summary: Summary) -> None:
        """The decisions written to Parquet by DuckDB, with its own progress bar; then counted."""
        self.con.execute(f"COPY ({query}) TO {_string(target)} (FORMAT parquet)")
        counted = self.con.execute(
            f"SELECT count(*), count(*) FILTER (len(errors) > 0) FROM read_parquet({_string(target)})"
        ).fetchone()
        assert counted is not None
        summary.rows, summary.invalid = counted

    def close(self) -> None:
        self.con.close()


class _Spark:
    """Spark: Parquet read in place, JSON's typed chunks written to Parquet first; each result is
    written by Spark to a scratch directory and read back a part file at a time."""

    def __init__(self, progress: bool) -> None:
        import tempfile

        self.spark = spark_session(progress)
        self.scratch = Path(tempfile.mkdtemp(prefix="policyc-spark-"))
        self.runs = 0

    def relations(
        self, relations: dict[str, model.Policy], source: Path, kind: str, found: dict[str, str]
    ) -> Iterator[None]:
        import pyarrow.parquet as pq

        if kind == "parquet":
            for name, policy in relations.items():
                columns = _completed(policy, found, "spark")
                self.spark.read.parquet(str(source)).selectExpr("*", *columns).createOrReplaceTempView(name)
            yield
            return
        paths = {name: self.scratch / f"requests-{i}.parquet" for i, name in enumerate(relations)}  # not _: hidden
        writers = {name: pq.ParquetWriter(paths[name], arrow_schema(policy)) for name, policy in relations.items()}
        try:
            for tables in _typed_chunks(relations, source, kind):
                for name, table in tables.items():
                    writers[name].write_table(table)
        finally:
            for writer in writers.values():
                writer.close()
        for name, path in paths.items():
            self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        yield

    def run(self, query: str) -> Iterator[Any]:
        import pyarrow.parquet as pq

        self.runs += 1
        out = self.scratch / f"run-{self.runs}"
        self.spark.sql(query).write.parquet(str(out))
        for part in sorted(out.glob("part-*.parquet")):
            yield from pq.ParquetFile(part).iter_batches(100_000)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def _engine(name: str, progress: bool) -> _DuckDB | _Spark:
    return _Spark(progress) if name == "spark" else _DuckDB(progress)


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
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, and no warning that it guessed
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


# -- Running ------------------------------------------------------------------------------------


@dataclass
class Summary:
    rows: int = 0
    invalid: int = 0
    lacking: list[str] = field(default_factory=list)  # fact columns the Parquet file does not have: unknown


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
    prior = None if kind == "parquet" else PRIOR  # JSON's errors are found while reading, passed in a column
    query = _written(policy, lambda: sql.query(policy, engine, explain=explain, prior=prior))
    out_kind = _kind(target, ("parquet", "jsonl"))
    found = _parquet_columns(source, [policy]) if kind == "parquet" else {}
    summary = Summary(lacking=[c for c in _lacking(policy, found) if c != ABSENT] if found else [])
    runner = _engine(engine, progress is not None)
    try:
        if kind == out_kind == "parquet" and isinstance(runner, _DuckDB):
            for _ in runner.relations({"requests": policy}, source, kind, found):
                runner.copy(query, target, summary)  # DuckDB writes the file itself: no row passes here
            return summary
        sink = _Sink(_Writer(target, out_kind), progress, summary)
        try:
            for _ in runner.relations({"requests": policy}, source, kind, found):
                sink.write_all(runner.run(query))
        finally:
            sink.writer.close()
    finally:
        runner.close()
    return summary


def _written(policy: model.Policy, write: Callable[[], str]) -> str:
    """A query of the SQL target, or why it cannot be written: before any file is opened."""
    try:
        return write()
    except sql.Unsupported as exc:
        raise BatchError(f"the SQL target cannot decide {policy.policy_id} exactly: {exc}") from None


@dataclass(frozen=True)
class Shift:
    """The requests that one revision decides with `old` and the other with `new` (outcome, section)."""

    old: tuple[str, str | None]
    new: tuple[str, str | None]
    requests: int
    samples: tuple[int, ...]  # the first few row ids

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class RequestImpact:
    requests: int
    shifts: list[Shift]  # every (old, new) pair that occurs: changes first, the most requests first
    samples: dict[int, Any]  # the request of each sample row id, as JSON

    @property
    def changed(self) -> int:
        return sum(s.requests for s in self.shifts if s.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decided": self.requests,
            "changed": self.changed,
            "shifts": [
                {
                    "old": {"outcome": s.old[0], "section": s.old[1]},
                    "new": {"outcome": s.new[0], "section": s.new[1]},
                    "requests": s.requests,
                    "samples": [{"row_id": i, "request": self.samples.get(i)} for i in s.samples] if s.changed else [],
                }
                for s in self.shifts
            ],
        }


def impact_file(
    old: model.Policy, new: model.Policy, source: Path, engine: str = "duckdb", samples: int = 5
) -> RequestImpact:
    """Decide every request in `source` with both revisions in one query and count each change."""
    kind = _kind(source, ("parquet", "jsonl", "csv"))
    prior = None if kind == "parquet" else PRIOR
    names = ("_old_requests", "_new_requests")
    query = _written(new, lambda: sql.impact_query(old, new, engine, names, prior, samples))
    found = _parquet_columns(source, [old, new]) if kind == "parquet" else {}
    counts: dict[tuple[Any, ...], list[Any]] = {}
    runner = _engine(engine, progress=False)
    try:
        for _ in runner.relations(dict(zip(names, (old, new), strict=True)), source, kind, found):
            for batch in runner.run(query):
                for row in batch.to_pylist():
                    key = tuple(row[c] for c in sql.CHANGE)
                    entry = counts.setdefault(key, [0, []])
                    entry[0] += row["requests"]
                    entry[1] = sorted(entry[1] + (row["samples"] or []))[:samples]
    finally:
        runner.close()
    shifts = [
        Shift((k[0], k[1]), (k[2], k[3]), n, tuple(ids))
        for k, (n, ids) in sorted(
            counts.items(), key=lambda item: (item[0][:2] == item[0][2:], -item[1][0], str(item[0]))
        )
    ]
    wanted = {i for s in shifts if s.changed for i in s.samples}
    return RequestImpact(sum(s.requests for s in shifts), shifts, _samples(source, kind, wanted, [old, new], found))


def _samples(
    source: Path, kind: str, wanted: set[int], policies: list[model.Policy], found: dict[str, str]
) -> dict[int, Any]:
    """The requests of the rows `wanted`, as the input gave them (a Parquet file's columns are `found`)."""
    if not wanted:
        return {}
    if kind != "parquet":
        return {i: r for i, r in _requests(source, kind, policies) if i in wanted and not isinstance(r, _Malformed)}
    import duckdb

    key = ROW_ID if ROW_ID in found else "file_row_number + 1"
    requests = {}
    with duckdb.connect() as con:
        cursor = con.execute(
            f"SELECT * FROM read_parquet({_string(source)}, file_row_number = true) WHERE {key} IN (SELECT UNNEST($1))",
            [sorted(wanted)],
        )
        columns = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            number = row.pop("file_row_number") + 1
            requests[row.get(ROW_ID, number)] = as_request(row)
    return requests


def _kind(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower().lstrip(".")
    kind = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}.get(suffix, suffix)
    if kind not in allowed:
        raise BatchError(f"{path}: cannot tell the format from the name; use {', '.join('.' + a for a in allowed)}")
    return kind


def _parquet_columns(source: Path, policies: list[model.Policy]) -> dict[str, str]:
    """The file's columns and their types, read by DuckDB from its footer. Each must be a fact of one
    of the policies, of a type each that has it reads exactly; a mismatch stops the run."""
    import duckdb

    try:
        with duckdb.connect() as con:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(source)]).fetchall()
    except duckdb.Error as exc:
        raise BatchError(f"{source}: cannot read as Parquet: {exc}") from None
    columns = {name: type_ for name, type_, *_ in described}
    wanted = [{name: t.sql("duckdb") for name, t in sql.request_columns(p).items()} for p in policies]
    problems = []
    for name, type_ in columns.items():
        if name == ROW_ID:
            continue
        types = [w[name] for w in wanted if name in w]
        if not types:
            problems.append(f"column {name} is not a fact of {' or '.join(p.policy_id for p in policies)}")
        problems += [f"column {name} is {type_}; the policy needs {t}" for t in types if not _compatible(type_, t)]
    if problems:
        raise BatchError(f"{source}: " + "; ".join(dict.fromkeys(problems)))
    return columns


def _lacking(policy: model.Policy, columns: dict[str, str]) -> dict[str, Any]:
    """The request table's columns that a Parquet file does not have: NULL, unknown in every row
    (or, for `absent`, none said absent)."""
    return {name: t for name, t in sql.request_columns(policy).items() if name not in columns}


def _completed(policy: model.Policy, found: dict[str, str], dialect: str) -> list[str]:
    """What a Parquet file of columns `found` lacks of the policy's request table, as select items in
    `dialect`: the row's number in the file from 1, and each missing column as NULL."""
    number = {"duckdb": "file_row_number", "spark": "_metadata.row_index"}[dialect]
    items = [] if ROW_ID in found else [f"{number} + 1 AS {ROW_ID}"]
    for column, t in _lacking(policy, found).items():
        items.append(exp.cast(exp.null(), t).as_(column).sql(dialect, identify=True))
    return items


def _name(name: str) -> str:
    """An identifier as SQL quotes it: a relation's or column's name is never read as SQL."""
    return '"' + name.replace('"', '""') + '"'


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

    def __init__(self, writer: _Writer, progress: Callable[[int], None] | None, summary: Summary) -> None:
        self.writer, self.progress, self.summary = writer, progress, summary

    def write_all(self, batches: Any) -> None:
        import pyarrow.compute as pc

        for batch in batches:
            self.writer.write(batch)
            self.summary.rows += batch.num_rows
            self.summary.invalid += pc.sum(pc.greater(pc.list_value_length(batch.column("errors")), 0)).as_py() or 0
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
    """A decision row as JSON Lines write it: the terms of its outcome and the criteria it reached
    only; errors only when there are some."""
    if row["errors"]:
        return {ROW_ID: row[ROW_ID], "policy": row["policy"], "error": "invalid_request", "errors": row["errors"]}
    found = {k: v for k, v in row.items() if k not in ("errors", "terms")}
    found["terms"] = {k: v for k, v in (row["terms"] or {}).items() if v is not None}
    if "criteria" in row:
        found["criteria"] = {k: v for k, v in (row["criteria"] or {}).items() if v is not None}
    return found


__all__ = [
    "ENGINES",
    "BatchError",
    "RequestImpact",
    "Shift",
    "Summary",
    "arrow_schema",
    "as_request",
    "decide_file",
    "impact_file",
    "record",
    "spark_session",
    "typed_row",
]
