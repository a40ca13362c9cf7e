"""MP-MM-1308 is one source file: every sentence of the statement can be recovered from it."""

from __future__ import annotations

import re

import pytest

from compiler import model
from compiler.model import Policy
from compiler.syntax import nodes
from compiler.syntax.parse import parse
from tests.conftest import POLICY_SOURCE, SHARED

SEED = SHARED / "seed" / "000_bdadfc4ca935440e.txt"

# Lines of the statement that are layout, not text: the table of contents, the checkbox
# markup, table rules and the revision table's column heads (its rows are checked below).
LAYOUT = re.compile(
    r"^(Table of Contents|<input.*|-+(\t-+)*|DATE\s+ACTION|Policy Name & Number.*|Policy Type.*|MEDICAL|"
    r"Peroral Endoscopic Myotomy-MP-MM-1308.*|Kentucky inactive as of 01/01/2026|"
    r"MEDICAL POLICY STATEMENT Marketplace|[A-I]\. .*|Date (Issued|Effective|Archived).*|NA)$"
)
REVISION = re.compile(r"^(Date Revised\s+)?\d\d/\d\d/\d{4}\t(?P<action>.+)$")


BULLET = re.compile(r"^\s*([-•]|\d+\.|[IVX]+\.|[A-F]\.)\s+")


def normalise(text: str) -> str:
    """Text without Markdown bold, list bullets and numbering, with white space folded."""
    text = text.replace("**", "")
    while BULLET.match(text):
        text = BULLET.sub("", text, count=1)
    return re.sub(r"\s+", " ", text).strip()


def source_texts() -> str:
    tree, diagnostics = parse(POLICY_SOURCE.read_text(encoding="utf-8"), "MP-MM-1308.policy")
    assert tree is not None and not diagnostics
    texts: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, tuple):
            for item in node:
                collect(item)
        elif isinstance(node, nodes.Node):
            for name in node.__dataclass_fields__:
                if name != "span":
                    collect(getattr(node, name))

    collect(tree)
    return " ".join(normalise(t) for t in texts)


def statement_lines() -> list[str]:
    lines = []
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        revision = REVISION.match(line)
        if revision:  # a revision row: its date is a field, its action is text
            line = revision["action"]
        elif not line or LAYOUT.match(line):
            continue
        line = re.sub(r" ?(doi:\S+|www\.\S+)$", "", line)  # DOIs and URLs are fields of a reference
        # A definition is "Term – text": the term and its text are separate fields.
        parts = re.split(r"(?<=[\w)]) – (?=[A-Z])", normalise(line), maxsplit=1)
        lines.extend(normalise(part) for part in parts)
    return lines


@pytest.mark.skipif(not SEED.exists(), reason="the statement text lives in ../shared")
def test_every_sentence_of_the_statement_is_in_the_source() -> None:
    texts = source_texts()
    absent = [line for line in statement_lines() if line and line not in texts]
    assert absent == []
    assert len(statement_lines()) > 50  # the statement was read, not skipped


def test_metadata_states_and_dates(policy: Policy) -> None:
    assert policy.policy_id == "MP-MM-1308"
    assert policy.title == "Peroral Endoscopic Myotomy"
    assert policy.effective.isoformat() == "2025-11-01"
    meta = dict(policy.meta)
    assert (meta["policy_type"], meta["line_of_business"], meta["issued"]) == ("MEDICAL", "Marketplace", "2023-02-15")
    assert policy.applicability is not None
    states = {
        s.code: (s.effective.isoformat(), s.inactive and s.inactive.isoformat()) for s in policy.applicability.states
    }
    assert states == {
        "GA": ("2025-11-01", None),
        "IN": ("2025-11-01", None),
        "KY": ("2025-11-01", "2026-01-01"),
        "OH": ("2025-11-01", None),
        "WV": ("2025-11-01", None),
    }


def test_revision_history_and_references_are_kept(policy: Policy) -> None:
    items = [i for s in policy.sections for i in s.items]
    revisions = [(r.kind, r.date) for r in items if isinstance(r, model.HistoryEntry)]
    assert revisions == [
        ("issued", "2023-02-15"),
        ("revised", "2024-02-14"),
        ("revised", "2024-12-18"),
        ("revised", "2025-08-13"),
        ("effective", "2025-11-01"),
        ("archived", None),
    ]
    references = [r for r in items if isinstance(r, model.Citation)]
    assert len(references) == 14
    assert sum(1 for r in references if r.doi) == 11
