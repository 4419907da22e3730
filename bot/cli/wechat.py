"""`flask wechat …`: the account's settings on WeChat's side, sent through its API.

`flask wechat menu push` creates the custom menu from the menu file (`bot/data/wechat_menu.toml`,
or `WECHAT_MENU_FILE`) with the same API client and shared access token as the late answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import redis
from wechatpy.exceptions import WeChatClientException

from bot.cli.chinese import ChineseGroup
from bot.cli.errors import CommandFailed
from bot.menu import MenuError, load_menu
from bot.runtime import get_runtime

group = ChineseGroup("wechat", help="公众号设置：通过微信接口推送自定义菜单等。")
menu_group = ChineseGroup("menu", help="公众号自定义菜单。")
group.add_command(menu_group)


@menu_group.command("push")
@click.option("--file", "path", type=click.Path(path_type=Path),
              help="菜单文件（默认 bot/data/wechat_menu.toml 或 WECHAT_MENU_FILE）。")
@click.option("--dry-run", is_flag=True, help="只显示将要发送给微信的菜单，不发送。")
def push_menu(path: Path | None, dry_run: bool) -> None:
    """按菜单文件创建公众号自定义菜单（会替换现有菜单）。"""
    runtime = get_runtime()
    settings = runtime.settings
    path = path or settings.menu_file
    if path is None:
        raise CommandFailed("没有菜单文件：请用 --file 指定，或设置 WECHAT_MENU_FILE")
    try:
        body = load_menu(path).wechat_json(settings.township.portal_url)
    except MenuError as exc:
        raise CommandFailed(str(exc)) from None
    if dry_run:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if runtime.wechat_api is None:
        raise CommandFailed("未设置 WECHAT_APPID 和 WECHAT_APPSECRET，无法调用微信接口")
    try:
        runtime.wechat_api.menu.create(body)
    except WeChatClientException as exc:
        raise CommandFailed(f"微信拒绝了菜单（错误码 {exc.errcode}：{exc.errmsg}）") from None
    except (redis.RedisError, OSError) as exc:
        raise CommandFailed(f"无法连接微信接口：{exc}") from None
    buttons = sum(len(b.get("sub_button", [b])) for b in body["button"])
    click.echo(f"已推送自定义菜单：{len(body['button'])} 个一级菜单，共 {buttons} 个按钮。微信客户端约 5 分钟内更新。")

