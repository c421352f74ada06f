"""Deploys install what was tested: every runtime package, indirect ones included, is pinned."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pinned(path: Path) -> dict[str, str]:
    """name -> version of the `name==version` lines of a requirements/constraints file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.\[\]-]+)==([^\s#;]+)", line.strip())
        if found:
            name = re.sub(r"\[.*\]", "", found.group(1))
            pins[canonicalize_name(name)] = found.group(2)
    return pins


def runtime_closure() -> set[str]:
    """requirements.txt and everything they need on this platform, as installed."""
    todo = [Requirement(line) for line in _requirement_lines(ROOT / "requirements.txt")]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker and not requirement.marker.evaluate()):
            continue
        seen.add(name)
        for raw in metadata.requires(requirement.name) or []:
            needed = Requirement(raw)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                todo.append(needed)
        for extra in requirement.extras:
            for raw in metadata.requires(requirement.name) or []:
                needed = Requirement(raw)
                if needed.marker is not None and needed.marker.evaluate({"extra": extra}):
                    todo.append(needed)
    return seen


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_constraints_pin_every_runtime_package():
    constraints = pinned(ROOT / "constraints.txt")

    missing = runtime_closure() - set(constraints)

    assert not missing, f"constraints.txt lacks {sorted(missing)}: regenerate it (see its header)"


def test_constraints_agree_with_requirements_and_the_installed_versions():
    constraints = pinned(ROOT / "constraints.txt")

    for name, version in pinned(ROOT / "requirements.txt").items():
        assert constraints[name] == version, name
    for name in runtime_closure():
        assert metadata.version(name) == constraints[name], name


def test_every_install_uses_the_constraints():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    render = (ROOT / "render.yaml").read_text(encoding="utf-8")

    assert "-c constraints.txt" in makefile
    assert "pip install -r requirements.txt -c constraints.txt" in render
