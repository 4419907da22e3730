"""`flask staff add/passwd/disable/list`: passwords from a prompt or stdin, never an argument."""

from __future__ import annotations

from flask import Flask

from bot.admin.accounts import authenticate
from bot.runtime import get_runtime


def login_works(app: Flask, name: str, password: str) -> bool:
    import datetime

    result = authenticate(get_runtime(app).db, name, password, max_failures=5,
                          lockout=datetime.timedelta(minutes=1))
    return result.staff is not None


def test_staff_add_reads_the_password_from_stdin(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["staff", "add", "张三", "--role", "editor", "--password-stdin"],
                                          input="long-enough-pw\n")
    assert result.exit_code == 0, result.output
    assert "已创建账号“张三”" in result.output
    assert login_works(app, "张三", "long-enough-pw")


def test_staff_add_prompts_twice_for_the_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["staff", "add", "李四", "--role", "viewer"],
                                          input="long-enough-pw\nlong-enough-pw\n")
    assert result.exit_code == 0, result.output
    assert login_works(app, "李四", "long-enough-pw")


def test_staff_add_refuses_a_short_password_and_an_unknown_role(app: Flask) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["staff", "add", "张三", "--role", "editor", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "至少" in short.output
    wrong_role = runner.invoke(args=["staff", "add", "张三", "--role", "admin", "--password-stdin"], input="x" * 9)
    assert wrong_role.exit_code != 0


def test_staff_passwd_disable_and_list(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["staff", "add", "张三", "--role", "reviewer", "--password-stdin"], input="long-enough-pw\n")
    assert runner.invoke(args=["staff", "passwd", "张三", "--password-stdin"], input="newer-long-pw\n").exit_code == 0
    assert login_works(app, "张三", "newer-long-pw")
    assert runner.invoke(args=["staff", "disable", "张三"]).exit_code == 0
    assert not login_works(app, "张三", "newer-long-pw")
    listing = runner.invoke(args=["staff", "list"]).output
    assert "张三" in listing and "审核员" in listing and "停用" in listing


def test_there_is_no_account_until_one_is_added(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["staff", "list"]).output.strip() == ""
