"""Chinese help pages for our `flask` commands: the frame click draws around our help texts.

Why: the help texts are Chinese, but click writes "Usage:", "Options:", "Commands:" and
"Show this message and exit." around them, so a clerk reading `flask kb import --help` meets
English exactly where the command line is explained. Click takes those words from the
process-wide `gettext` domain, which we must not rebind for a whole server; instead our groups
and commands carry their own context class (its formatter writes the Chinese frame) and their
own `--help` option. The same classes turn click's usage errors ("Error: Missing argument …",
"Try … for help.") into Chinese: click builds those messages from fixed English templates, so
they are matched template by template (`USAGE_MESSAGES`); one no template matches keeps click's
wording inside the Chinese frame, and our own messages are Chinese already. Flask's own
top-level `flask --help` stays as Flask prints it.
"""

from __future__ import annotations

import re
from typing import IO, Any

import click
from flask.cli import AppGroup

#: Click's section headings, as our help pages name them.
SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
USAGE = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
HELP_TEXT = "显示本帮助并退出。"

#: The bracket click appends to an option's help ("[default: jsonl; required]"), by item.
_EXTRA = re.compile(r"\[([^\[\]]*)\]$")
_EXTRA_ITEMS = ((re.compile(r"^default: "), "默认："), (re.compile(r"^env var: "), "环境变量："),
                (re.compile(r"^required$"), "必填"))

#: Click's usage-error templates (click 8.x) and their Chinese; `{n}` is the n-th group.
USAGE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), chinese) for pattern, chinese in (
    (r"^Missing argument (.+)\.$", "缺少参数 {1}。"),
    (r"^Missing option (.+)\.$", "缺少选项 {1}。"),
    (r"^Missing parameter:? (.+?)\.?$", "缺少参数 {1}。"),
    (r"^Missing command\.$", "缺少命令。"),
    (r"^No such command (.+)\.$", "没有命令 {1}。"),
    (r"^No such option:? (.+?)\.? Did you mean (.+)\?$", "没有选项 {1}，您是不是想用 {2}？"),
    (r"^No such option:? (.+?)\.? \(Did you mean one of: (.+)\?\)$", "没有选项 {1}，您是不是想用其中之一：{2}？"),
    (r"^No such option:? (.+?)\.?$", "没有选项 {1}。"),
    (r"^Option (.+) does not take a value\.$", "选项 {1} 不接受值。"),
    (r"^Option (.+) requires an argument\.$", "选项 {1} 需要一个值。"),
    (r"^Option (.+) requires (\d+) arguments\.$", "选项 {1} 需要 {2} 个值。"),
    (r"^Argument (.+) takes (\d+) values\.$", "参数 {1} 需要 {2} 个值。"),
    (r"^Got unexpected extra arguments? \((.+)\)$", "多余的参数：{1}"),
    (r"^(.+) is not one of (.+)\.$", "{1} 不是可选的值（{2}）。"),
    (r"^(.+) is not in the range (.+)\.$", "{1} 不在范围 {2} 之内。"),
    (r"^(.+) is not a valid integer\.$", "{1} 不是整数。"),
    (r"^(.+) is not a valid float\.$", "{1} 不是数字。"),
    (r"^(.+) is not a valid boolean\.$", "{1} 不是是/否值。"),
    (r"^(.+) does not match the formats? (.+)\.$", "{1} 不符合格式 {2}。"),
    (r"^File (.+) does not exist\.$", "文件 {1} 不存在。"),
    (r"^Directory (.+) does not exist\.$", "目录 {1} 不存在。"),
    (r"^Path (.+) does not exist\.$", "路径 {1} 不存在。"),
))
_INVALID_VALUE = re.compile(r"^Invalid value for (.+?): (.+)$", re.DOTALL)


def chinese_usage_message(message: str) -> str:
    """Click's English usage-error message in Chinese; a message no template knows is kept."""
    invalid = _INVALID_VALUE.match(message)
    if invalid:
        return f"{invalid.group(1)} 的值无效：{chinese_usage_message(invalid.group(2))}"
    if message.startswith("Invalid value: "):
        return f"值无效：{chinese_usage_message(message.removeprefix('Invalid value: '))}"
    for pattern, chinese in USAGE_MESSAGES:
        found = pattern.match(message)
        if found:
            return chinese.format(found.group(0), *found.groups())
    return message


class ChineseUsageError(click.UsageError):
    """Exit status 2, shown as click shows a usage error but in Chinese."""

    @classmethod
    def of(cls, error: click.UsageError) -> ChineseUsageError:
        return cls(chinese_usage_message(error.format_message()), error.ctx)

    def show(self, file: IO[Any] | None = None) -> None:
        if self.ctx is not None:
            click.echo(f"{self.ctx.get_usage()}\n请运行 '{self.ctx.command_path} --help' 查看帮助。\n",
                       err=True, file=file, color=self.ctx.color)
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


def _chinese_extra(help_text: str) -> str:
    bracket = _EXTRA.search(help_text)
    if bracket is None:
        return help_text
    items = []
    for item in bracket.group(1).split("; "):
        for pattern, chinese in _EXTRA_ITEMS:
            item = pattern.sub(chinese, item)
        items.append(item)
    return f"{help_text[:bracket.start()]}[{'；'.join(items)}]"


class ChineseHelpFormatter(click.HelpFormatter):
    """Writes click's help frame in Chinese; the text between is the commands' own."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{SECTIONS.get(heading, heading)}：\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _chinese_extra(text)) for term, text in rows], col_max, col_spacing)


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


class _ChineseHelpOption:
    """The `--help` option with a Chinese description (click's own says it in English), and
    usage errors raised while parsing or running the command shown in Chinese."""

    context_class: type[click.Context] = ChineseContext
    _chinese_help: click.Option | None = None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except ChineseUsageError:
            raise
        except click.UsageError as error:
            raise ChineseUsageError.of(error) from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except ChineseUsageError:
            raise
        except click.UsageError as error:
            raise ChineseUsageError.of(error) from error

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
