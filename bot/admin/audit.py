"""The audit trail: who logged in (or failed to), changed, imported or exported what, and when.

`record` is the one way to add an event from outside the editor (logins, imports, exports);
changes are recorded by `knowledge.editor` itself in the same transaction as the change. The
page `/admin/audit` lets a reviewer filter by person, kind of event and date.
"""

from __future__ import annotations

import datetime

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import func, or_, select

from bot.admin.accounts import Role
from bot.admin.paging import Page
from bot.admin.security import require
from bot.runtime import get_runtime
from knowledge.models import AuditEvent, utcnow
from knowledge.revisions import ACTION_LABELS
from knowledge.store import Store

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")

# Filter groups shown to reviewers; an event's action starts with one of the prefixes.
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "login": ("登录", ("login", "logout")),
    "change": ("修改知识库", ("faq.", "item.", "kb.")),
    "import": ("导入", ("import",)),
    "export": ("导出", ("export",)),
    "review": ("审核", ("review.",)),
}
_SIMPLE_LABELS = {"login": "登录成功", "login_failed": "登录失败", "logout": "退出", "import": "导入",
                  "export": "导出", "kb.batch": "批量修改知识库", "review.submitted": "提交审核",
                  "review.published": "审核发布", "review.rejected": "审核退回", "review.withdrawn": "撤回提交"}


def record(store: Store, actor: str | None, action: str, *, target_kind: str | None = None,
           target_id: int | None = None, detail: str = "") -> None:
    """Add one event in its own transaction (login, import, export…)."""
    with store.session() as session:
        session.add(AuditEvent(at=utcnow(), actor=actor, action=action[:40], target_kind=target_kind,
                               target_id=target_id, detail=detail[:2000]))


def action_label(action: str) -> str:
    if action in _SIMPLE_LABELS:
        return _SIMPLE_LABELS[action]
    kind, _, verb = action.partition(".")
    what = {"faq": "问答", "item": "公开信息"}.get(kind)
    if what:
        return f"{what}{ACTION_LABELS.get(verb, verb)}"
    return action


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("")
@require(Role.REVIEWER)
def index() -> str:
    actor = request.args.get("actor", "").strip()
    group = request.args.get("group", "")
    since, until = _date(request.args.get("since")), _date(request.args.get("until"))
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if group in GROUPS:
        query = query.where(or_(*(AuditEvent.action.startswith(p) for p in GROUPS[group][1])))
    if since:
        query = query.where(AuditEvent.at >= datetime.datetime.combine(since, datetime.time()))
    if until:
        query = query.where(AuditEvent.at < datetime.datetime.combine(until + datetime.timedelta(days=1),
                                                                      datetime.time()))
    with get_runtime().db.session() as session:
        page = Page.of(session, query.order_by(AuditEvent.id.desc()), request.args.get("page"))
        actors = list(session.scalars(select(AuditEvent.actor).where(AuditEvent.actor.is_not(None))
                                      .group_by(AuditEvent.actor).order_by(func.min(AuditEvent.actor))))
    return render_template("admin/audit.html", page=page, actors=actors, groups=GROUPS, actor=actor,
                           group=group, since=since, until=until, action_label=action_label)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
