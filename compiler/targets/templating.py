"""What every target's templates share: the jinja2 environment and safe ways to put text in code.

Policy text reaches generated code only through `literal()` (repr, wrapped to
fit the line) or `doc_line()` (printable ASCII for a comment), never raw.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # we emit Python; strings go through the `py` filter (repr)
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

WIDTH = 88  # generated lines stay within this, as black's do, leaving room to ruff's 120 for a table's key


def literal(value: object, indent: int = 0, taken: int = 0) -> str:
    """A Python literal for `value` (str, int, None, or tuples and lists of them), wrapped to fit the line
    that is indented by `indent` and has `taken` more columns before it.

    Only repr() makes text into code, so a policy's strings stay strings.
    """
    flat = repr(value)
    if indent + taken + len(flat) <= WIDTH:
        return flat
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, str):
        lines = _chunks(value, WIDTH - indent - 6)
        return "(\n" + "".join(f"{inner}{line!r}\n" for line in lines) + pad + ")"
    if isinstance(value, (tuple, list)):
        open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return open_ + "\n" + "".join(f"{inner}{literal(item, indent + 4)},\n" for item in value) + pad + close
    return flat


def _chunks(text: str, width: int) -> list[str]:
    """Split text after spaces into pieces of about `width` characters; joined, they are the text."""
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<= )", text):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    return pieces


TEMPLATES.filters["py"] = literal
TEMPLATES.tests["instance_of"] = isinstance


def doc_line(text: str) -> str:
    """Text safe for a one-line comment: printable ASCII only, no line breaks."""
    return re.sub(r"[^ -~]", "?", text)
