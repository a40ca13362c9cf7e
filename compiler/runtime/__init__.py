"""The evaluator's runtime: standard-library modules whose marked parts are copied into every evaluator.

Each module here is ordinary code, linted, type-checked and unit-tested as such. Like lark's
standalone generator, the Python target copies parts of them into each evaluator, so that a
generated module still needs only the standard library:

    ###{validators          a part, named by the template that asks for it
    ###{?decimal ?integer   lines kept only when the policy uses one of these features
    ###}                    (a fact kind, a helper such as `calendar`, or `decimals`)
    ###}

Lines outside a part stay here: imports, and stand-ins for the tables an evaluator defines from
its policy (`FACTS`, `_PROVISIONS`...), which let these modules run and be tested on their own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

MODULES = ("conditions", "calendar", "requests", "records", "decisions")


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    part: str
    features: tuple[frozenset[str], ...]  # one alternative per enclosing `###{?...` block


def parts(names: tuple[str, ...], features: frozenset[str]) -> str:
    """The text of the parts named `module:part`, in order, without the lines of features a policy does not use."""
    text = []
    for name in names:
        module, _, part = name.partition(":")
        lines = [line for line in _lines(module) if line.part == part]
        if not lines:
            raise KeyError(f"compiler/runtime/{module}.py has no part {part!r}")
        text += [line.text for line in lines if all(wanted & features for wanted in line.features)]
    return "\n".join(text)


@functools.cache
def _lines(module: str) -> tuple[_Line, ...]:
    if module not in MODULES:
        raise KeyError(f"no runtime module {module!r}")
    path = Path(__file__).with_name(f"{module}.py")
    lines: list[_Line] = []
    part = ""
    blocks: list[frozenset[str]] = []  # the features each open `###{` names (none, for a part's own)
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.startswith("###{"):
            words = text[4:].split()
            wanted = frozenset(word[1:] for word in words if word.startswith("?"))
            named = [word for word in words if not word.startswith("?")]
            if len(named) != (0 if part else 1) or (part and not wanted):
                raise ValueError(f"{path.name}:{number}: a part is named at the top; a block inside names features")
            part = part or named[0]
            blocks.append(wanted)
        elif text == "###}":
            if not blocks:
                raise ValueError(f"{path.name}:{number}: `###}}` closes nothing")
            blocks.pop()
            part = part if blocks else ""
        elif part:
            lines.append(_Line(text, part, tuple(b for b in blocks if b)))
    if part:
        raise ValueError(f"{path.name}: part {part!r} is not closed")
    return tuple(lines)
