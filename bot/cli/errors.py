"""Exit statuses shared by every `flask` command, and the schema check that most of them need.

| status | meaning |
|---|---|
| 0 | done |
| 1 | the command ran but could not do everything (a file not imported, the database unreachable) |
| 2 | the command line is wrong (click's usage errors: unknown option, bad date, …) |
| 3 | the database has no schema yet or an older one: run `flask db upgrade` first |

Failures are raised as `CommandFailed` / `SchemaNotReady` (click exceptions), never by
calling `sys.exit` in the middle of a command, and are printed in Chinese on stderr.
"""

from __future__ import annotations

from typing import IO, Any

import click

from bot.runtime import Runtime, get_runtime


class CommandFailed(click.ClickException):
    """Exit status 1: the reason, in Chinese, on stderr."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


class SchemaNotReady(CommandFailed):
    """Exit status 3: the command needs tables that `flask db upgrade` creates or upgrades."""

    exit_code = 3


def runtime_with_schema() -> Runtime:
    """The app's runtime, once its database schema is known to be current; else exit 3.

    Commands check rather than migrate: upgrading is `flask db upgrade`'s job (and a server's
    at start), so a report or a count never alters the database behind the operator's back.
    """
    runtime = get_runtime()
    try:
        outdated = runtime.db.needs_upgrade()
    except Exception as exc:
        raise CommandFailed(f"无法连接数据库（{type(exc).__name__}）：请检查 DATABASE_URL") from exc
    if outdated:
        raise SchemaNotReady("数据库尚未建立或需要升级：请先运行 flask --app app db upgrade")
    return runtime
