"""The staff workspace in the browser (/admin): server-rendered Jinja pages, no JavaScript build.

Modules, one per area: `security` (the guard before every /admin request: login, idle timeout,
CSRF, roles, kept drafts), `accounts` (roles, hashes, lockout; no Flask), `auth` (login,
logout, error pages), `entries` (what `faq` and `items` share), `faq`, `items`, `review` (待审核),
`hittest`, `audit`, `paging`.

How to add a page
-----------------
1. Write a module `bot/admin/<area>.py` with `bp = Blueprint("admin_<area>", __name__,
   url_prefix="/admin/<area>")`, views decorated with `@require(Role.VIEWER|EDITOR|REVIEWER)`
   (login and CSRF are already enforced for every /admin URL by `security.guard`; the role is
   yours to choose — the route test in tests/bot/admin/test_routes.py fails for a view without
   one), and an `init_app(app)` that registers the blueprint.
2. Add the module to `AREAS` below and, if it belongs in the navigation, a `NavItem` to `NAV`.
3. Templates go to `bot/admin/templates/admin/<area>*.html` and extend `admin/base.html`; every
   form that posts includes `<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`.
4. Writes to the knowledge base go through `knowledge.editor.KbEditor(db, editor=staff.name,
   source="后台")` — never straight to the tables — so they get a revision and an audit event;
   other events (imports, exports) call `bot.admin.audit.record`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, url_for

from bot.admin import (
    accounts,
    audit,
    auth,
    faq,
    history,
    hittest,
    imports,
    items,
    learning,
    questions,
    queue,
    reports,
    review,
    security,
)
from bot.admin.accounts import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    role: Role
    count: Callable[[], int] | None = None  # a number shown next to the label when not 0 (work waiting)


# Pages of areas built later appear as soon as their endpoint is registered.
NAV = (
    NavItem("FAQ", "admin_faq.index", Role.EDITOR),
    NavItem("公开事项", "admin_items.index", Role.EDITOR),
    NavItem("导入", "admin_imports.index", Role.EDITOR),
    NavItem("待审核", "admin_review.index", Role.EDITOR, count=review.waiting_for_me),
    NavItem("命中测试", "admin_hittest.index", Role.EDITOR),
    NavItem("群众提问", "admin_questions.index", Role.VIEWER),
    NavItem("待处理", "admin_queue.index", Role.EDITOR),
    NavItem("学习建议", "admin_learning.index", Role.VIEWER),
    NavItem("报表", "admin_reports.index", Role.VIEWER),
    NavItem("审计", "admin_audit.index", Role.REVIEWER),
)

AREAS = [auth, faq, items, history, hittest, imports, review, questions, queue, learning, reports, audit]


def _nav() -> list[tuple[NavItem, str | None]]:
    """(item, url or None when the page does not exist yet) for the logged-in person's role."""
    staff = security.current_staff()
    if staff is None:
        return []
    views = current_app.view_functions
    return [(item, url_for(item.endpoint) if item.endpoint in views else None)
            for item in NAV if staff.may(item.role)]


def entry_url(kind: str | None, entry_id: int) -> str | None:
    """The edit page of an FAQ entry or item, when that page exists."""
    endpoint, arg = {"faq": ("admin_faq.edit", "faq_id"), "item": ("admin_items.edit", "item_id")}.get(
        kind or "", ("", ""))
    values: dict[str, Any] = {arg: entry_id}
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def init_app(app: Flask) -> None:
    security.init_app(app)
    for area in AREAS:
        area.init_app(app)
    app.jinja_env.globals.update(admin_nav=_nav, entry_url=entry_url)


__all__ = ["NAV", "NavItem", "Role", "accounts", "init_app"]
