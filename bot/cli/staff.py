"""`flask staff …`: staff accounts for the workspace at /admin.

There is no default account and no default password: the first reviewer is made here.
Passwords come from a hidden prompt (typed twice) or, for scripts, one line on stdin
(`--password-stdin`); they are never taken as a command-line argument, which `ps` would show.
"""

from __future__ import annotations

import sys

import click

from bot.admin import audit
from bot.admin.accounts import AccountError, Role, add_account, list_accounts, set_active, set_password
from bot.cli.chinese import ChineseGroup
from bot.cli.errors import CommandFailed, runtime_with_schema

group = ChineseGroup("staff", help="工作人员账号：新建、改密码、停用、列表。")
ROLES = click.Choice(["viewer", "editor", "reviewer"])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")


def _fail(error: AccountError) -> None:
    raise CommandFailed(str(error)) from error


@group.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, required=True,
              help="viewer 只看报表和记录；editor 可编辑；reviewer 还可发布、删除、看审计。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读一行作为密码（供脚本使用）。")
def add_command(name: str, role: str, password_stdin: bool) -> None:
    """新建工作人员账号。"""
    runtime = runtime_with_schema()
    try:
        staff = add_account(runtime.db, name, _read_password(password_stdin), Role.parse(role))
    except AccountError as error:
        _fail(error)
    audit.record(runtime.db, "命令行", "staff.add", detail=f"{staff.name}（{staff.role.label}）")
    click.echo(f"已创建账号“{staff.name}”，角色：{staff.role.label}。登录地址：/admin/login")


@group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读一行作为新密码。")
def passwd_command(name: str, password_stdin: bool) -> None:
    """修改密码（同时解除锁定）。"""
    runtime = runtime_with_schema()
    try:
        set_password(runtime.db, name, _read_password(password_stdin))
    except AccountError as error:
        _fail(error)
    audit.record(runtime.db, "命令行", "staff.passwd", detail=name)
    click.echo(f"已修改“{name}”的密码。")


@group.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """停用账号（立即失去登录状态）。"""
    runtime = runtime_with_schema()
    try:
        set_active(runtime.db, name, False)
    except AccountError as error:
        _fail(error)
    audit.record(runtime.db, "命令行", "staff.disable", detail=name)
    click.echo(f"已停用“{name}”。")


@group.command("list")
def list_command() -> None:
    """列出所有账号。"""
    for row in list_accounts(runtime_with_schema().db):
        state = "启用" if row.active else "停用"
        last = f"{row.last_login_at:%Y-%m-%d %H:%M}" if row.last_login_at else "从未登录"
        click.echo(f"{row.name}\t{Role.parse(row.role).label}\t{state}\t最近登录：{last}")
