"""The README's configuration table and `Settings.from_env` name the same variables.

Datasette checks its settings documentation the same way: a variable added to the code but
not to the table (or left in the table after the code stopped reading it) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


class RecordingEnv(dict[str, str]):
    """An empty environment that remembers every variable asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _table_rows() -> Iterator[str]:
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith("| `"):
            yield line.split("|")[1]


def documented_variables() -> set[str]:
    return {name for cell in _table_rows() for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_every_variable_settings_reads_is_in_the_readme_table_and_vice_versa(tmp_path: Path) -> None:
    env = RecordingEnv()
    Settings.from_env(tmp_path, env)
    assert env.read, "Settings.from_env read no variables: the recording mapping is not being used"
    documented = documented_variables()
    assert sorted(env.read - documented) == [], "read by bot/config.py but missing from the README table"
    assert sorted(documented - env.read) == [], "in the README table but not read by bot/config.py"
