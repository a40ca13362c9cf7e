"""The editor server, tested as an editor meets it: `policyc lsp` in a subprocess, spoken to by a real
LSP client (pytest-lsp) over standard input and output."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import POLICY_SOURCE

URI = "file:///work/policies/MP-MM-1308.policy"
TEXT = POLICY_SOURCE.read_text(encoding="utf-8")
DOC = lsp.TextDocumentIdentifier(uri=URI)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "compiler.cli", "lsp"]))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri="file:///work")
    )
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, text: str, uri: str = URI) -> list[lsp.Diagnostic]:
    item = lsp.TextDocumentItem(uri=uri, language_id="policyc", version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def _change(client: LanguageClient, text: str, version: int, uri: str = URI) -> list[lsp.Diagnostic]:
    change = lsp.TextDocumentContentChangeWholeDocument(text=text)
    document = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=document, content_changes=[change]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def _at(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of the first `needle` in `text` (plus `offset` characters)."""
    before = text[: text.index(needle) + offset]
    return lsp.Position(line=before.count("\n"), character=len(before) - (before.rfind("\n") + 1))


@pytest.mark.asyncio
async def test_diagnostics_as_the_author_types_with_code_and_help(client: LanguageClient) -> None:
    assert await _open(client, TEXT) == []
    typo = TEXT.replace("when eckardt_score >= 3", "when eckardt_scor >= 3")
    found = await _change(client, typo, 2)
    assert [(d.code, d.severity) for d in found] == [("E201", lsp.DiagnosticSeverity.Error)]
    assert found[0].range.start == _at(typo, "eckardt_scor >= 3")
    assert "did you mean fact 'eckardt_score'?" in found[0].message
    assert await _change(client, TEXT, 3) == []


@pytest.mark.asyncio
async def test_hover_definition_and_references(client: LanguageClient) -> None:
    await _open(client, TEXT)
    where = _at(TEXT, "when eckardt_score >= 3", 6)
    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=DOC, position=where))
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "fact `eckardt_score`: integer 0..12" in hover.contents.value
    assert "Read by: D.I.C" in hover.contents.value
    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=DOC, position=where))
    assert isinstance(found, lsp.Location) and found.range.start == _at(TEXT, "fact eckardt_score")
    label = _at(TEXT, "contraindicated when D.IV", len("contraindicated when "))
    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=DOC, position=label))
    assert isinstance(found, lsp.Location) and found.range.start == _at(TEXT, "contraindications D.IV")
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(text_document=DOC, position=where, context=lsp.ReferenceContext(include_declaration=False))
    )
    assert refs is not None and [r.range.start.line for r in refs] == [_at(TEXT, "when eckardt_score >= 3").line]


@pytest.mark.asyncio
async def test_completion_offers_names_values_labels_and_keywords(client: LanguageClient) -> None:
    await _open(client, TEXT)
    where = _at(TEXT, "when eckardt_score >= 3", 5)
    done = await client.text_document_completion_async(lsp.CompletionParams(text_document=DOC, position=where))
    assert isinstance(done, lsp.CompletionList)
    offered = {item.label: item.detail for item in done.items}
    assert offered["eckardt_score"] == "fact" and offered["primary_achalasia"] == "enum value"
    assert offered["D.IV.A"] == "provision" and offered["needs_review"] == "outcome"
    assert "criterion" in offered and "when" in offered


@pytest.mark.asyncio
async def test_the_last_good_analysis_answers_while_the_text_does_not_parse(client: LanguageClient) -> None:
    await _open(client, TEXT)
    broken = TEXT.replace('criterion D.I.C "', 'critrion D.I.C "')
    found = await _change(client, broken, 2)
    assert [d.code for d in found] == ["E001"] and "did you mean 'criterion'?" in found[0].message
    where = _at(broken, "when eckardt_score >= 3", 6)
    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=DOC, position=where))
    assert hover is not None and "eckardt_score" in str(hover.contents)


@pytest.mark.asyncio
async def test_formatting_is_policyc_fmt(client: LanguageClient) -> None:
    messy = TEXT.replace("    rule D.II ", "rule   D.II ", 1)
    await _open(client, messy)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(text_document=DOC, options=lsp.FormattingOptions(tab_size=4, insert_spaces=True))
    )
    assert edits is not None and len(edits) == 1 and edits[0].new_text == TEXT


@pytest.mark.asyncio
async def test_a_test_file_is_checked_against_the_policy_beside_it(client: LanguageClient) -> None:
    tests = POLICY_SOURCE.with_suffix(".tests")
    uri = tests.as_uri()
    text = tests.read_text(encoding="utf-8")
    assert await _open(client, text, uri) == []
    wrong = text.replace("expect medically_necessary by D.I missing []", "expect medicaly_necessary by D.I missing []")
    found = await _change(client, wrong, 2, uri)
    assert [d.code for d in found] == ["E704"] and "did you mean 'medically_necessary'?" in found[0].message
