"""`flask` commands for staff and scripts: one module per command group, registered one way.

Every module defines its click commands at module level; `COMMANDS` lists them and `register`
adds them to the app. Help is in Chinese; exit statuses are those of `bot.cli.errors`
(0 done, 1 failed, 2 wrong command line, 3 run `flask db upgrade` first).
"""

from __future__ import annotations

import click
from flask import Flask

from bot.cli import ask, db, kb, offices, report, review, staff, wechat

# `review` adds its commands (pending, publish, reject) to the kb group.
COMMANDS: tuple[click.Command, ...] = (db.group, kb.group, ask.command, report.group, report.purge_command,
                                       wechat.group, staff.group, offices.group)

_KB_REVIEW = review  # imported for its commands on kb.group


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
