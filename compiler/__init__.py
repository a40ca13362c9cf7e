"""policyc: a compiler for medical policies written as code.

The pipeline, one module per stage, data flowing one way:

    source text --parse.py--> nodes.PolicyFile (AST)
                --check.py--> model.Policy (checked)
                --targets/--> generated files (Python evaluator, ...)

`interpret.py` evaluates a checked policy directly; it is the oracle that the
generated evaluators are tested against. `cli.py` is the `policyc` command.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from compiler.check import check
from compiler.diagnostics import CompileError, Diagnostic, Span, error, has_errors
from compiler.interpret import verify_examples
from compiler.model import Policy
from compiler.parse import parse

__version__ = "0.1.0"


def compile_source(text: str, file: str) -> tuple[Policy | None, list[Diagnostic]]:
    """Parse and check one policy source; the policy is None when there are errors."""
    tree, diagnostics = parse(text, file)
    if tree is None or has_errors(diagnostics):
        return None, diagnostics
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    policy, more = check(tree, Path(file).name, sha256)
    if policy is not None:
        more += verify_examples(policy, file)
    return (None if has_errors(more) else policy), diagnostics + more


def compile_file(path: Path, file: str | None = None) -> tuple[Policy | None, list[Diagnostic], str]:
    """Read and compile one policy file: the policy (None on errors), diagnostics, source text."""
    name = file or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [error("E000", f"file is not valid UTF-8 (byte {exc.start})", Span(name, 1, 1, 1, 1))], ""
    except OSError as exc:
        return None, [error("E000", f"cannot read file: {exc.strerror}", Span(name, 1, 1, 1, 1))], ""
    policy, diagnostics = compile_source(text, name)
    return policy, diagnostics, text


def load(path: Path, file: str | None = None) -> Policy:
    """Compile the policy at `path`, raising CompileError with every diagnostic."""
    policy, diagnostics, text = compile_file(path, file)
    if policy is None:
        raise CompileError(diagnostics, {file or str(path): text})
    return policy


def find_sources(paths: list[Path]) -> list[Path]:
    """Policy files named directly, or found (sorted) in the directories named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.policy")))
        else:
            found.append(path)
    return found
