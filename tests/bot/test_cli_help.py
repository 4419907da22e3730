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


def test_option_defaults_are_marked_in_chinese(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "export", "--help"])
    assert "[默认：jsonl]" in result.output and "default:" not in result.output


@pytest.mark.parametrize(("args", "chinese"), [
    (["kb", "remove"], "错误：缺少参数 '编号…'。"),
    (["kb", "export", "--format", "csv"], "错误：'--format' 的值无效：'csv' 不是可选的值（'jsonl', 'xlsx'）。"),
    (["kb", "export", "--formt", "xlsx"], "错误：没有选项 '--formt'，您是不是想用 '--format'？"),
    (["kb", "nosuch"], "错误：没有命令 'nosuch'。"),
    (["report", "--limit", "9999"], "不在范围 1<=x<=500 之内。"),
    (["report", "--since", "昨天"], "不符合格式"),
])
def test_usage_errors_are_explained_in_chinese(app: Flask, args: list[str], chinese: str) -> None:
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert chinese in result.output
    assert "请运行 '" in result.output and "--help' 查看帮助。" in result.output
    assert result.output.startswith("用法：")
    for english in ("Error:", "Try '", "Usage:", "Missing", "Invalid value", "No such"):
        assert english not in result.output


def test_our_own_usage_errors_keep_their_chinese_message(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "export", "--format", "xlsx"])
    assert result.exit_code == 2 and "错误：导出 xlsx 时请用 -o 指定文件名" in result.output


def test_an_unknown_click_message_is_kept_inside_the_chinese_frame() -> None:
    from bot.cli.chinese import chinese_usage_message

    assert chinese_usage_message("Something click adds later.") == "Something click adds later."
    assert chinese_usage_message("Invalid value for '--x': Something.") == "'--x' 的值无效：Something."
