"""The VS Code extension's parts that run without VS Code: its manifest and its TextMate grammar.
(The editor server it starts is tested with a real LSP client in test_lsp.py.)"""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from tests.conftest import POLICY_SOURCE, ROOT

VSCODE = ROOT / "editors" / "vscode"


def test_the_manifest_starts_policyc_lsp_for_policy_files() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    language = manifest["contributes"]["languages"][0]
    assert language["id"] == "policyc" and ".policy" in language["extensions"]
    assert manifest["contributes"]["configuration"]["properties"]["policyc.command"]["default"] == ["policyc", "lsp"]
    assert manifest["scripts"]["package"].startswith("vsce package")
    assert "vscode-languageclient" in manifest["dependencies"]
    assert 'require("vscode-languageclient/node")' in (VSCODE / "extension.js").read_text(encoding="utf-8")


def test_the_grammar_colours_a_policy() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "policyc.tmLanguage.json").read_text(encoding="utf-8"))
    rules = grammar["repository"]
    text = POLICY_SOURCE.read_text(encoding="utf-8")

    def scopes(line: str) -> set[str]:
        found = set()
        for rule in rules.values():
            pattern = rule.get("match") or rule.get("begin")
            if pattern and re.search(pattern, line):
                found.add(rule.get("name") or rule["captures"]["1"]["name"])
        return found

    assert "comment.line.number-sign.policyc" in scopes("# a comment")
    line = next(line for line in text.splitlines() if "criterion D.I.C" in line)
    assert {"keyword.declaration.policyc", "string.quoted.double.policyc"} <= scopes(line)
    assert "entity.name.section.policyc" in scopes("    contraindicated when D.IV")
    assert "keyword.declaration.policyc" in scopes("fact age: integer 0..130")
    assert "constant.numeric.date.policyc" in scopes("    effective: 2025-11-01")


def test_the_vsix_holds_the_extension_its_grammar_and_the_client_library() -> None:
    vsix = VSCODE / "policyc.vsix"
    if not vsix.is_file():
        pytest.skip("built by .ci/run (npm run package in editors/vscode)")
    names = set(zipfile.ZipFile(vsix).namelist())
    for wanted in ("extension/package.json", "extension/extension.js", "extension/syntaxes/policyc.tmLanguage.json"):
        assert wanted in names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
