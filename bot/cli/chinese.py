"""Chinese help pages for our `flask` commands: the frame click draws around our help texts.

Why: the help texts are Chinese, but click writes "Usage:", "Options:", "Commands:" and
"Show this message and exit." around them, so a clerk reading `flask kb import --help` meets
English exactly where the command line is explained. Click takes those words from the
process-wide `gettext` domain, which we must not rebind for a whole server; instead our groups
and commands carry their own context class (its formatter writes the Chinese frame) and their
own `--help` option. Flask's own top-level `flask --help` and click's usage-error lines
("Error: …", "Try … for help.") stay as click prints them.
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

#: Click's section headings, as our help pages name them.
SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
USAGE = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
HELP_TEXT = "显示本帮助并退出。"


class ChineseHelpFormatter(click.HelpFormatter):
    """Writes click's help frame in Chinese; the text between is the commands' own."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{SECTIONS.get(heading, heading)}：\n")


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


class _ChineseHelpOption:
    """The `--help` option with a Chinese description (click's own says it in English)."""

    context_class: type[click.Context] = ChineseContext
    _chinese_help: click.Option | None = None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        names = self.get_help_option_names(ctx)  # type: ignore[attr-defined]
        if not names or not self.add_help_option:  # type: ignore[attr-defined]
            return None
        if self._chinese_help is None:
            self._chinese_help = click.Option(names, is_flag=True, expose_value=False, is_eager=True,
                                              help=HELP_TEXT, callback=_show_help)
        return self._chinese_help


class ChineseCommand(_ChineseHelpOption, click.Command):
    """A command whose `--help` page is framed in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)


class _ChineseGroupFrame(_ChineseHelpOption):
    """A group whose usage line, `--help` and subcommands are Chinese-framed."""

    command_class: type[click.Command] | None = ChineseCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)


class ChineseGroup(_ChineseGroupFrame, AppGroup):
    """Flask's `AppGroup`: its commands run in the app context."""


class ChinesePlainGroup(_ChineseGroupFrame, click.Group):
    """A plain click group, for a group whose own callback manages the app context."""
