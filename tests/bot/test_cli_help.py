"""Every `flask` command of ours explains itself in Chinese, frame included (用法 / 选项 / 命令).

The commands are walked from `bot.cli.COMMANDS`, so a command added later cannot be missed.
"""

from __future__ import annotations

import click
import pytest
from flask import Flask

from bot.cli import COMMANDS


def _paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    path = (*prefix, command.name or "")
    paths = [path]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            paths.extend(_paths(sub, path))
    return paths


ALL_PATHS = [path for command in COMMANDS for path in _paths(command)]


def test_the_walk_finds_nested_commands() -> None:
    assert ("wechat", "menu", "push") in ALL_PATHS and ("kb", "import") in ALL_PATHS
    assert ("report", "flush-spool") in ALL_PATHS


@pytest.mark.parametrize("path", ALL_PATHS, ids=" ".join)
def test_help_page_is_framed_in_chinese(app: Flask, path: tuple[str, ...]) -> None:
    result = app.test_cli_runner().invoke(args=[*path, "--help"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("用法：") and first.split(" ", 1)[1].startswith(" ".join(path) + " [选项]")
    assert "选项：" in result.output and "--help" in result.output and "显示本帮助并退出。" in result.output
    for english in ("Usage:", "Options:", "Commands:", "Show this message and exit."):
        assert english not in result.output


def test_a_group_lists_its_commands_under_a_chinese_heading(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "--help"])
    assert "命令：" in result.output and "命令 [参数]..." in result.output.splitlines()[0]
    assert "import" in result.output.split("命令：", 1)[1]


def test_help_still_exits_before_the_command_runs(app: Flask) -> None:
    # --help is eager: a required argument is not asked for and nothing is imported.
    result = app.test_cli_runner().invoke(args=["kb", "remove", "--help"])
    assert result.exit_code == 0 and "删除" in result.output
