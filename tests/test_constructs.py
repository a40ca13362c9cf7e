"""Every construct of the language, decided the same by generated code and the interpreter."""

from __future__ import annotations

import itertools
import json
import sys
import types
from pathlib import Path
from typing import Any

from compiler import compile_source, contract, interpret, load
from compiler.targets import python

SOURCE = Path(__file__).parent / "cases" / "good" / "constructs.policy"
POLICY = load(SOURCE)


def generated() -> types.ModuleType:
    module = types.ModuleType("constructs")
    sys.modules["constructs"] = module
    exec(compile(python.render(POLICY), "constructs", "exec"), module.__dict__)
    return module


def every_request() -> list[dict[str, Any]]:
    """Each fact unknown or at values around each threshold: every combination."""
    choices: dict[str, list[Any]] = {
        "state": [None, "AA", "BB", "CC"],
        "service_date": [None, "2024-12-31", "2025-05-31", "2025-06-01", "2026-01-01"],
        "score": [None, 4, 5, 10],
        "flag": [None, False, True],
        "kind": [None, "a", "c"],
        "tags": [None, [], ["x"], ["y"], ["z", "y"]],
        "other_date": [None, "2025-02-28", "2025-03-01"],
    }
    names = list(choices)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*choices.values())]


def test_generated_and_interpreter_agree_on_every_combination() -> None:
    module = generated()
    requests = every_request()
    assert len(requests) > 10_000
    outcomes = set()
    for request in requests:
        decision = module.evaluate(request)
        ours = decision.to_dict()
        assert ours == interpret.evaluate(POLICY, request), request
        # The lean path (two-valued while facts are known) decides exactly the same.
        lean = module.evaluate(request, explain=False)
        assert lean == decision._replace(evaluated=(), results=()), request
        # JSON built from pieces encoded once is exactly the JSON of the dict, with and without criteria.
        assert decision.to_json() == json.dumps(ours, ensure_ascii=False), request
        assert lean.to_json() == json.dumps(lean.to_dict(), ensure_ascii=False), request
        outcomes.add(ours["outcome"])
    assert outcomes == {"outside", "excluded", "special", "yes", "no", "unknown"}


def decide(**request: Any) -> tuple[str, str, list[str]]:
    d = interpret.evaluate(POLICY, request)
    return d["outcome"], d["section"], d["missing"]


IN_FORCE = {"state": "AA", "service_date": "2025-07-01"}


def test_state_specific_effective_and_inactive_dates() -> None:
    assert decide(state="BB", service_date="2025-05-31")[0] == "outside"
    assert decide(state="BB", service_date="2025-06-01", tags=["z"])[0] == "excluded"
    assert decide(state="BB", service_date="2026-01-01")[0] == "outside"
    assert decide(state="AA", service_date="2026-01-01", tags=["z"])[0] == "excluded"


def test_at_least_two_of_three() -> None:
    base = {**IN_FORCE, "flag": False}
    assert decide(**base, score=5, kind="a", tags=["y"])[0] == "yes"
    assert decide(**base, score=4, kind="c", tags=[])[0] == "no"
    assert decide(**base, score=4, kind="c", tags=["x"])[0] == "no"
    assert decide(**base, score=4, kind="a", tags=["x"])[0] == "yes"
    # one true, one unknown, one false: unknown, and only the unknown criterion's fact is missing
    assert decide(**base, score=5, tags=["y"]) == ("unknown", "D.I", ["kind"])


def test_nested_any_inside_a_rule() -> None:
    assert decide(**IN_FORCE, tags=[], flag=True, score=10)[0] == "special"
    assert decide(**IN_FORCE, tags=[], flag=True, score=9, other_date="2025-02-28", kind="a")[0] == "yes"
    assert decide(**IN_FORCE, tags=[], flag=True, score=9)[0:2] == ("unknown", "D.II")


def test_clarification_reads_its_facts() -> None:
    d = interpret.evaluate(POLICY, {**IN_FORCE, "tags": ["z"], "notes": ["n1"]})
    assert d["outcome"] == "excluded"
    assert d["clarifications"][0]["facts"] == {"notes": ["n1"]}
    assert d["advisories"] == [{"section": "D.V", "wording": "An advisory."}]


def test_a_fallback_cites_its_own_basis_never_the_last_rule() -> None:
    """`otherwise OUTCOME by SECTION` cites that section; without `by`, the decision cites `otherwise`."""
    source = SOURCE.read_text(encoding="utf-8")
    fallback = next(line.strip() for line in source.splitlines() if line.strip().startswith("otherwise "))
    outcome = fallback.split()[1]
    last = POLICY.revisions[0].rules[-1].section
    for written, cited in ((f"otherwise {outcome}", "otherwise"), (f"otherwise {outcome} by D.II", "D.II")):
        policy, diagnostics = compile_source(source.replace(fallback, written), "c.policy")
        assert policy is not None, diagnostics
        module = python.load_module(policy)
        fallbacks = set()
        for request in every_request()[::7]:
            decided = module.evaluate(request).to_dict()
            assert interpret.evaluate(policy, request)["section"] == decided["section"]
            if all(interpret.Evaluation(policy, interpret.validate(policy, request)).value(r.condition) is False
                   for r in policy.rules):  # fmt: skip
                fallbacks.add((decided["outcome"], decided["section"]))
        assert fallbacks == {(outcome, cited)} and cited != last
        assert cited in contract.decision(policy).sections
