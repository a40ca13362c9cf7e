"""JSON text for requests and decisions, with decimal numbers kept exact both ways.

`json` reads 89.6 as the nearest binary float and cannot write a `Decimal`;
requests are read with `decode` (every number with a fraction becomes a
`Decimal`, a repeated key or NaN is an error) and written with `dumps`.
"""

from __future__ import annotations

import decimal
import json
from fractions import Fraction
from typing import Any


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key repeats: JSON leaves the meaning of that open."""
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = [key for key, _ in pairs]
        repeated = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ValueError(f"the key {json.dumps(repeated, ensure_ascii=False)} is repeated")
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_plain = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_no_constant).decode
_checked = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_no_constant, object_pairs_hook=_object).decode


def decode(text: str) -> Any:
    """One JSON value; raises ValueError (json.JSONDecodeError among them) on text that is not one,
    or that is nested too deeply to read (arrays thousands deep exhaust the parser's recursion)."""
    try:
        value = _plain(text)
        if type(value) is dict and len(value) == text.count(":"):
            return value  # each colon is one of its keys': none of them can repeat
        return _checked(text)  # nested objects, or colons in strings: look at every key
    except RecursionError:
        raise ValueError("nested too deeply") from None


def dumps(value: Any, indent: int | None = None, _depth: int = 0) -> str:
    """`json.dumps(value, ensure_ascii=False)`, but a Decimal is written with its own digits."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Fraction):  # a quotient with no end in decimals, as decisions show it
        return json.dumps(str(value))
    if isinstance(value, (dict, list, tuple)) and value:
        items = (
            [f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent, _depth + 1)}" for k, v in value.items()]
            if isinstance(value, dict)
            else [dumps(v, indent, _depth + 1) for v in value]
        )
        open_, close = "{}" if isinstance(value, dict) else "[]"
        if indent is None:
            return open_ + ", ".join(items) + close
        inner, outer = "\n" + " " * (indent * (_depth + 1)), "\n" + " " * (indent * _depth)
        return open_ + inner + ("," + inner).join(items) + outer + close
    return json.dumps(value, ensure_ascii=False)
