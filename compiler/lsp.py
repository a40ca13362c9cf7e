"""`policyc lsp`: the Language Server Protocol over standard input and output (pygls).

As the author types, each policy is checked by the same compiler as `policyc check`, and its
diagnostics are published with their codes and help. Hover, go to definition, find references
and completion work on the names of the policy: facts, computed values, code sets, enum values,
provision labels and outcomes. Formatting is `policyc fmt`. While the text does not parse, the
last good analysis answers, so hover and completion keep working through a half-typed line. A test
file (X.tests) is checked against the policy beside it, as `policyc test` checks it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from compiler import __version__, compile_file, compile_tree, model
from compiler.diagnostics import Diagnostic, Severity, Span, error
from compiler.syntax import nodes
from compiler.syntax.fmt import format_source

KEYWORDS = (
    "policy", "applies_to", "fact", "value", "codeset", "table", "outcome", "section", "decide", "example",
    "interpretation", "criteria", "criterion", "rule", "contraindications", "contraindication",
    "clarification", "advisory", "when", "all", "any", "of", "at", "least", "and", "or", "not", "in",
    "otherwise", "unknown", "by", "advise", "carries", "about", "integer", "decimal", "boolean", "date",
    "string", "enum", "set", "list", "code", "unit", "matching", "absent",
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")


@dataclass(frozen=True)
class Symbol:
    """A declared name: what it is, where it is declared, and what hover says about it."""

    name: str
    kind: str  # fact, value, code set, enum value, provision, outcome
    span: Span
    detail: str


@dataclass
class Analysis:
    """What one version of a document says: its symbols and every place each is named."""

    symbols: dict[str, Symbol] = field(default_factory=dict)
    references: dict[str, list[Span]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def analyse(text: str, file: str, last: Analysis | None = None) -> Analysis:
    """Check a document; when it does not parse, keep the last good symbols with the new diagnostics."""
    tree, policy, diagnostics = compile_tree(text, file)
    if tree is None:
        kept = last or Analysis()
        return Analysis(kept.symbols, kept.references, diagnostics)
    analysis = Analysis(diagnostics=diagnostics)
    for item in tree.items:
        for symbol in _declared(item, policy):
            analysis.symbols.setdefault(symbol.name, symbol)
    for name, span in _named(tree):
        analysis.references.setdefault(name, []).append(span)
    return analysis


def check_tests(text: str, file: str) -> list[Diagnostic]:
    """A test file's mistakes (X.tests), against its policy on disk (X.policy beside it), as `policyc
    test` reports them; none while that policy does not compile (its own errors come first)."""
    from compiler import testing

    policy_path = Path(file).with_suffix(".policy")
    if not policy_path.is_file():
        return [error("E000", f"no policy beside it: {policy_path.name}", Span(file, 1, 1, 1, 1))]
    policy, _, _ = compile_file(policy_path, str(policy_path))
    if policy is None:
        return []
    return testing.load_cases(policy, text, file)[1]


def _declared(item: nodes.Item, policy: model.Policy | None) -> Iterator[Symbol]:
    if isinstance(item, nodes.Fact):
        fact = next((f for f in policy.facts if f.name == item.name), None) if policy else None
        read_by = f"\n\nRead by: {', '.join(fact.sections)}" if fact and fact.sections else ""
        kind = _type_text(item.type)
        yield Symbol(item.name, "fact", item.span, f"fact `{item.name}`: {kind}\n\n{_prose(item.description)}{read_by}")
        if isinstance(item.type, (nodes.EnumType, nodes.SetType)):
            for value in item.type.values:
                label = f": {value.label}" if value.label else ""
                yield Symbol(value.name, "enum value", value.span, f"value `{value.name}` of `{item.name}`{label}")
    elif isinstance(item, nodes.Computed):
        yield Symbol(item.name, "value", item.span, f"computed value `{item.name}`\n\n{_prose(item.description)}")
    elif isinstance(item, nodes.CodeSet):
        yield Symbol(item.name, "code set", item.span, f"code set `{item.name}` ({item.system}): {item.title}")
    elif isinstance(item, nodes.Outcome):
        kind = policy.outcome_kind(item.name).replace("_", " ") if policy else "outcome"
        yield Symbol(item.name, "outcome", item.span, f"outcome `{item.name}` ({kind})\n\n{item.description}")
    elif isinstance(item, nodes.Section):
        for provision in _provisions(item.items):
            detail = f"{provision.kind} **{provision.label}**: {provision.wording}"
            yield Symbol(provision.label, "provision", provision.span, detail)


def _provisions(items: tuple[Any, ...]) -> Iterator[nodes.Provision]:
    for item in items:
        if isinstance(item, nodes.Provision):
            yield item
            body = item.body
            if isinstance(body, nodes.Group):
                yield from _provisions(body.provisions)


def _named(node: object) -> Iterator[tuple[str, Span]]:
    """Every name and section label the tree uses, with its span (declarations aside)."""
    if isinstance(node, nodes.Name):
        yield node.name.split(".")[0], node.span
    elif isinstance(node, nodes.SectionRef):
        yield node.label, node.span
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name != "span":
                yield from _named(getattr(node, f.name))
    elif isinstance(node, (tuple, list)):
        for child in node:
            yield from _named(child)


def _prose(prose: nodes.Prose) -> str:
    return "\n\n".join(prose.paragraphs)


def _type_text(t: nodes.FactType) -> str:
    from compiler.syntax.unparse import fact_type

    if isinstance(t, nodes.ListType):
        return "list of {" + ", ".join(f.name for f in t.fields) + "}"
    if isinstance(t, (nodes.EnumType, nodes.SetType)):
        head = "enum" if isinstance(t, nodes.EnumType) else "set of"
        return f"{head} {{{', '.join(v.name for v in t.values)}}}"
    return fact_type(t)


# -- The protocol ------------------------------------------------------------------------------


def _range(span: Span) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=max(span.line - 1, 0), character=max(span.column - 1, 0)),
        end=lsp.Position(line=max(span.end_line - 1, 0), character=max(span.end_column - 1, 0)),
    )


def to_lsp(diagnostic: Diagnostic) -> lsp.Diagnostic:
    message = diagnostic.message + (f"\nhelp: {diagnostic.hint}" if diagnostic.hint else "")
    severity = lsp.DiagnosticSeverity.Error if diagnostic.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(
        range=_range(diagnostic.span), message=message, severity=severity, code=diagnostic.code, source="policyc"
    )


class PolicyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("policyc", __version__)
        self.analyses: dict[str, Analysis] = {}

    def refresh(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        file = unquote(urlparse(uri).path) or uri
        if file.endswith(".tests"):
            found = [to_lsp(d) for d in check_tests(document.source, file)]
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found))
            return
        if not file.endswith(".policy"):
            return
        self.analyses[uri] = analyse(document.source, file, self.analyses.get(uri))
        found = [to_lsp(d) for d in self.analyses[uri].diagnostics if d.span.file == file]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found))

    def word(self, uri: str, position: lsp.Position) -> str | None:
        lines = self.workspace.get_text_document(uri).lines
        line = lines[position.line] if position.line < len(lines) else ""
        for match in _WORD.finditer(line):
            if match.start() <= position.character <= match.end():
                return match.group()
        return None


server = PolicyServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
    symbol = _symbol_at(ls, params.text_document.uri, params.position)
    if symbol is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=symbol.detail))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: PolicyServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    symbol = _symbol_at(ls, params.text_document.uri, params.position)
    return None if symbol is None else lsp.Location(uri=params.text_document.uri, range=_range(symbol.span))


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: PolicyServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    uri = params.text_document.uri
    symbol = _symbol_at(ls, uri, params.position)
    if symbol is None:
        return []
    spans = list(ls.analyses[uri].references.get(symbol.name, []))
    if params.context.include_declaration:
        spans.insert(0, symbol.span)
    return [lsp.Location(uri=uri, range=_range(span)) for span in spans]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
def completion(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    analysis = ls.analyses.get(params.text_document.uri) or Analysis()
    kinds = {
        "fact": lsp.CompletionItemKind.Field,
        "value": lsp.CompletionItemKind.Variable,
        "code set": lsp.CompletionItemKind.Module,
        "enum value": lsp.CompletionItemKind.EnumMember,
        "provision": lsp.CompletionItemKind.Reference,
        "outcome": lsp.CompletionItemKind.Constant,
    }
    items = [
        lsp.CompletionItem(label=s.name, kind=kinds[s.kind], detail=s.kind, documentation=s.detail)
        for s in analysis.symbols.values()
    ]
    items += [lsp.CompletionItem(label=word, kind=lsp.CompletionItemKind.Keyword) for word in KEYWORDS]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: PolicyServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    formatted, _ = format_source(document.source, params.text_document.uri)
    if formatted is None or formatted == document.source:
        return None  # a text that does not parse is left as it is; its errors are already shown
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(document.lines), character=0))
    return [lsp.TextEdit(range=whole, new_text=formatted)]


def _symbol_at(ls: PolicyServer, uri: str, position: lsp.Position) -> Symbol | None:
    word = ls.word(uri, position)
    analysis = ls.analyses.get(uri)
    if word is None or analysis is None:
        return None
    return analysis.symbols.get(word) or analysis.symbols.get(word.split(".")[0])


def main() -> int:
    server.start_io()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
