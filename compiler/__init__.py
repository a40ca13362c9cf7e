"""policyc: a compiler for medical policies written as code.

The pipeline, one package per stage, data flowing one way (docs/architecture.md):

    source text --syntax/--> nodes.PolicyFile (syntax tree)
                --check/---> model.Policy (checked, in model/)
                --targets/-> generated files: Python evaluator (with runtime/), schemas, models, docs

`contract.py` describes each policy's request and decision once for the targets;
`interpret.py` evaluates a checked policy directly: the oracle that the generated
evaluators are tested against. `analysis/` asks an SMT solver about every request at
once, for the author tools (`check`'s W901-W905, `diff`'s proof, `test --suggest`). `cli.py` is the `policyc` command.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from compiler.check import check
from compiler.diagnostics import CompileError, Diagnostic, Span, error, has_errors
from compiler.interpret import verify_examples
from compiler.model import Policy
from compiler.syntax.nodes import PolicyFile
from compiler.syntax.parse import parse

__version__ = "0.1.0"


def compile_source(text: str, file: str) -> tuple[Policy | None, list[Diagnostic]]:
    """Parse and check one policy source; the policy is None when there are errors."""
    _, policy, diagnostics = compile_tree(text, file)
    return policy, diagnostics


def compile_tree(text: str, file: str) -> tuple[PolicyFile | None, Policy | None, list[Diagnostic]]:
    """`compile_source`, with the syntax tree too (None when the text does not parse): the editor
    server names what the tree declares."""
    if "\r" in text and "\n" not in text:  # it would read as one line, a comment if it starts with one
        hint = "save the file with LF (or CR LF) line ends"
        return None, None, [error("E001", "the lines end with CR alone (classic Mac OS)", Span(file, 1, 1, 1, 1), hint)]
    tree, diagnostics = parse(text, file)
    if tree is None:  # a syntax error; errors in values (an unreal date, a bad escape) still leave a tree
        return None, None, diagnostics
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    policy, more = check(tree, Path(file).name, sha256)
    if policy is not None and not has_errors(diagnostics):
        more += verify_examples(policy, file)  # the examples that are valid requests (E602 is the checker's)
    return tree, (None if has_errors(diagnostics + more) else policy), diagnostics + more


MAX_SOURCE_BYTES = 1024 * 1024  # a policy or test file; the largest real one is under 40 KB


def read_source(path: Path, name: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of a policy or test file, or why there is none: not a regular file (a FIFO would block
    for ever, a symlink may loop), too large, unreadable, or not UTF-8."""
    where = Span(name, 1, 1, 1, 1)
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:  # a FIFO must not block
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None, [error("E000", "not a regular file", where)]
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        return None, [error("E000", f"cannot read file: {exc.strerror or exc}", where)]
    if len(data) > MAX_SOURCE_BYTES:
        return None, [error("E000", f"file is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB", where)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [error("E000", f"file is not valid UTF-8 (byte {exc.start})", where)]


def compile_file(path: Path, file: str | None = None) -> tuple[Policy | None, list[Diagnostic], str]:
    """Read and compile one policy file: the policy (None on errors), diagnostics, source text."""
    name = file or str(path)
    text, problems = read_source(path, name)
    if text is None:
        return None, problems, ""
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
            found.extend(sorted(path.rglob("*.policy")))  # a link that loops is found, then refused on reading
        else:
            found.append(path)
    return found
