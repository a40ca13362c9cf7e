"""The docs target: golden pages, text that stays text, a drawn diagram, and the site in a real browser."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path

import markdown
import pytest

from compiler import compile_source, find_sources, load, model, targets
from compiler.syntax.unparse import quote
from compiler.targets import diagram, docs
from tests.conftest import POLICY_SOURCE, ROOT
from tests.targets.test_python import HOSTILE, hostile_policy

POLICY = load(POLICY_SOURCE)
PAGE = ROOT / "docs" / "policies" / "MP-MM-1308.md"


@pytest.mark.parametrize("source", find_sources([ROOT / "policies"]), ids=lambda p: p.stem)
def test_committed_pages_are_what_the_source_compiles_to(source: Path, update_golden: bool) -> None:
    policy = load(source, source.name)
    emitted = targets.emit("docs", policy)
    for path, text in emitted.items():
        target = ROOT / "docs" / path
        if update_golden:
            target.write_text(text, encoding="utf-8")
        assert target.read_text(encoding="utf-8") == text, path


def test_the_index_lists_every_policy(update_golden: bool) -> None:
    policies = [load(source, source.name) for source in find_sources([ROOT / "policies"])]
    emitted = docs.emit_index(policies)
    for path, text in emitted.items():
        target = ROOT / "docs" / path
        if update_golden:
            target.write_text(text, encoding="utf-8")
        assert target.read_text(encoding="utf-8") == text, path


def test_page_follows_the_statement() -> None:
    page = PAGE.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
    assert headings == [
        "Applicability",
        "A. Subject",
        "B. Background",
        "C. Definitions",
        "D. Policy",
        "E. State-Specific Information",
        "F. Conditions of Coverage",
        "G. Related Policies/Rules",
        "H. Review/Revision History",
        "I. References",
        "Interpretations awaiting clinical sign-off",
        "Order of decision",
        "Fact dictionary",
        "Calling this evaluator",
    ]
    assert "| Kentucky | KY | 2025-11-01 | 2026-01-01 |" in page
    assert "Condition: [`eckardt_score`](#fact-eckardt_score) ≥ 3" in page
    assert "[doi:10.1089/lap.2019.0432](https://doi.org/10.1089/lap.2019.0432)" in page
    assert '<a id="fact-eckardt_score"></a>`eckardt_score` | integer | 0 to 12 |' in page


def test_examples_on_the_page_are_what_the_evaluator_returns() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert '"outcome": "medically_necessary"' in page
    assert "Outcome: insufficient_information (decided by D.I)" in page
    assert "  - eckardt_score: Eckardt symptom score. (read by D.I.C)" in page


def test_diagram_is_well_formed_svg_with_every_rule() -> None:
    svg = ElementTree.fromstring(diagram.render(POLICY, POLICY.revisions[0]))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for rule in POLICY.rules:
        assert rule.outcome in texts
    assert "otherwise: not_medically_necessary" in texts
    pills = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if "policyc-outcome" in r.get("class", "")]
    assert len(pills) == len(POLICY.rules) + 1  # each rule's outcome, and otherwise's
    # Coloured by kind: a denial (contraindicated) never looks like an approval (medically_necessary).
    kinds = [r.get("class", "").split()[-1] for r in pills]
    assert kinds == [
        "policyc-not-applicable",
        "policyc-denial",
        "policyc-denial",
        "policyc-review",
        "policyc-approval",
        "policyc-denial",
    ]
    fills = {k: r.get("fill") for k, r in zip(kinds, pills, strict=True)}
    assert fills["policyc-denial"] == diagram.COLOURS["denial"][0] != fills["policyc-approval"]
    # The wording of each rule's provision is whole, in lines, not cut.
    d_iv = POLICY.provision("D.IV").wording
    assert " ".join(t for t in texts if t and t in d_iv) == d_iv


def test_the_page_a_committee_reads() -> None:
    page = _page(POLICY)
    header, rest = page.split("## Applicability", 1)
    assert "| Review | Independent medical review – March 2022 |" in header
    assert "Medical Policy Statement prepared by CareSource" in header  # the preamble comes first
    assert "| Archived  | — (no date: the statement leaves this row empty) |" in rest
    references = rest.split("## I. References", 1)[1].split("\n## ", 1)[0]
    assert references.rstrip().endswith("(https://doi.org/10.1053/j.gastro.2024.08.038)")  # nothing glued on
    # Each choice made where the statement is silent, listed and flagged beside its sections.
    assert "## Interpretations awaiting clinical sign-off" in rest
    d_iv = rest.split('<a id="d-iv"></a>', 1)[1].split('<a id="d-iv-a"></a>', 1)[0]
    assert "⚑ *Interpretation awaiting clinical sign-off:* [1](#interpretation-1)" in d_iv
    assert len(POLICY.interpretations) == 4 and all(i.sections for i in POLICY.interpretations)
    examples = rest.split("### Example: ")[1:]
    assert len(examples) == len(POLICY.examples)
    assert all('??? example "The request, the decision' in e for e in examples)  # folded


@pytest.mark.parametrize("hostile", [*HOSTILE, "<script>alert(1)</script>", "[x](javascript:alert(1))", "`code`"])
def test_policy_text_renders_as_text(hostile: str) -> None:
    rendered = markdown.markdown(docs.md(hostile))
    assert "<script" not in rendered and "<a " not in rendered and "<code" not in rendered
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert text.replace("\\", "") == " ".join(hostile.split()).replace("\\", "") or "\x00" in hostile


def test_a_hostile_policy_makes_a_page_and_a_diagram_without_markup() -> None:
    policy = hostile_policy("<script>alert(1)</script> ]]> & \"'")
    page = _page(policy)
    assert "<script" not in markdown.markdown(page, extensions=["tables"])
    ElementTree.fromstring(diagram.render(policy, policy.revisions[0]))  # still well-formed XML


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    return out


def test_site_builds_strictly_with_every_page(site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "language/index.html", "policies/index.html"):
        assert (site / page).is_file(), page
    assert (site / "policies" / "MP-MM-1308.request.schema.json").is_file()
    built = (site / "policies" / "MP-MM-1308" / "index.html").read_text(encoding="utf-8")
    assert 'href="../MP-MM-1308.request.schema.json"' in built
    assert "fonts.googleapis.com" not in built
    assert "stylesheets/policyc.css" in built  # identifiers in tables never break mid-word
    assert "white-space: nowrap" in (site / "stylesheets" / "policyc.css").read_text(encoding="utf-8")


@pytest.mark.skipif(_chromium() is None and not os.environ.get("CI"), reason="chromium is installed by .ci/run")
def test_a_reviewer_sees_the_criteria_table_and_drawn_diagram(site: Path, tmp_path: Path) -> None:
    chromium = _chromium()
    assert chromium is not None, "CI must install Debian's chromium"
    page = (site / "policies" / "MP-MM-1308" / "index.html").as_uri()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--virtual-time-budget=5000",  # let the page finish drawing before the screenshot
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    text = " ".join(text.split())
    assert "D.I.C Eckardt symptom score is greater than or equal to 3." in text
    assert "Kentucky KY 2025-11-01 2026-01-01" in text
    # The diagram is drawn SVG in the page, not diagram source waiting for a script.
    diagram_html = re.search(r'<svg[^>]*class="policyc-decision".*?</svg>', dom, flags=re.DOTALL)
    assert diagram_html is not None
    assert diagram_html.group(0).count("policyc-outcome") == len(POLICY.rules) + 1
    assert dom.count("<details") == len(POLICY.examples)  # the examples are folded
    shot = tmp_path / "page.png"
    subprocess.run(
        [chromium, *flags, "--window-size=1280,2400", f"--screenshot={shot}", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one
    # The diagram, as the site serves it, drawn by the browser: each kind of outcome in its colour.
    alone = tmp_path / "diagram.html"
    alone.write_text(f'<!doctype html><html><body style="margin:0">{diagram_html.group(0)}</body></html>')
    drawn = tmp_path / "diagram.png"
    subprocess.run(
        [chromium, *flags, "--window-size=840,760", f"--screenshot={drawn}", alone.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    colours = _colours(drawn.read_bytes())
    for kind in ("approval", "denial", "review", "not_applicable"):
        fill = diagram.COLOURS[kind][0]
        rgb = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
        assert colours.get(rgb, 0) > 200, (kind, fill)


def _colours(png: bytes) -> dict[tuple[int, int, int], int]:
    """How many pixels of each colour an 8-bit RGB or RGBA PNG (as chromium writes) has."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    data = b""
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"IDAT":
            data += body
        else:
            chunks.setdefault(kind, body)
        at += 12 + length
    width, height = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
    depth, colour_type, interlace = chunks[b"IHDR"][8], chunks[b"IHDR"][9], chunks[b"IHDR"][12]
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    size = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(data), width * size
    counts: dict[tuple[int, int, int], int] = {}
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        for i in range(0, stride, size):
            pixel = (line[i], line[i + 1], line[i + 2])
            counts[pixel] = counts.get(pixel, 0) + 1
        previous = line
    return counts


PROSE_PAYLOADS = [
    '!!! danger "Coverage denied"',
    "---",
    "*emphasis* and **strong** and _under_",
    "1. a list",
    "- a bullet",
    "+ another",
    "Setext\n===",
    "{: onclick=alert(1) }",
    "![x](javascript:alert(1))",
]


def test_a_page_has_no_markup_from_prose_or_patterns() -> None:
    """F2 and F11 of the red-team findings: a string fact's pattern and policy prose stay text on the page."""
    pattern = "M`<img src=x onerror=alert(document.domain)>`[0-9]+"
    prose = "\n".join(f"    {quote(text)}" for text in PROSE_PAYLOADS)
    source = f"""
policy "PAT-1" {{ title: "Pattern" effective: 2025-01-01 }}
fact member_id: string matching {quote(pattern)} "Member id."
fact age: integer 0..130 "Age."
section B "Background" {{
{prose}
}}
section D "Policy" {{
    rule D.I {quote(PROSE_PAYLOADS[0])} when age >= 18
}}
outcome yes "Yes."
outcome no "No."
outcome unk "Unknown."
decide {{
    yes when D.I
    otherwise no
    unknown unk
}}
"""
    policy, diagnostics = compile_source(source, "pat.policy")
    assert policy is not None, diagnostics
    page = markdown.markdown(_page(policy), extensions=["tables", "toc", "admonition"])
    assert "<img" not in page and "onerror=alert" not in html.unescape(re.sub(r"<code>.*?</code>", "", page))
    assert html.escape(pattern, quote=False) in page  # the whole pattern, in one code span
    assert 'class="admonition' not in page
    for text in (
        "<p>---</p>",
        "<p>*emphasis* and **strong** and _under_</p>",
        "<p>1. a list</p>",
        "<p>- a bullet</p>",
        "<p>+ another</p>",
        "<p>Setext ===</p>",
    ):
        assert text in page, text
    assert "<hr" not in page and "<em>" not in page and not re.search(r"<[^>]*on[a-z]+=", page)


def _page(policy: model.Policy) -> str:
    return targets.emit("docs", policy)[docs.ROOT / f"{policy.policy_id}.md"]


def test_every_generated_page_is_in_the_navigation_by_itself(site: Path) -> None:
    """mkdocs.yml lists no policy: compiler/targets/mkdocs_hook.py puts each one in the navigation."""
    home = (site / "index.html").read_text(encoding="utf-8")
    for folder in ("policies", "bindings", "contracts"):
        for page in sorted((ROOT / "docs" / folder).glob("*.md")):
            if page.name != "index.md":
                assert f'href="{folder}/{page.stem}/"' in home, page
