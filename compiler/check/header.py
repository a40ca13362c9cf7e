"""The header: the policy's id, dates and metadata, where it applies, and its revision history.

`applies_to` is desugared here into an ordinary provision, `applicable`, whose condition
tests the state and the date of service (E101-E105, E120-E122, E501).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from compiler import model
from compiler.check.report import fold, suggest
from compiler.check.scope import Pass
from compiler.syntax import nodes

# Metadata keys a policy header may carry; the first two are required.
REQUIRED_META = ("title", "effective")
DATE_META = ("effective", "issued")
KNOWN_META = (
    "title",
    "effective",
    "issued",
    "publisher",
    "policy_type",
    "line_of_business",
    "preamble",
    "approval",
    "review",
)
APPLICABILITY = model.APPLICABILITY
MAX_ID_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Header:
    policy_id: str
    effective: datetime.date
    title: str
    meta: tuple[tuple[str, str], ...]  # the other metadata, as text


class HeaderCheck(Pass):
    def check_header(self, header: nodes.Policy) -> Header | None:
        entries: dict[str, nodes.Meta] = {}
        for entry in header.meta:
            if entry.key not in KNOWN_META:
                self.error(
                    "E102", f"unknown metadata key '{entry.key}'", entry.span, hint=suggest(entry.key, KNOWN_META)
                )
            elif entry.key in entries:
                self.error("E102", f"metadata key '{entry.key}' is given twice", entry.span)
            elif (entry.key in DATE_META) != isinstance(entry.value, nodes.DateLit):
                kind = "a date (YYYY-MM-DD)" if entry.key in DATE_META else "text"
                self.error("E104", f"metadata '{entry.key}' must be {kind}", entry.span)
            else:
                entries[entry.key] = entry
        for key in REQUIRED_META:
            if key not in entries and not any(e.key == key for e in header.meta):
                self.error("E103", f"the policy header has no '{key}'", header.span)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", header.policy_id):
            self.error(
                "E105", f"policy id '{header.policy_id}' may use only letters, digits, '.', '_' and '-'", header.span
            )
        elif len(header.policy_id) > MAX_ID_LENGTH:  # it names files, whose names have a limit
            self.error("E105", f"policy id is {len(header.policy_id)} characters; at most {MAX_ID_LENGTH}", header.span)
        effective = entries.get("effective")
        title = entries.get("title")
        if effective is None or title is None:
            return None
        assert isinstance(effective.value, nodes.DateLit) and isinstance(title.value, nodes.Prose)
        if effective.value.value is None:
            return None
        meta = tuple(
            (key, e.value.text if isinstance(e.value, nodes.DateLit) else fold(e.value))
            for key, e in entries.items()
            if key not in ("title", "effective")
        )
        return Header(header.policy_id, effective.value.value, fold(title.value), meta)

    def check_applies_to(
        self, applies: nodes.AppliesTo, effective: datetime.date | None
    ) -> tuple[model.Applicability, model.Provision] | None:
        ok = True
        for name, wanted, kind in (
            (applies.state_fact, model.String, "string"),
            (applies.date_fact, model.Date, "date"),
        ):
            fact_type = self.fact_types.get(name.name)
            self.report.used_facts.add(name.name)
            if fact_type is None:
                self.error("E201", f"fact '{name.name}' is not declared", name.span, suggest(name.name, self.facts))
                ok = False
            elif not isinstance(fact_type, wanted):
                self.error("E121", f"applies_to needs a {kind} fact, but '{name.name}' is {fact_type.kind}", name.span)
                ok = False
        states: list[model.State] = []
        for j in applies.jurisdictions:
            if not re.fullmatch(r"[A-Z]{2}", j.code):
                self.error("E120", f"'{j.code}' is not a two-letter state code", j.span)
            if any(s.code == j.code for s in states):
                self.error("E120", f"state '{j.code}' is listed twice", j.span)
                continue
            start = j.effective.value if j.effective else effective
            end = j.inactive.value if j.inactive else None
            if start is None or (j.inactive and end is None) or (j.effective and j.effective.value is None):
                ok = False
                continue
            if end is not None and end <= start:
                self.error("E122", f"{j.code} is inactive from {end} but only effective from {start}", j.span)
            states.append(model.State(j.code, j.name, start, end))
        if not states:
            self.error("E120", "applies_to lists no state", applies.span)
        if not ok or not states:
            return None
        span = applies.span  # every test made from `applies_to` points at it
        state = model.FactRef(applies.state_fact.name, span=applies.state_fact.span)
        date = model.FactRef(applies.date_fact.name, span=applies.date_fact.span)
        # States that share their dates share one test: `state in {GA, IN} and date >= ...`.
        periods: dict[tuple[datetime.date, datetime.date | None], list[str]] = {}
        for s in states:
            periods.setdefault((s.effective, s.inactive), []).append(s.code)
        per_period: list[model.Expr] = []
        for (start, end), codes in periods.items():
            parts: list[model.Expr] = [
                model.Member(state, model.Const(model.sorted_set(codes), span=span), span=span),
                model.Compare(">=", date, model.Const(start, span=span), span=span),
            ]
            if end is not None:
                parts.append(model.Compare("<", date, model.Const(end, span=span), span=span))
            per_period.append(model.Combine("all", len(parts), tuple(parts), span=span))
        condition = model.Combine("any", 1, tuple(per_period), span=span)

        def describe(s: model.State) -> str:
            notes = []
            if s.effective != effective:
                notes.append(f"effective {s.effective.isoformat()}")
            if s.inactive is not None:
                notes.append(f"inactive as of {s.inactive.isoformat()}")
            return s.name + (f" ({', '.join(notes)})" if notes else "")

        wording = f"{applies.wording} {', '.join(describe(s) for s in states)}."
        applicability = model.Applicability(
            applies.state_fact.name, applies.date_fact.name, applies.wording, tuple(states)
        )
        provision = model.Provision(
            kind=APPLICABILITY,
            label=APPLICABILITY,
            wording=wording,
            line=applies.span.line,
            condition=condition,
            children=(),
            facts=model.facts_read(condition),
            span=applies.span,
        )
        return applicability, provision

    def check_history(
        self,
        sections: tuple[nodes.Section, ...],
        header: Header | None,
    ) -> None:
        revisions = [i for s in sections for i in s.items if isinstance(i, nodes.Revision)]
        previous: nodes.Revision | None = None
        for revision in revisions:
            if revision.date is None or revision.date.value is None:
                continue
            if previous is not None and previous.date is not None and previous.date.value is not None:
                if _when(revision.date, previous.date) < _when(previous.date, revision.date):
                    self.error(
                        "E501",
                        f"revision history goes back in time: {revision.date.text} after {previous.date.text}",
                        revision.date.span,
                    )
            previous = revision
            if revision.kind == "effective" and header is not None and _when(revision.date, None) != _when(
                nodes.DateLit(revision.date.span, header.effective, header.effective.isoformat()), revision.date
            ):
                self.error(
                    "E501",
                    f"revision history says effective {revision.date.text}, "
                    f"the header says {header.effective.isoformat()}",
                    revision.date.span,
                )
        meta = dict(header.meta) if header else {}
        for revision in revisions:
            if (
                revision.kind == "issued"
                and revision.date
                and "issued" in meta
                and revision.date.text != meta["issued"]
            ):
                self.error(
                    "E501",
                    f"revision history says issued {revision.date.text}, the header says {meta['issued']}",
                    revision.date.span,
                )


def _when(date: nodes.DateLit, other: nodes.DateLit | None) -> tuple[int, ...]:
    """A date to compare with another: to the month when either is given only to its month."""
    assert date.value is not None
    exact = (date.value.year, date.value.month, date.value.day)
    return exact[:2] if date.month_only or (other is not None and other.month_only) else exact
