"""Targets: each turns a checked `model.Policy` into generated files.

Every target is a module with `emit(policy) -> dict[PurePosixPath, str]`, the
paths relative to the output directory. Adding a target adds a module here
and a line in TARGETS, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from compiler.model import Policy
from compiler.targets import pydantic_models, python, schema

Emitter = Callable[[Policy], dict[PurePosixPath, str]]

TARGETS: dict[str, Emitter] = {
    "python": python.emit,
    "schema": schema.emit,
    "models": pydantic_models.emit,
}


def emit_all(policy: Policy) -> dict[PurePosixPath, str]:
    files: dict[PurePosixPath, str] = {}
    for emit in TARGETS.values():
        files.update(emit(policy))
    return files
