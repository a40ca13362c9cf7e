"""Semantic diff between two revisions of a policy: changes in meaning and their decision impact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from compiler import compile_source, diff, load
from compiler.model import Policy
from compiler.targets import python
from tests.conftest import POLICY_SOURCE, ROOT

TEXT = POLICY_SOURCE.read_text(encoding="utf-8")
OLD = load(POLICY_SOURCE)


def revised(*edits: tuple[str, str]) -> Policy:
    text = TEXT
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after)
    policy, diagnostics = compile_source(text, "MP-MM-1308.policy")
    assert policy is not None, diagnostics
    return policy


def report(new: Policy, old: Policy = OLD) -> tuple[list[str], diff.Impact]:
    found = diff.changes(old, new)
    return [c.text for c in found], diff.impact(old, new, python.load_module(old), python.load_module(new))


def test_a_threshold_change_and_the_decisions_it_changes() -> None:
    texts, impact = report(revised(("eckardt_score >= 3", "eckardt_score >= 4")))
    assert texts == ["provision D.I.C: criterion when eckardt_score >= 3 -> criterion when eckardt_score >= 4"]
    assert impact.changed > 0
    assert all(request["eckardt_score"] == 3 for request, _, _ in impact.examples)
    assert ("medically_necessary (D.I)", "not_medically_necessary (D.I)") in {(o, n) for _, o, n in impact.examples}


def test_a_state_inactive_date_change_shows_kentucky_requests_in_between() -> None:
    texts, impact = report(revised(('KY "Kentucky" inactive 2026-01-01', 'KY "Kentucky" inactive 2026-07-01')))
    assert texts == [
        "state KY: effective 2025-11-01, inactive from 2026-01-01 -> effective 2025-11-01, inactive from 2026-07-01"
    ]
    for request, before, _after in impact.examples:
        assert request["state"] == "KY" and "2026-01-01" <= request["service_date"] < "2026-07-01"
        assert before == "not_applicable (applicability)"


def test_the_order_of_decision() -> None:
    new = revised(
        (
            "    contraindicated when D.IV\n    needs_review when D.II\n",
            "    needs_review when D.II\n    contraindicated when D.IV\n",
        )
    )
    texts, impact = report(new)
    assert len(texts) == 1 and texts[0].startswith("decide order:")
    # A child with a contraindication: contraindicated before, needs_review after.
    assert any(
        before == "contraindicated (D.IV)" and after == "needs_review (D.II)" for _, before, after in impact.examples
    )


def test_facts_added_removed_and_retyped() -> None:
    new = revised(
        ("fact age: integer 0..130", "fact age: integer 0..120"),
        ('    gastroparesis "', '    gastroparesis_g "'),
    )
    texts = [c.text for c in diff.changes(OLD, new)]
    assert "fact age: integer 0..130 -> integer 0..120" in texts
    assert any(t.startswith("fact diagnosis: enum {") and "gastroparesis_g" in t for t in texts)


def test_wording_metadata_and_outcomes() -> None:
    new = revised(
        ("Eckardt symptom score is greater than or equal to 3.", "Eckardt score of 3 or more."),
        ('line_of_business: "Marketplace"', 'line_of_business: "Medicaid"'),
        ('outcome needs_review "', 'outcome needs_review "Refer: '),
    )
    texts = [c.text for c in diff.changes(OLD, new)]
    assert "metadata line_of_business: Marketplace -> Medicaid" in texts
    assert any(t.startswith("outcome needs_review: 'The member") and "-> 'Refer: The member" in t for t in texts)
    assert (
        "wording D.I.C: 'Eckardt symptom score is greater than or equal to 3.' -> 'Eckardt score of 3 or more.'"
        in texts
    )


def test_comments_and_layout_are_not_changes() -> None:
    new = revised(("decide {", "# the order of decision\ndecide   {"))
    texts, impact = report(new)
    assert texts == [] and impact.changed == 0


SMALL = """
policy "S-1" {{
    title: "Small"
    effective: 2025-01-01
}}
fact score: integer 0..10 "A score."
fact flag: boolean "A flag."
section D "Criteria" {{
    criteria D.I "Both." all of {{
        criterion D.I.A "Score." when score >= {threshold}
        criterion D.I.B "Flag." when flag
    }}
}}
outcome yes "Yes."
outcome no "No."
outcome unknown "Unknown."
decide {{
    yes when D.I
    otherwise no by D.I
    unknown unknown
}}
"""


def test_a_small_input_space_is_searched_as_a_whole_grid() -> None:
    old, _ = compile_source(SMALL.format(threshold=5), "s.policy")
    new, _ = compile_source(SMALL.format(threshold=7), "s.policy")
    assert old is not None and new is not None
    impact = diff.impact(old, new, python.load_module(old), python.load_module(new))
    assert impact.search == "grid"
    # score: unknown, 0, 4, 5, 6, 7, 8, 10; flag: unknown, true, false.
    assert impact.searched == 8 * 3
    # Changed: score 5 or 6 with the flag true (yes -> no) or unknown (unknown -> no).
    assert impact.changed == 4
    assert [(json.dumps(r, sort_keys=True), o, n) for r, o, n in impact.examples] == [
        ('{"score": 5}', "unknown (D.I)", "no (D.I)"),
        ('{"flag": true, "score": 5}', "yes (D.I)", "no (D.I)"),
    ]


# -- The command ----------------------------------------------------------------------------------


def policyc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "policyc"), *args], capture_output=True, text=True, cwd=cwd
    )


def test_policyc_diff_two_files_as_text_and_json(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "old.policy")
    (tmp_path / "new.policy").write_text(TEXT.replace("eckardt_score >= 3", "eckardt_score >= 4"), encoding="utf-8")
    done = policyc("diff", "old.policy", "new.policy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "provision D.I.C: criterion when eckardt_score >= 3 -> criterion when eckardt_score >= 4" in done.stdout
    assert "decision impact (proved): 2 pair(s) of decisions change" in done.stdout
    pair = "  medically_necessary by D.I -> not_medically_necessary by D.I\n    where eckardt_score = 3, age > 18"
    assert pair in done.stdout
    assert "cross-check by sampling: " in done.stdout
    report = json.loads(policyc("diff", "old.policy", "new.policy", "--json", cwd=tmp_path).stdout)
    assert report["changes"] == [
        {
            "kind": "provision",
            "subject": "D.I.C",
            "old": "criterion when eckardt_score >= 3",
            "new": "criterion when eckardt_score >= 4",
        }
    ]
    assert report["impact"]["changed"] > 0 and report["impact"]["examples"]
    assert report["proof"]["status"] == "changed" and report["proof"]["bound"] == ""
    pairs = {(w["old"], w["new"]) for w in report["proof"]["witnesses"]}
    assert pairs == {
        ("medically_necessary by D.I", "not_medically_necessary by D.I"),
        ("insufficient_information by D.I", "not_medically_necessary by D.I"),
    }
    assert all(w["confirmed"] and w["request"]["eckardt_score"] == 3 for w in report["proof"]["witnesses"])


def test_policyc_diff_against_a_git_revision(tmp_path: Path) -> None:
    policy = tmp_path / "policies" / "MP-MM-1308.policy"
    policy.parent.mkdir()
    shutil.copy(POLICY_SOURCE, policy)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], cwd=tmp_path, check=True)
    policy.write_text(TEXT.replace("age <= 18", "age <= 17"), encoding="utf-8")
    done = policyc("diff", "policies/MP-MM-1308.policy", "--rev", "HEAD", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "policies/MP-MM-1308.policy@HEAD -> policies/MP-MM-1308.policy" in done.stdout
    assert "provision D.II: rule when age <= 18 -> rule when age <= 17" in done.stdout
    assert "needs_review by D.II -> medically_necessary by D.I\n    where age = 18" in done.stdout
    assert policyc("diff", "policies/MP-MM-1308.policy", "--rev", "no-such-rev", cwd=tmp_path).returncode == 1


def test_policyc_diff_usage_and_bad_sources(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "old.policy")
    assert policyc("diff", "old.policy", cwd=tmp_path).returncode == 2
    (tmp_path / "bad.policy").write_text("policy {\n", encoding="utf-8")
    done = policyc("diff", "old.policy", "bad.policy", cwd=tmp_path)
    assert done.returncode == 1 and "bad.policy:1:" in done.stderr


def test_a_threshold_on_a_computed_value_is_searched_on_both_sides(tmp_path: Path) -> None:
    """Issue 13.7: raising the bariatric BMI threshold from 35 to 40 used to report no change at all."""
    source = (ROOT / "policies" / "CMS-NCD-100.1.policy").read_text()
    raised = source.replace("bmi >= 35", "bmi >= 40").replace("bmi < 35", "bmi < 40")
    old, _ = compile_source(source, "old.policy")
    new, _ = compile_source(raised, "new.policy")
    assert old is not None and new is not None
    impact = diff.impact(old, new, python.load_module(old), python.load_module(new))
    assert impact.changed > 0
    for request, before, after in impact.examples:
        bmi = Fraction(repr(request["weight_kg"])) / Fraction(repr(request["height_m"])) ** 2
        assert 35 <= bmi < 40, (request, before, after)  # every change found lies between the thresholds
    (tmp_path / "CMS-NCD-100.1.policy").write_text(raised)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "policyc"), "diff", "policies/CMS-NCD-100.1.policy",
         str(tmp_path / "CMS-NCD-100.1.policy")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert "decision impact (proved): 6 pair(s) of decisions change" in done.stdout, done.stdout
    assert "  covered by B.II -> not_covered by D.II\n    where bmi in [35, 40)" in done.stdout
    assert "cross-check by sampling" in done.stdout and "NOT CONFIRMED" not in done.stdout


def test_a_changed_term_is_a_change_and_shows_in_the_decisions() -> None:
    source = (ROOT / "policies" / "ODM-UPDL-MIGRAINE.policy").read_text(encoding="utf-8")
    old, _ = compile_source(source, "ODM-UPDL-MIGRAINE.policy")
    new, _ = compile_source(
        source.replace("period_days unit \"days\" = 180", "period_days unit \"days\" = 200"), "ODM-UPDL-MIGRAINE.policy"
    )
    assert old is not None and new is not None
    texts = [c.text for c in diff.changes(old, new)]
    assert any("carries period_days = 180" in t and "carries period_days = 200" in t for t in texts), texts
    request = {
        "request_date": "2024-03-01", "drug": "emgality", "regimen": "emgality_120mg_monthly", "doses_requested": 1,
        "days_supply": 30, "per_fda_labeling": True, "medical_necessity_reasons": ["intolerance"],
        "medication_trials": [], "prior_authorizations": [], "paid_claims": [],
    }  # fmt: skip
    before = diff._decide(old, python.load_module(old), request)
    after = diff._decide(new, python.load_module(new), request)
    assert before.startswith("approved_initial (B.1,") and "period_days = 180" in before
    assert "period_days = 200" in after
