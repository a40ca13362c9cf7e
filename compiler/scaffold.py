"""`policyc new ID`: a first policy and its test file, which check, test and build cleanly, for an
author to fill in with the statement's own words. Its page and its place in the site's navigation
come from `policyc build` (the navigation lists every policy page by itself)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from compiler import compile_source
from compiler.diagnostics import Diagnostic, has_errors
from compiler.syntax.fmt import format_source, format_tests
from compiler.syntax.unparse import quote

POLICY = '''# {id}: {title}.
# Written by `policyc new`: replace each part with the statement's own words and numbers.
# The language reference is docs/language.md; `policyc check` says what is wrong, where.

policy "{id}" {{
    title: {quoted_title}
    publisher: "Who publishes the statement"
    effective: {today}
}}

fact age: integer 0..130 unit "years"
    "Member age in whole years on the date of service."

section A "Policy" {{
    rule A.I "The member is 18 years of age or older." when age >= 18
}}

outcome covered "The criterion of A.I is met."
outcome not_covered "The criterion of A.I is not met."
outcome insufficient_information "The outcome depends on facts that are unknown."

# Tried in order: the first rule whose condition is true decides; an unknown one stops.
decide {{
    covered when A.I
    otherwise not_covered by A.I
    unknown insufficient_information
}}

example "An adult member" expect covered {{
    age: 40
}}
'''

TESTS = """# Test cases for {id}.policy, run by `policyc test`. Each case starts from a request and
# states only what it changes; `null` makes a fact unknown.

request adult {{
    age: 40
}}

case "An adult member is covered" from adult expect covered by A.I {{
}}

case "A member of 17 is not" from adult expect not_covered by A.I {{
    age: 17
}}

case "The age unknown leaves the outcome unknown" from adult expect insufficient_information by A.I missing [age] {{
    age: null
}}
"""


def scaffold(policy_id: str, directory: Path, title: str | None = None) -> tuple[list[Path], list[Diagnostic] | str]:
    """Write ID.policy and ID.tests into `directory`: the files written, or why none were (the
    diagnostics of an id the language refuses, or a file that exists)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", policy_id):  # it names files: nothing else gets in
        return [], f"policy id {policy_id!r} may use only letters, digits, '.', '_' and '-'"
    title = " ".join((title or "Title of the policy").split())
    fields = {"id": policy_id, "title": title, "quoted_title": quote(title), "today": datetime.date.today().isoformat()}
    paths = [directory / f"{policy_id}.policy", directory / f"{policy_id}.tests"]
    existing = [p for p in paths if p.exists()]
    if existing:
        return [], f"{existing[0]} exists: policyc new writes only new files"
    source, problems = format_source(POLICY.format(**fields), paths[0].name)
    if source is None:
        return [], problems
    policy, problems = compile_source(source, paths[0].name)
    if policy is None or has_errors(problems):
        return [], problems
    tests, problems = format_tests(TESTS.format(**fields), paths[1].name)
    assert tests is not None, problems  # a fixed text, tested
    directory.mkdir(parents=True, exist_ok=True)
    paths[0].write_text(source, encoding="utf-8")
    paths[1].write_text(tests, encoding="utf-8")
    return paths, []
