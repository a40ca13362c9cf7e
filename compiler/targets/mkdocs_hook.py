"""A MkDocs hook (mkdocs.yml `hooks:`): the site's navigation lists every generated page by itself.

The sections "Policies", "Contracts" and "FHIR bindings" of `nav` are filled from the pages in
docs/policies, docs/contracts and docs/bindings when the site is built, so a new policy appears in
the navigation without anyone editing mkdocs.yml. Each section lists its index page first (if it has
one), then the pages by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SECTIONS = {"Policies": "policies", "Contracts": "contracts", "FHIR bindings": "bindings"}


def on_config(config: Any) -> Any:
    docs = Path(config["docs_dir"])
    for item in config["nav"] or ():
        if isinstance(item, dict) and len(item) == 1:
            title = next(iter(item))
            if title in SECTIONS:
                item[title] = pages(docs / SECTIONS[title], SECTIONS[title])
    return config


def pages(folder: Path, prefix: str) -> list[Any]:
    """A section's entries: its index, then each page under its name (MP-MM-1308.md -> MP-MM-1308)."""
    found = sorted(p for p in folder.glob("*.md") if p.name != "index.md")
    entries: list[Any] = [f"{prefix}/index.md"] if (folder / "index.md").is_file() else []
    entries += [{p.stem: f"{prefix}/{p.name}"} for p in found]
    return entries
