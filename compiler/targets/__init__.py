"""Targets: each turns a checked `model.Policy` into generated files.

Every target is a module with `emit(policy, built) -> dict[PurePosixPath, str]`, the
paths relative to the target's root: the output directory (`generated/`) for
code and schemas, the docs directory (`docs/`) for the site's pages. Adding a
target adds a module and a line in TARGETS, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from compiler.model import Policy
from compiler.targets import docs, pydantic_models, python, schema
from compiler.targets.shared import Built, Files, Unwritable

OutputFile = tuple[str, PurePosixPath]  # (root: "out" or "docs", path under it)


@dataclass(frozen=True, slots=True)
class Target:
    emit: Callable[[Policy, Built], Files]
    root: str  # "out" (generated/) or "docs" (docs/)
    requires: tuple[str, ...] = ()  # targets whose files `emit` reads, made first


def _sql(policy: Policy, built: Built) -> Files:
    """The SQL target, imported when used: sqlglot costs `policyc eval` memory and start-up time."""
    from compiler.targets import sql

    return sql.emit(policy, built)


TARGETS: dict[str, Target] = {
    "python": Target(python.emit, "out"),
    "schema": Target(schema.emit, "out"),
    "models": Target(pydantic_models.emit, "out"),
    "sql": Target(_sql, "out"),
    "docs": Target(docs.emit, "docs", requires=("python", "schema")),
}


def emit(name: str, policy: Policy) -> Files:
    """One target's files, the targets it requires made first; `Unwritable` when it cannot write them."""
    built, skipped = _emit(policy, (name,))
    if name in skipped:
        raise Unwritable(skipped[name])
    return built[name]


def emit_all(policy: Policy) -> tuple[dict[OutputFile, str], dict[str, str]]:
    """Every target's files, and why each target that cannot write this policy (nor those that need it) did not."""
    built, skipped = _emit(policy, tuple(TARGETS))
    files = {(TARGETS[name].root, path): text for name, files in built.items() for path, text in files.items()}
    return files, skipped


def _emit(policy: Policy, names: tuple[str, ...]) -> tuple[dict[str, Files], dict[str, str]]:
    built: dict[str, Files] = {}
    skipped: dict[str, str] = {}

    def make(name: str) -> None:
        if name in built or name in skipped:
            return
        target = TARGETS[name]
        for required in target.requires:
            make(required)
        missing = [required for required in target.requires if required in skipped]
        if missing:
            skipped[name] = f"it needs the {missing[0]} target's files"
            return
        try:
            built[name] = target.emit(policy, {required: built[required] for required in target.requires})
        except Unwritable as exc:
            skipped[name] = str(exc)

    for name in names:
        make(name)
    return built, skipped


def emit_site(policies: list[Policy]) -> dict[OutputFile, str]:
    """Files made from all policies together: the docs' index of policies."""
    return {("docs", path): text for path, text in docs.emit_index(policies).items()}
