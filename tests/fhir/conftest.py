"""Charts and policies the FHIR tests share."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from compiler import jsontext, load, model
from compiler.fhir import bindings

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@functools.cache
def policy(policy_id: str) -> model.Policy:
    return load(POLICIES / f"{policy_id}.policy")


@functools.cache
def bound(policy_id: str, profile: str = "us-core") -> bindings.Bindings:
    made, diagnostics, _ = bindings.load(POLICIES / f"{policy_id}.{profile}.bindings", policy(policy_id))
    assert made is not None, diagnostics
    return made


def fixture(name: str) -> Any:
    return jsontext.decode((FIXTURES / name).read_text(encoding="utf-8"))


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]
