"""Shared fixtures: the MP-MM-1308 policy, its committed evaluator, and both deciders."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler import interpret, load
from compiler.model import Policy

ROOT = Path(__file__).resolve().parent.parent
POLICY_SOURCE = ROOT / "policies" / "MP-MM-1308.policy"
EVALUATOR = ROOT / "generated" / "python" / "mp_mm_1308.py"
SHARED = ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


LINTERS = [["ruff", "check", "--no-cache"], ["mypy", "--strict", "--no-incremental"]]


def lint_generated(tool: list[str], policies: list[Policy], directory: Path) -> None:
    """Run ruff or mypy over each policy's evaluator and models, written into `directory`."""
    from compiler.targets import pydantic_models, python

    names = []
    for policy in policies:
        name = policy.policy_id.lower().replace("-", "_")
        (directory / f"{name}.py").write_text(python.render(policy), encoding="utf-8")
        (directory / f"{name}_models.py").write_text(pydantic_models.render(policy), encoding="utf-8")
        names += [f"{name}.py", f"{name}_models.py"]
    config = ["--config", str(ROOT / "pyproject.toml")] if tool[0] == "ruff" else []
    executable = Path(sys.executable).parent / tool[0]
    done = subprocess.run([str(executable), *tool[1:], *config, *names], capture_output=True, text=True, cwd=directory)
    assert done.returncode == 0, done.stdout + done.stderr


def import_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load(POLICY_SOURCE)


@pytest.fixture(scope="session")
def evaluator() -> ModuleType:
    """The committed generated evaluator, imported as a service would."""
    return import_file(EVALUATOR, "mp_mm_1308")


Decide = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="session", params=["generated", "interpreter"])
def decide(request: pytest.FixtureRequest, policy: Policy, evaluator: ModuleType) -> Decide:
    """Both deciders: every contract test runs against the generated code and the oracle."""
    if request.param == "generated":
        return lambda r: evaluator.evaluate(r).to_dict()
    return lambda r: interpret.evaluate(policy, r)


# A request that meets every criterion of D.I: the base that contract tests vary.
APPROVABLE: dict[str, Any] = {
    "state": "OH",
    "service_date": "2025-12-01",
    "age": 45,
    "diagnosis": "primary_achalasia",
    "achalasia_type": "II",
    "failed_conventional_therapy": True,
    "heller_surgical_candidate": True,
    "eckardt_score": 6,
    "prior_open_foregut_surgery": False,
    "contraindications": [],
    "prior_achalasia_therapies": [],
}


def request_with(**changes: Any) -> dict[str, Any]:
    """APPROVABLE with some facts changed; a value of ... removes the fact (unknown)."""
    request = dict(APPROVABLE)
    for key, value in changes.items():
        if value is ...:
            request.pop(key, None)
        else:
            request[key] = value
    return request


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for every test that needs one: starting the JVM costs seconds."""
    from compiler.batch import spark_session

    session = spark_session()
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()
