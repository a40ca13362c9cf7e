"""Revision impact in SQL: two revisions of a policy decide the same requests in one query.

    _old_*, _new_*   each revision's decision query (decide.py), its CTEs' names prefixed
    _pairs           each request's outcome and section under both, joined on row_id
    _ranked          each request's place, by row id, among those of the same change
    (select)         one row per (old outcome, old section, new outcome, new section) that occurs:
                     how many requests, and the row ids of the first few, to show as samples

A request that a revision rejects counts under the outcome `invalid_request` for that revision.
"""

from __future__ import annotations

from sqlglot import exp

from compiler import model
from compiler.targets.sql.checks import any_error
from compiler.targets.sql.columns import ROW_ID
from compiler.targets.sql.decide import DIALECTS, Query, render
from compiler.targets.sql.lower import case, lit

INVALID = "invalid_request"
CHANGE = ("old_outcome", "old_section", "new_outcome", "new_section")


def impact_query(
    old: model.Policy,
    new: model.Policy,
    dialect: str,
    sources: tuple[str, str],
    prior: str | None = None,
    samples: int = 5,
) -> str:
    """The count of each change over the requests, each revision reading its own relation of `sources`."""
    query = (
        exp.select(
            *(exp.column(c) for c in CHANGE),
            exp.Count(this=exp.Star()).as_("requests", copy=False),
            exp.Filter(
                this=exp.ArrayAgg(this=exp.column(ROW_ID)),
                expression=exp.Where(this=exp.LTE(this=exp.column("_n"), expression=exp.Literal.number(samples))),
            ).as_("samples", copy=False),
        )
        .from_("_ranked")
        .group_by(*(exp.column(c) for c in CHANGE), copy=False)
    )
    for side, policy, source in (("old", old, sources[0]), ("new", new, sources[1])):
        decided = Query(policy, DIALECTS[dialect]).build(source, explain=False, prior=prior, prefix=f"_{side}_")
        with_ = decided.args["with_"]
        decided.set("with_", None)
        for cte in with_.expressions:
            query = query.with_(cte.alias, cte.this, copy=False)
        query = query.with_(f"_{side}", decided, copy=False)
    pairs = (
        exp.select(
            exp.column(ROW_ID, table="o").as_(ROW_ID, copy=False),
            _outcome("o").as_("old_outcome", copy=False),
            exp.column("section", table="o").as_("old_section", copy=False),
            _outcome("n").as_("new_outcome", copy=False),
            exp.column("section", table="n").as_("new_section", copy=False),
        )
        .from_(exp.alias_(exp.to_table("_old"), "o", table=True))
        .join(
            exp.alias_(exp.to_table("_new"), "n", table=True),
            on=exp.EQ(this=exp.column(ROW_ID, table="o"), expression=exp.column(ROW_ID, table="n")),
            copy=False,
        )
    )
    place = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column(c) for c in CHANGE],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column(ROW_ID))]),
    )
    ranked = exp.select(exp.Star(), place.as_("_n", copy=False)).from_("_pairs")
    query = query.with_("_pairs", pairs, copy=False).with_("_ranked", ranked, copy=False)
    return render(query, dialect)


def _outcome(side: str) -> exp.Expr:
    return case((any_error(exp.column("errors", table=side)), lit(INVALID)), default=exp.column("outcome", table=side))


__all__ = ["CHANGE", "INVALID", "impact_query"]
