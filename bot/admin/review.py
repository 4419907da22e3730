"""待审核: editors' changes waiting for a reviewer, with their diff; publish, reject with a reason.

While `ADMIN_REVIEW` is on (the default) an editor's save, import or "restore this version" is
stored as a pending change (`knowledge.pending`) and citizens keep getting the live version.
This page lists the changes (reviewers: everything waiting; editors: their own submissions and
what became of them), shows one with its diff against what is live *now* (replayed, so a
change that no longer applies says why), lets a reviewer 发布 or 退回 (with a reason the editor
reads), and lets the author 撤回. "测试" runs the change's question and 相似问法 through the real
search on a throwaway index with the change applied (`KnowledgeBase.variant`).

The shape — a list of proposals, one page per proposal with its diff and a decision form from
`admin/_decision.html` — is meant to be reused by other approval queues (e.g. 相似问法 learned
from citizens): a proposal that edits entries can simply be stored as a pending change.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.admin.paging import Page
from bot.admin.probe import Probe, probe
from bot.admin.security import current_staff, require, staff_name
from bot.runtime import get_runtime
from knowledge import pending, review
from knowledge.editor import EditError
from knowledge.models import PendingChange
from knowledge.revisions import ACTION_LABELS, diff

bp = Blueprint("admin_review", __name__, url_prefix="/admin/review")

TABS = {"pending": "待审核", "mine": "我的提交", "decided": "已处理"}
SHOWN_RECORDS = 200  # records of one change shown with their diff; the count is always complete
KIND_LABELS = {"faq": "问答", "item": "公开信息"}


def _is_reviewer() -> bool:
    staff = current_staff()
    return staff is not None and staff.may(Role.REVIEWER)


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    tab = request.args.get("tab") or ("pending" if _is_reviewer() else "mine")
    tab = tab if tab in TABS else "pending"
    query = select(PendingChange.id)
    if tab == "pending":
        query = query.where(PendingChange.status == "pending")
    elif tab == "mine":
        query = query.where(PendingChange.submitted_by == staff_name())
    else:
        query = query.where(PendingChange.status != "pending")
    order = PendingChange.id.asc() if tab == "pending" else PendingChange.id.desc()  # oldest waits first
    with get_runtime().db.session() as session:
        page = Page.of_ids(session, PendingChange, query.order_by(order), request.args.get("page"))
        waiting = pending.count_waiting(session)
    return render_template("admin/review_list.html", page=page, tab=tab, tabs=TABS, waiting=waiting,
                           status_labels=pending.STATUS_LABELS, kind_labels=KIND_LABELS)


def waiting_for_me() -> int:
    """For the navigation: how many changes wait for a reviewer (0 for anyone else)."""
    if not _is_reviewer():
        return 0
    with get_runtime().db.session() as session:
        return pending.count_waiting(session)


def _change(change_id: int) -> PendingChange:
    with get_runtime().db.session() as session:
        change = pending.get(session, change_id)
    if change is None:
        abort(404)
    return change


def _tests(replay: review.Replay) -> list[tuple[str, Probe, str | None]]:
    """Every FAQ wording the change would serve, through the search with the change applied."""
    runtime = get_runtime()
    runtime.kb.maybe_reload(wait=True)
    variant = runtime.kb.variant(replay.documents)
    results = []
    for key, doc in replay.documents.items():
        if doc is None or doc.kind != "faq":
            continue
        for wording in [doc.title, *doc.similar]:
            found = probe(runtime, wording, kb=variant)
            results.append((wording, found, found.reaches(key)))
    return results


@bp.get("/<int:change_id>")
@require(Role.EDITOR)
def show(change_id: int) -> str:
    change = _change(change_id)
    live = change.status == "pending"
    replay = review.replay(get_runtime().db, change) if live else None
    records = replay.records if replay is not None and replay.error is None else pending.records_of(change)
    tested = _tests(replay) if replay is not None and replay.error is None and request.args.get("test") else None
    with get_runtime().db.session() as session:
        moved = (live and change.kind is not None and change.entity_id is not None
                 and pending.latest_revision(session, change.kind, change.entity_id) != change.base_revision)
    shown = [(record, diff(record.kind, record.before, record.after)) for record in records[:SHOWN_RECORDS]]
    return render_template("admin/review_show.html", change=change, shown=shown, total=len(records),
                           error=replay.error if replay else None, moved=moved, tested=tested,
                           status_labels=pending.STATUS_LABELS, action_labels=ACTION_LABELS,
                           kind_labels=KIND_LABELS, mine=change.submitted_by == staff_name(),
                           is_reviewer=_is_reviewer())


def _decide(change_id: int, act: Callable[[], object], done: Callable[[object], str], then: str) -> ResponseReturnValue:
    """Run one decision; a refusal (already decided, no reason, not yours…) is shown on the change's page."""
    _change(change_id)
    try:
        outcome = act()
    except EditError as error:
        flash(str(error), "warn")
        return redirect(url_for("admin_review.show", change_id=change_id), code=303)
    flash(done(outcome))
    return redirect(then, code=303)


@bp.post("/<int:change_id>/publish")
@require(Role.REVIEWER)
def publish(change_id: int) -> ResponseReturnValue:
    def act() -> int:
        try:
            return review.publish(get_runtime().db, change_id, staff_name())
        except EditError as error:
            raise EditError(f"无法发布：{error}。可以退回，请编辑修改后重新提交") from error

    return _decide(change_id, act, lambda changed: f"已发布待审核 #{change_id}，群众几秒内就能看到。" if changed
                   else f"已发布待审核 #{change_id}（内容与线上相同，没有产生新版本）。", url_for("admin_review.index"))


@bp.post("/<int:change_id>/reject")
@require(Role.REVIEWER)
def reject(change_id: int) -> ResponseReturnValue:
    return _decide(change_id, lambda: review.reject(get_runtime().db, change_id, staff_name(),
                                                    request.form.get("reason", "")),
                   lambda _: f"已退回待审核 #{change_id}，提交人会在“我的提交”里看到理由。",
                   url_for("admin_review.index"))


@bp.post("/<int:change_id>/withdraw")
@require(Role.EDITOR)
def withdraw(change_id: int) -> ResponseReturnValue:
    return _decide(change_id, lambda: review.withdraw(get_runtime().db, change_id, staff_name()),
                   lambda _: f"已撤回待审核 #{change_id}（记录仍保留）。", url_for("admin_review.index", tab="mine"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
