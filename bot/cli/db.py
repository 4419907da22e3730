"""`flask db upgrade`: create or upgrade the database schema (SQLite or PostgreSQL).

Safe to run at every deployment and more than once: it creates what is missing and runs the
pending upgrades of `knowledge.store.MIGRATIONS`, nothing else. A server also runs it at start
(`bot.startup`); every other command only checks the schema and exits with status 3 when it
is missing or older.
"""

from __future__ import annotations

import click

from bot.cli.chinese import ChineseGroup
from bot.cli.errors import CommandFailed
from bot.runtime import get_runtime
from knowledge.store import SCHEMA_VERSION

group = ChineseGroup("db", help="数据库：建立或升级表结构。")


@group.command("upgrade")
def upgrade_command() -> None:
    """建立缺少的数据表并升级到当前版本（可重复运行）。"""
    db = get_runtime().db
    try:
        db.migrate()
    except Exception as exc:
        raise CommandFailed(f"数据库升级失败：{type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from exc
    click.echo(f"数据库结构已是最新（版本 {SCHEMA_VERSION}）。")
