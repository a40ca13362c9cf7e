"""The order of decision as an SVG flowchart, drawn at build time (no script, no network).

One box per rule, tried top to bottom, with the wording of the provision it applies, whole:
"true" goes right to the rule's outcome, "unknown" to the unknown outcome, "false" down to
the next rule, and after the last rule to `otherwise`. Outcomes are coloured by their kind
(approval, denial, review, unknown, not applicable), with a legend. Every text is XML-escaped.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

from compiler import model

_GAP = 34  # between one rule's box and the next: room for the "false" arrow
_BOX_W = 430
_OUT_X, _OUT_W = 560, 250
_TOP = 46
_LINE = 15  # the height of a line of wording
_WRAP = 64  # characters of wording a line holds
_MAX_LINES = 8  # wording longer than this is cut, with "…": the page shows it whole

# Each kind of outcome has its colour (fill, stroke), so a denial never looks like an approval.
COLOURS = {
    "approval": ("#e8f5e9", "#2e7d32"),
    "denial": ("#fdecea", "#b71c1c"),
    "review": ("#fff4e0", "#b26a00"),
    "unknown": ("#eceff1", "#455a64"),
    "not_applicable": ("#f5f5f5", "#757575"),
}


def _text(x: float, y: float, text: str, *, size: int = 13, anchor: str = "start", weight: str = "normal") -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}">'
        f"{escape(text)}</text>"
    )


def _lines(text: str) -> list[str]:
    """The wording in lines of at most _WRAP characters, cut (with "…") only past _MAX_LINES."""
    lines = textwrap.wrap(text, _WRAP, break_long_words=True) or [""]
    if len(lines) > _MAX_LINES:
        lines = [*lines[: _MAX_LINES - 1], lines[_MAX_LINES - 1][: _WRAP - 1].rstrip() + "…"]
    return lines


def _pill(x: float, y: float, width: float, outcome: str, kind: str) -> list[str]:
    fill, stroke = COLOURS[kind]
    return [
        f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="28" rx="14" fill="{fill}" stroke="{stroke}" '
        f'class="policyc-outcome policyc-{kind.replace("_", "-")}"/>',
        _text(x + width / 2, y + 19, outcome, anchor="middle"),
    ]


def render(policy: model.Policy, revision: model.Revision) -> str:
    """The flowchart of one revision's order of decision (a policy has one unless it keeps several)."""
    rules = revision.rules
    wordings = [_lines(policy.provision(rule.section).wording) for rule in rules]
    heights = [30 + _LINE * len(lines) for lines in wordings]
    legend_y = _TOP + sum(h + _GAP for h in heights) + 56
    height = legend_y + 40
    width = _OUT_X + _OUT_W + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="policyc-decision" role="img" '
        f'width="100%" style="max-width: {width}px" viewBox="0 0 {width} {height}" font-family="sans-serif">',
        f"<title>{escape(policy.policy_id)}: order of decision"
        + (f" ({escape(revision.name)})" if len(policy.revisions) > 1 else "")
        + "</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        _text(20, 24, f"Order of decision: an unknown condition stops with {policy.unknown}", size=13),
    ]
    y = _TOP
    for i, (rule, lines, box) in enumerate(zip(rules, wordings, heights, strict=True)):
        stroke = COLOURS[policy.outcome_kind(rule.outcome)][1]
        parts += [
            f'<rect x="20" y="{y}" width="{_BOX_W}" height="{box}" rx="6" fill="#eef3fb" stroke="#3b5b92"/>',
            _text(32, y + 20, f"{i + 1}. when {rule.condition_text}", weight="bold"),
            *(_text(32, y + 38 + _LINE * n, line, size=11) for n, line in enumerate(lines)),
            # true: to the outcome on the right, in its kind's colour
            f'<line x1="{20 + _BOX_W}" y1="{y + 18}" x2="{_OUT_X}" y2="{y + 18}" stroke="{stroke}" '
            'marker-end="url(#arrow)"/>',
            _text(20 + _BOX_W + 10, y + 13, "true", size=11),
            *_pill(_OUT_X, y + 4, _OUT_W, rule.outcome, policy.outcome_kind(rule.outcome)),
            # unknown: a dashed line to the unknown outcome
            f'<line x1="{20 + _BOX_W}" y1="{y + 42}" x2="{_OUT_X}" y2="{y + 42}" stroke="#455a64" '
            'stroke-dasharray="4 3" marker-end="url(#arrow)"/>',
            _text(20 + _BOX_W + 10, y + 56, "unknown", size=11),
            _text(_OUT_X + 8, y + 46, policy.unknown, size=11),
            # false: down to the next rule
            f'<line x1="60" y1="{y + box}" x2="60" y2="{y + box + _GAP}" stroke="#555" marker-end="url(#arrow)"/>',
            _text(68, y + box + 22, "false", size=11),
        ]
        y += box + _GAP
    parts += _pill(20, y, _BOX_W, f"otherwise: {revision.otherwise}", policy.outcome_kind(revision.otherwise))
    parts.append(_text(20, legend_y - 10, "Outcomes by kind:", size=11))
    x = 20.0
    for kind, (fill, stroke) in COLOURS.items():
        label = kind.replace("_", " ")
        parts += [
            f'<rect x="{x:g}" y="{legend_y}" width="14" height="14" rx="3" fill="{fill}" stroke="{stroke}"/>',
            _text(x + 20, legend_y + 11, label, size=11),
        ]
        x += 34 + 7 * len(label)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
