"""pyproject.toml (what `pip install .` needs) and the requirements files (the pinned locks) agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins(name: str) -> dict[str, Requirement]:
    pins: dict[str, Requirement] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def _declared(group: str | None) -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {canonicalize_name(r.name): r for r in map(Requirement, listed)}


@pytest.mark.parametrize(("lock", "group"), [("requirements.txt", None), ("requirements-dev.txt", "dev")])
def test_every_pinned_package_is_declared_and_its_pin_satisfies_the_range(lock: str, group: str | None) -> None:
    pins, declared = _pins(lock), _declared(group)
    assert sorted(pins) == sorted(declared)
    for name, pin in pins.items():
        (version,) = (spec.version for spec in pin.specifier)
        assert declared[name].specifier.contains(version), f"{name}=={version} is outside {declared[name].specifier}"
        assert declared[name].extras == pin.extras, name
