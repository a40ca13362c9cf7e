"""Prose: the statement's sections in its own words and order, for the docs (no diagnostics)."""

from __future__ import annotations

from typing import assert_never

from compiler import model
from compiler.syntax import nodes


def prose(sections: tuple[nodes.Section, ...]) -> tuple[model.Section, ...]:
    return tuple(model.Section(s.label, s.title, tuple(_item(i) for i in s.items)) for s in sections)


def _item(item: nodes.SectionItem) -> model.Prose:
    if isinstance(item, nodes.Prose):
        return model.Paragraphs(item.paragraphs)
    if isinstance(item, nodes.Term):
        return _term(item)
    if isinstance(item, nodes.Provision):
        return model.ProvisionPlace(item.label)
    if isinstance(item, nodes.Revision):
        return model.HistoryEntry(item.kind, item.date.text if item.date else None, item.action)
    if isinstance(item, nodes.Reference):
        return model.Citation(item.citation, item.doi, item.url)
    assert_never(item)


def _term(term: nodes.Term) -> model.Term:
    return model.Term(term.name, " ".join(term.text.paragraphs), tuple(_term(t) for t in term.terms))
