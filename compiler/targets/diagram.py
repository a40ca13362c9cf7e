"""The order of decision as an SVG flowchart, drawn at build time (no script, no network).

One box per rule, tried top to bottom: "true" goes right to the rule's
outcome, "unknown" to the unknown outcome, "false" down to the next rule, and
after the last rule to `otherwise`. Every text is XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from compiler import model

_ROW = 86
_BOX_W, _BOX_H = 430, 52
_OUT_X, _OUT_W = 560, 250
_TOP = 46


def _text(x: float, y: float, text: str, *, size: int = 13, anchor: str = "start", weight: str = "normal") -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}">'
        f"{escape(text)}</text>"
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(policy: model.Policy, revision: model.Revision) -> str:
    """The flowchart of one revision's order of decision (a policy has one unless it keeps several)."""
    rules = revision.rules
    height = _TOP + _ROW * len(rules) + 70
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
    for i, rule in enumerate(rules):
        y = _TOP + i * _ROW
        provision = policy.provision(rule.section)
        head = f"{i + 1}. when {rule.condition_text}"
        parts += [
            f'<rect x="20" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="#eef3fb" stroke="#3b5b92"/>',
            _text(32, y + 20, head, weight="bold"),
            _text(32, y + 40, _shorten(provision.wording, 62), size=11),
            # true: to the outcome on the right
            f'<line x1="{20 + _BOX_W}" y1="{y + 18}" x2="{_OUT_X}" y2="{y + 18}" stroke="#2e7d32" '
            'marker-end="url(#arrow)"/>',
            _text(20 + _BOX_W + 10, y + 13, "true", size=11),
            f'<rect x="{_OUT_X}" y="{y + 4}" width="{_OUT_W}" height="28" rx="14" fill="#e8f5e9" stroke="#2e7d32"/>',
            _text(_OUT_X + _OUT_W / 2, y + 23, rule.outcome, anchor="middle"),
            # unknown: a dashed line to the unknown outcome
            f'<line x1="{20 + _BOX_W}" y1="{y + 42}" x2="{_OUT_X}" y2="{y + 42}" stroke="#b26a00" '
            'stroke-dasharray="4 3" marker-end="url(#arrow)"/>',
            _text(20 + _BOX_W + 10, y + 56, "unknown", size=11),
            _text(_OUT_X + 8, y + 46, policy.unknown, size=11),
            # false: down to the next rule
            f'<line x1="60" y1="{y + _BOX_H}" x2="60" y2="{y + _ROW}" stroke="#555" marker-end="url(#arrow)"/>',
            _text(68, y + _BOX_H + 22, "false", size=11),
        ]
    y = _TOP + len(rules) * _ROW
    parts += [
        f'<rect x="20" y="{y}" width="{_BOX_W}" height="36" rx="18" fill="#fdecea" stroke="#b71c1c"/>',
        _text(20 + _BOX_W / 2, y + 23, f"otherwise: {revision.otherwise}", anchor="middle"),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
