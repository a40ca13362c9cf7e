"""The bindings' docs page: every fact, in words and as FHIRPath; text from the file stays text."""

from __future__ import annotations

from compiler.fhir import bindings, fhirpath, page
from tests.fhir.conftest import POLICIES, bound, policy
from tests.fhir.test_bindings import SHIPPED


def test_the_built_pages_are_what_the_bindings_render() -> None:
    for policy_id in SHIPPED:
        built = (POLICIES.parent / "docs" / "bindings" / f"{policy_id}.us-core.md").read_text(encoding="utf-8")
        assert built == page.render(policy(policy_id), bound(policy_id))
        assert f"Source SHA-256: {bound(policy_id).sha256}" in built
        for binding in bound(policy_id).bindings:
            assert f"| `{binding.fact}` |" in built
            for path in fhirpath.expressions(binding).values():
                assert path in built


def test_a_code_is_shown_as_text_never_as_markup() -> None:
    text = (POLICIES / "MP-MM-1308.us-core.bindings").read_text(encoding="utf-8")
    made, problems = bindings.read(text.replace('"K22.0"', '"<b>K22.0</b>"'), "x.bindings", policy("MP-MM-1308"))
    assert made is not None, problems
    shown = page.render(policy("MP-MM-1308"), made)
    table = shown.split("## FHIRPath")[0]
    assert table.count("<b>") == table.count("`<b>K22.0</b>`") == 1  # in a code span, which shows it as text
