"""`flask` commands for staff and scripts: one module per command group."""

from __future__ import annotations

from flask import Flask

from bot.cli import ask, kb, report


def register(app: Flask) -> None:
    for module in (kb, ask, report):
        module.register(app)
