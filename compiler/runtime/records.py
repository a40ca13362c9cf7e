"""Records: lists of records (histories) in a request, and the quantifiers and aggregates over them.

Three-valued like every condition: a record whose selection or value is unknown leaves the
answer unknown unless the known records already settle it. Part of the evaluator runtime (see
`compiler/runtime/__init__.py`), copied into an evaluator whose policy has a list of records.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from compiler.runtime.conditions import _ADD
from compiler.runtime.requests import FieldError, _absences, _json_type

###{validators

# A record field's validator, as the evaluator defines one per field: (record, errors) -> value.
_Check: TypeAlias = Callable[[Mapping[Any, object], list[FieldError]], Any]


def _records(
    request: Mapping[Any, object],
    name: str,
    record: Callable[..., Any],
    fields: tuple[tuple[str, _Check], ...],
    absentable: frozenset[str] | None,
    errors: list[FieldError],
) -> tuple[Any, ...] | None:
    """A list of JSON objects as a tuple of `record`s; a field left out or null is unknown. A record
    class with fields declared `or absent` (`absentable`) takes the set of those said absent last."""
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        errors.append(FieldError(name, f"expected an array of objects, got {_json_type(value)}"))
        return None
    names = {field for field, _ in fields}
    records = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, f"expected an object, got {_json_type(item)}"))
            continue
        found = [FieldError(str(key), "not a field of these records") for key in item if key not in names]
        item, absent = _absences(item, names, absentable or frozenset(), found)
        values = [check(item, found) for _, check in fields]
        errors += [FieldError(f"{where}.{e.field}", e.message) for e in found]
        records.append(record(*values) if absentable is None else record(*values, absent))
    return tuple(records)
###}
###{quantifiers


# -- Over the records of a list: None is unknown ------------------------------------------


def _some(truths: Iterable[bool | None]) -> bool | None:
    """Whether some record satisfies the condition."""
    unknown = False
    for truth in truths:
        if truth:
            return True
        unknown = unknown or truth is None
    return None if unknown else False


def _every(truths: Iterable[bool | None]) -> bool | None:
    unknown = False
    for truth in truths:
        if truth is False:
            return False
        unknown = unknown or truth is None
    return None if unknown else True


def _no(truths: Iterable[bool | None]) -> bool | None:
    found = _some(truths)
    return None if found is None else not found


def _at_least_records(count: int, truths: Iterable[bool | None]) -> bool | None:
    listed = list(truths)
    true = listed.count(True)
    if true >= count:
        return True
    return False if true + listed.count(None) < count else None


def _at_least_distinct(count: int, pairs: Iterable[tuple[bool | None, object]]) -> bool | None:
    """At least `count` distinct values among the records that satisfy the condition; an unknown value may be new."""
    certain: set[object] = set()
    possible: set[object] = set()
    unknown_values = 0
    for truth, value in pairs:
        if truth is False:
            continue
        if value is None:
            unknown_values += 1
            continue
        possible.add(value)
        if truth:
            certain.add(value)
    if len(certain) >= count:
        return True
    return False if len(possible) + unknown_values < count else None


def _count(truths: Iterable[bool | None]) -> int | None:
    total = 0
    for truth in truths:
        if truth is None:
            return None
        total += truth
    return total


def _selected(pairs: Iterable[tuple[bool | None, Any]]) -> list[Any] | None:
    """The values of the selected records; None when a selection or a selected value is unknown."""
    values = []
    for truth, value in pairs:
        if truth is None or (truth and value is None):
            return None
        if truth:
            values.append(value)
    return values


def _sum(pairs: Iterable[tuple[bool | None, Any]]) -> Any:
    """The exact sum of the selected values: whole numbers as int, decimals in a context that never rounds."""
    values = _selected(pairs)
    if values is None:
        return None
    total: Any = 0
    for value in values:
        total = total + value if type(value) is int and type(total) is int else _ADD(total, value)
    return total


def _extreme(latest: bool, pairs: Iterable[tuple[bool | None, Any]], fallback: Any) -> Any:
    """The greatest (or least) selected value; `fallback` when none is selected."""
    values = _selected(pairs)
    if values is None:
        return None
    if not values:
        return fallback
    return max(values) if latest else min(values)


def _by_order(latest: bool, triples: Iterable[tuple[bool | None, datetime.date | None, Any]], fallback: Any) -> Any:
    """The value of the latest (or earliest) selected record by its date; unknown when dates tie and values differ."""
    chosen: list[tuple[datetime.date, Any]] = []
    for truth, when, value in triples:
        if truth is None or (truth and (when is None or value is None)):
            return None
        if truth:
            assert when is not None
            chosen.append((when, value))
    if not chosen:
        return fallback
    last = max(w for w, _ in chosen) if latest else min(w for w, _ in chosen)
    at_last = {value for when, value in chosen if when == last}
    return next(iter(at_last)) if len(at_last) == 1 else None
###}
