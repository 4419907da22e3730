"""The account's custom menu, kept in a file in the repository (`bot/data/wechat_menu.toml`).

One file says both what WeChat shows and what the bot does: CLICK buttons carry a `key` and
the `topic` the bot answers when the button is tapped (read into `Settings.menu_topics` at
start), VIEW buttons a `url` (or `"portal"` for `TOWNSHIP_PORTAL_URL`). `flask wechat menu
push` sends it to WeChat. WeChat's limits are checked here, so a mistake is reported with the
button's name before anything is sent.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "wechat_menu.toml"
PORTAL = "portal"
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")


class MenuError(ValueError):
    """The menu file cannot be used; the message is Chinese and names the button."""


@dataclass(frozen=True)
class Menu:
    buttons: list[dict[str, Any]]  # as in the file, validated

    @property
    def topics(self) -> dict[str, str]:
        """CLICK key → topic, for the conversation."""
        found: dict[str, str] = {}
        for button in self.buttons:
            for leaf in button.get("sub_button", [button]):
                if "key" in leaf:
                    found[leaf["key"]] = leaf["topic"]
        return found

    def wechat_json(self, portal_url: str) -> dict[str, Any]:
        """The body of WeChat's menu/create call."""
        return {"button": [self._render(b, portal_url) for b in self.buttons]}

    def _render(self, button: dict[str, Any], portal_url: str) -> dict[str, Any]:
        if "sub_button" in button:
            return {"name": button["name"], "sub_button": [self._render(b, portal_url) for b in button["sub_button"]]}
        if "key" in button:
            return {"type": "click", "name": button["name"], "key": button["key"]}
        url = portal_url if button["url"] == PORTAL else button["url"]
        if not url:
            raise MenuError(f"按钮“{button['name']}”链接到政务公开页面，但没有设置 TOWNSHIP_PORTAL_URL")
        return {"type": "view", "name": button["name"], "url": url}


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _check(button: Any, level: int, keys: set[str]) -> dict[str, Any]:
    if not isinstance(button, dict) or not str(button.get("name", "")).strip():
        raise MenuError("每个按钮都要有名称（name）")
    name = str(button["name"]).strip()
    limit, rule = (16, "一级菜单最多 5 个汉字") if level == 1 else (60, "子菜单最多 20 个汉字")
    if _bytes(name) > limit:
        raise MenuError(f"按钮“{name}”的名称太长（{rule}）")
    kinds = [k for k in ("sub_button", "key", "url") if k in button]
    if len(kinds) != 1:
        raise MenuError(f"按钮“{name}”要在 key+topic、url、sub_button 中选且只选一种")
    if "sub_button" in button:
        subs = button["sub_button"]
        if level != 1:
            raise MenuError(f"按钮“{name}”：子菜单下不能再有子菜单")
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            raise MenuError(f"按钮“{name}”的子菜单要有 1 到 5 个")
        return {"name": name, "sub_button": [_check(b, 2, keys) for b in subs]}
    if "key" in button:
        key, topic = str(button["key"]).strip(), str(button.get("topic", "")).strip()
        if not _KEY.match(key):
            raise MenuError(f"按钮“{name}”的 key 只能用英文字母、数字、下划线和连字符（最多 128 个）")
        if key in keys:
            raise MenuError(f"key “{key}” 用了不止一次")
        if not topic:
            raise MenuError(f"按钮“{name}”有 key 却没有 topic（点击后要检索的话题）")
        keys.add(key)
        return {"name": name, "key": key, "topic": topic}
    url = str(button["url"]).strip()
    if url != PORTAL and not re.match(r"^https?://\S+$", url):
        raise MenuError(f"按钮“{name}”的链接要以 http:// 或 https:// 开头，或写 \"portal\"")
    if _bytes(url) > 1024:
        raise MenuError(f"按钮“{name}”的链接太长")
    return {"name": name, "url": url}


def parse_menu(text: str) -> Menu:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MenuError(f"菜单文件格式有误：{exc}") from None
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise MenuError("菜单要有 1 到 3 个一级按钮（[[button]]）")
    keys: set[str] = set()
    return Menu([_check(b, 1, keys) for b in buttons])


def load_menu(path: Path) -> Menu:
    try:
        return parse_menu(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MenuError(f"读不到菜单文件 {path}：{exc.strerror}") from None
