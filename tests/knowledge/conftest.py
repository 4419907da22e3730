"""A store on SQLite and on the real PostgreSQL, for every knowledge test that writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    db = Store(url)
    db.migrate()
    yield db
    db.engine.dispose()
