"""`policyc new`: a first policy that checks, tests, formats and builds cleanly; nothing else written."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import __version__
from compiler.cli import main
from compiler.targets.mkdocs_hook import pages


def test_a_new_policy_checks_tests_formats_and_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = tmp_path / "policies"
    assert main(["new", "ACME-42", "--dir", str(policies), "--title", 'Knee "arthroscopy"']) == 0
    assert sorted(p.name for p in policies.iterdir()) == ["ACME-42.policy", "ACME-42.tests"]
    assert main(["check", str(policies)]) == 0
    assert main(["test", str(policies)]) == 0
    assert main(["fmt", "--check", str(policies)]) == 0
    out, docs = tmp_path / "generated", tmp_path / "docs"
    assert main(["build", str(policies), "--out", str(out), "--docs", str(docs), "-j", "1"]) == 0
    assert "warning" not in capsys.readouterr().err
    # The site's navigation lists the new page with no line added to mkdocs.yml.
    assert {"ACME-42": "policies/ACME-42.md"} in pages(docs / "policies", "policies")


def test_new_refuses_an_id_that_is_not_a_file_name_and_an_existing_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "../escape", "--dir", str(tmp_path)]) == 1
    assert "may use only letters, digits" in capsys.readouterr().err
    assert main(["new", "X-1", "--dir", str(tmp_path)]) == 0
    before = (tmp_path / "X-1.policy").read_text()
    assert main(["new", "X-1", "--dir", str(tmp_path)]) == 1
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "X-1.policy").read_text() == before
    assert not list(tmp_path.parent.glob("escape*"))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"policyc {__version__}\n"
