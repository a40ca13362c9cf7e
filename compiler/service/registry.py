"""The policies a service decides with: each one compiled once at start, with its evaluator, its
FHIR bindings (for one EHR profile) and the extractor made from them.

A policy or bindings file with an error stops the service before it listens: a service that starts
decides with every policy it lists.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import __version__, compile_file, find_sources, model
from compiler.diagnostics import Diagnostic, display_path, has_errors
from compiler.fhir import bindings as fhir_bindings
from compiler.fhir.extract import Chart, Extraction, extractor


@dataclass(frozen=True)
class Served:
    policy: model.Policy
    evaluator: types.ModuleType
    bindings: fhir_bindings.Bindings | None
    extract: Callable[[Chart], Extraction] | None

    @property
    def policy_id(self) -> str:
        return self.policy.policy_id

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.policy_id,
            "title": self.policy.title,
            "effective": self.policy.effective.isoformat(),
            "revisions": [r.name for r in self.policy.revisions],
            "source": self.policy.source_name,
            "source_sha256": self.policy.source_sha256,
            "bindings": None
            if self.bindings is None
            else {
                "profile": self.bindings.profile,
                "source": self.bindings.source_name,
                "sha256": self.bindings.sha256,
            },
        }

    def decide(self, request: object) -> dict[str, Any]:
        """The decision as JSON types, with what an appeal needs to reproduce it; raises the
        evaluator's InvalidRequest naming each bad field."""
        decision = self.evaluator.evaluate(request)
        return {
            **decision.to_dict(),
            "description": self.evaluator.OUTCOMES[decision.outcome],
            "source_sha256": self.policy.source_sha256,
            "compiler": f"policyc {__version__}",
        }


def load(directory: Path, profile: str) -> tuple[dict[str, Served], list[Diagnostic], dict[str, str]]:
    """Every policy under `directory`, with its bindings for `profile` when it has them."""
    from compiler.targets import python

    served: dict[str, Served] = {}
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in find_sources([directory]):
        name = display_path(path)
        policy, found, sources[name] = compile_file(path, name)
        diagnostics += found
        if policy is None:
            continue
        bindings = None
        candidate = path.with_name(f"{path.stem}.{profile}.bindings")
        if candidate.is_file():
            where = display_path(candidate)
            bindings, found, sources[where] = fhir_bindings.load(candidate, policy, where)
            diagnostics += found
        make = None if bindings is None else extractor(bindings, policy)
        served[policy.policy_id] = Served(policy, python.load_module(policy), bindings, make)
    if has_errors(diagnostics):
        return {}, diagnostics, sources
    return served, diagnostics, sources
