"""What several targets share instead of importing each other: the names of a policy's outputs,
and loading a generated evaluator to run it."""

from __future__ import annotations

import keyword
import re
import sys
import types
from collections.abc import Mapping
from pathlib import PurePosixPath


class Unwritable(Exception):
    """A valid policy that one target cannot write exactly: the build warns (W801) and writes none of
    that target's files for it, rather than writing something that decides otherwise."""


Files = dict[PurePosixPath, str]  # what a target emits: paths under its root, and their text
Built = Mapping[str, Files]  # the files of the targets one requires, by name


def module_name(policy_id: str) -> str:
    """The importable module name of a policy: MP-MM-1308 -> mp_mm_1308."""
    name = re.sub(r"[^0-9a-z]+", "_", policy_id.lower()).strip("_")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):  # `import import` would not parse
        return f"{name}_policy"
    return name if name and not name[0].isdigit() else f"policy_{name}"


def evaluator_path(policy_id: str) -> PurePosixPath:
    """Where the Python target writes a policy's evaluator, under its root."""
    return PurePosixPath("python") / f"{module_name(policy_id)}.py"


def schema_id(policy_id: str, kind: str) -> str:
    """The `$id` of the request or decision schema."""
    return f"urn:policyc:{policy_id}:{kind}"


def load(text: str, name: str, file: str) -> types.ModuleType:
    """A generated module, from its text, loaded as `import` would."""
    module = types.ModuleType(name)
    module.__file__ = file
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(text, file, "exec"), module.__dict__)  # our own output, not input
    return module
