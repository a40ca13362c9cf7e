"""Targets: each turns a checked `model.Policy` into generated files.

Every target is a module with `emit(policy) -> dict[PurePosixPath, str]`, the
paths relative to the target's root: the output directory (`generated/`) for
code and schemas, the docs directory (`docs/`) for the site's pages. Adding a
target adds a module and a line in TARGETS, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from compiler.model import Policy
from compiler.targets import docs, pydantic_models, python, schema

Emitter = Callable[[Policy], dict[PurePosixPath, str]]
OutputFile = tuple[str, PurePosixPath]  # (root: "out" or "docs", path under it)

TARGETS: dict[str, tuple[Emitter, str]] = {
    "python": (python.emit, "out"),
    "schema": (schema.emit, "out"),
    "models": (pydantic_models.emit, "out"),
    "docs": (docs.emit, "docs"),
}


def emit_all(policy: Policy) -> dict[OutputFile, str]:
    files: dict[OutputFile, str] = {}
    for emit, root in TARGETS.values():
        files.update(((root, path), text) for path, text in emit(policy).items())
    return files


def emit_site(policies: list[Policy]) -> dict[OutputFile, str]:
    """Files made from all policies together: the docs' index of policies."""
    return {("docs", path): text for path, text in docs.emit_index(policies).items()}
