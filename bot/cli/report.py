"""Placeholder until the command group is written."""

from flask import Flask


def register(app: Flask) -> None:
    return None
