"""The custom menu from the repository's file: checked, answered by topic, pushed to WeChat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from bot.config import ConfigError, Settings
from bot.menu import DEFAULT_FILE, MenuError, load_menu, parse_menu
from bot.runtime import get_runtime
from tests.fake_wechat_api import APPID, SECRET, FakeWeChatApi
from tests.support import DIBAO, OTHER, add_knowledge, event_xml, post, reply_fields

MENU = """
[[button]]
name = "办事"
  [[button.sub_button]]
  name = "高龄津贴"
  key = "MENU_GAOLING"
  topic = "高龄津贴申领"
  [[button.sub_button]]
  name = "政务公开"
  url = "portal"
[[button]]
name = "官网"
url = "https://www.example.gov.cn/"
"""


def test_the_repository_menu_file_is_valid_and_maps_its_keys() -> None:
    menu = load_menu(DEFAULT_FILE)
    assert menu.topics and all(menu.topics.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[button]]\nname = "一二三四五六"\nkey = "K"\ntopic = "t"', "名称太长"),
        ('[[button]]\nname = "办事"\nkey = "K"', "没有 topic"),
        ('[[button]]\nname = "办事"\nkey = "中文"\ntopic = "t"', "key 只能用"),
        ('[[button]]\nname = "办事"\nurl = "ftp://x"', "http://"),
        ('[[button]]\nname = "办事"\nkey = "K"\ntopic = "t"\nurl = "portal"', "选且只选一种"),
        ("\n".join(f'[[button]]\nname = "按钮{i}"\nkey = "K{i}"\ntopic = "t"' for i in range(4)), "1 到 3 个"),
        ('[[button]]\nname = "办事"\n' + "".join(f'[[button.sub_button]]\nname = "子{i}"\nkey = "K{i}"\ntopic = "t"\n'
                                                 for i in range(6)), "1 到 5 个"),
        ('[[button]]\nname = "甲"\nkey = "K"\ntopic = "t"\n'
         '[[button]]\nname = "乙"\nkey = "K"\ntopic = "t"', "不止一次"),
        ("[[button]\n", "格式有误"),
    ],
)
def test_a_bad_menu_is_refused_with_the_reason_in_chinese(text: str, message: str) -> None:
    with pytest.raises(MenuError, match=message):
        parse_menu(text)


def test_the_portal_link_needs_the_portal_url() -> None:
    with pytest.raises(MenuError, match="TOWNSHIP_PORTAL_URL"):
        parse_menu(MENU).wechat_json(portal_url="")


def test_a_missing_menu_file_named_in_the_settings_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WECHAT_MENU_FILE"):
        Settings.from_env(tmp_path, {"WECHAT_MENU_FILE": str(tmp_path / "none.toml")})


@pytest.fixture
def menu_file(tmp_path: Path) -> Path:
    path = tmp_path / "menu.toml"
    path.write_text(MENU, encoding="utf-8")
    return path


def test_a_menu_button_is_answered_as_its_topic(make_app: Callable[..., Flask], menu_file: Path) -> None:
    app = make_app(WECHAT_MENU_FILE=str(menu_file))
    add_knowledge(get_runtime(app), faqs=[*DIBAO, *OTHER])
    reply = reply_fields(post(app.test_client(), event_xml("CLICK", key="MENU_GAOLING")).data)
    assert "年满80周岁" in reply["Content"]


def test_menu_push_creates_the_menu_through_the_api(make_app, menu_file: Path, wechat_api: FakeWeChatApi,
                                                      redis_url: str, redis_prefix: str) -> None:
    app = make_app(WECHAT_MENU_FILE=str(menu_file), WECHAT_APPID=APPID, WECHAT_APPSECRET=SECRET,
                   WECHAT_API_BASE=wechat_api.base, REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix,
                   TOWNSHIP_PORTAL_URL="https://www.example.gov.cn/zwgk/")
    result = app.test_cli_runner().invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 0, result.output
    assert "已推送自定义菜单" in result.output
    assert wechat_api.menus == [{"button": [
        {"name": "办事", "sub_button": [
            {"type": "click", "name": "高龄津贴", "key": "MENU_GAOLING"},
            {"type": "view", "name": "政务公开", "url": "https://www.example.gov.cn/zwgk/"}]},
        {"type": "view", "name": "官网", "url": "https://www.example.gov.cn/"}]}]


def test_menu_push_reports_a_wechat_refusal(make_app, menu_file: Path, wechat_api: FakeWeChatApi,
                                            redis_url: str, redis_prefix: str) -> None:
    app = make_app(WECHAT_MENU_FILE=str(menu_file), WECHAT_APPID=APPID, WECHAT_APPSECRET=SECRET,
                   WECHAT_API_BASE=wechat_api.base, REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix,
                   TOWNSHIP_PORTAL_URL="https://www.example.gov.cn/zwgk/")
    wechat_api.fail_next(40016)  # invalid button count, as WeChat would say
    api = get_runtime(app).wechat_api
    assert api is not None
    api.access_token  # noqa: B018 - fetch first, so the failure hits menu/create
    wechat_api.fail_next(40016)
    result = app.test_cli_runner().invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 1 and "错误码 40016" in result.output and wechat_api.menus == []


def test_menu_push_without_an_appsecret_says_what_is_missing(make_app, menu_file: Path) -> None:
    result = make_app(WECHAT_MENU_FILE=str(menu_file), TOWNSHIP_PORTAL_URL="https://x.gov.cn/").test_cli_runner() \
        .invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 1 and "WECHAT_APPSECRET" in result.output


def test_menu_push_dry_run_prints_the_menu_without_sending(make_app, menu_file: Path) -> None:
    app = make_app(WECHAT_MENU_FILE=str(menu_file), TOWNSHIP_PORTAL_URL="https://x.gov.cn/")
    result = app.test_cli_runner().invoke(args=["wechat", "menu", "push", "--dry-run"])
    assert result.exit_code == 0 and '"key": "MENU_GAOLING"' in result.output


def test_menu_help_is_chinese(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["wechat", "menu", "push", "--help"])
    assert "按菜单文件创建公众号自定义菜单" in result.output
