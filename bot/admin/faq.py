"""FAQ entries: list with search and filters, create, edit, preview the reply, test, disable, delete.

The form contract (issue 9, scripts and tests rely on it): `/admin/faq/new` posts `question`,
`answer`, `similar` (one wording per line), `url`, `csrf_token` (and optionally `category`,
`office`, `valid_until`); a successful save answers 303 to the entry's page `/admin/faq/<id>`;
the list is `/admin/faq`, `?q=` searches. `/admin/faq/new?question=…&similar=…` opens the form
prefilled (the unanswered-question queue uses it).

Every save goes through `KbEditor` (revision + audit). A failed save re-renders the form with
the typed text and the message next to its field (400), so nothing typed is lost; so does a
save over someone else's newer revision (409).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import String, cast, func, or_, select

from bot import compose
from bot.admin.accounts import Role
from bot.admin.paging import Page
from bot.admin.probe import Probe, probe
from bot.admin.security import kb_editor, require, take_draft
from bot.cli.ask import reply_text
from bot.runtime import get_runtime
from bot.wechat.replies import TEXT_LIMIT_BYTES
from knowledge.document import Document
from knowledge.editor import TRASH_DAYS, EditError, FaqData
from knowledge.models import FaqEntry, Revision, utcnow
from knowledge.revisions import ACTION_LABELS, history

bp = Blueprint("admin_faq", __name__, url_prefix="/admin/faq")

FIELDS = ("question", "answer", "similar", "url", "category", "office", "valid_until")
STATUSES = {"": "全部（不含回收站）", "enabled": "启用中", "disabled": "已停用", "expired": "已过期",
            "trash": "回收站"}


def status_of(row: FaqEntry) -> tuple[str, str]:
    """(css class, Chinese label) for the list and the edit page."""
    if row.deleted_at is not None:
        return "off", "回收站"
    if not row.enabled:
        return "off", "已停用"
    if row.valid_until is not None and row.valid_until < utcnow().date():
        return "expired", "已过期"
    return "ok", "启用中"


def form_of(row: FaqEntry | None) -> dict[str, str]:
    if row is None:
        return dict.fromkeys(FIELDS, "")
    return {"question": row.question, "answer": row.answer, "similar": "\n".join(row.similar),
            "url": row.url or "", "category": row.category or "", "office": row.office or "",
            "valid_until": row.valid_until.isoformat() if row.valid_until else ""}


def data_of(form: dict[str, str]) -> FaqData:
    return FaqData(question=form["question"], answer=form["answer"],
                   similar=[line for line in form["similar"].splitlines() if line.strip()],
                   url=form["url"], category=form["category"], office=form["office"],
                   valid_until=form["valid_until"])


def preview(form: dict[str, str], entry_id: int = 0) -> dict[str, object]:
    """The reply a citizen would read if this entry answered them, and its size against WeChat's limit."""
    doc = Document(kind="faq", id=entry_id, title=form["question"].strip() or "（问题）",
                   body=form["answer"].strip() or "（答案）", url=form["url"].strip() or None)
    reply = compose.faq_answer(doc)
    text = reply_text(reply) or ""
    return {"text": text, "bytes": len(text.encode("utf-8")), "limit": TEXT_LIMIT_BYTES,
            "cut": form["answer"].strip() not in reply.content}


def latest_revision(session, faq_id: int) -> int:
    return session.scalar(select(func.max(Revision.id)).where(Revision.kind == "faq",
                                                               Revision.entity_id == faq_id)) or 0


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    q = request.args.get("q", "").strip()
    category = request.args.get("category", "")
    status = request.args.get("status", "")
    in_answers = request.args.get("answers") == "1"
    query = select(FaqEntry.id)
    if q:
        # Questions and 相似问法 by default; answers (long text, a slower scan) when asked for.
        like = {"autoescape": True}
        fields = [FaqEntry.question.contains(q, **like), FaqEntry.similar_json.contains(q, **like),
                  cast(FaqEntry.id, String) == q]
        query = query.where(or_(*fields, *([FaqEntry.answer.contains(q, **like)] if in_answers else [])))
    if category:
        query = query.where(FaqEntry.category == category) if category != "-" else query.where(
            or_(FaqEntry.category.is_(None), FaqEntry.category == ""))
    today = utcnow().date()
    live = FaqEntry.deleted_at.is_(None)
    query = query.where({
        "trash": FaqEntry.deleted_at.is_not(None),
        "enabled": live & FaqEntry.enabled.is_(True) & or_(FaqEntry.valid_until.is_(None),
                                                            FaqEntry.valid_until >= today),
        "disabled": live & FaqEntry.enabled.is_(False),
        "expired": live & (FaqEntry.valid_until < today),
    }.get(status, live))
    with get_runtime().db.session() as session:
        page = Page.of_ids(session, FaqEntry, query.order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc()),
                           request.args.get("page"))
        categories = [c for c in session.scalars(select(FaqEntry.category).distinct().order_by(FaqEntry.category))
                      if c]
    return render_template("admin/faq_list.html", page=page, q=q, in_answers=in_answers, category=category,
                           status=status,
                           statuses=STATUSES, categories=categories, status_of=status_of)


def _render_form(row: FaqEntry | None, form: dict[str, str], *, error: EditError | None = None,
                 status: int = 200, base_revision: int = 0,
                 tested: list[tuple[str, Probe, str | None]] | None = None) -> Response:
    with get_runtime().db.session() as session:
        revisions = history(session, "faq", row.id) if row is not None else []
    page = render_template("admin/faq_form.html", row=row, form=form, error=error, preview=preview(
        form, row.id if row else 0), revisions=revisions, base_revision=base_revision, tested=tested,
        status_of=status_of, action_labels=ACTION_LABELS, trash_days=TRASH_DAYS)
    return Response(page, status=status)


def _posted() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS}


@bp.get("/new")
@require(Role.EDITOR)
def new() -> ResponseReturnValue:
    form = dict.fromkeys(FIELDS, "")
    form.update({k: request.args.get(k, "") for k in FIELDS if request.args.get(k)})
    form.update(take_draft() or {})
    return _render_form(None, form)


@bp.post("/new")
@require(Role.EDITOR)
def create() -> ResponseReturnValue:
    form = _posted()
    if request.form.get("action") == "preview":
        return _render_form(None, form)
    try:
        result = kb_editor().save_faq(data_of(form), only_new=True)
    except EditError as error:
        return _render_form(None, form, error=error, status=400)
    flash(f"已保存问答 {result.id}，群众几秒内就能搜到。")
    return redirect(url_for("admin_faq.edit", faq_id=result.id), code=303)


def _load(faq_id: int) -> tuple[FaqEntry, int]:
    with get_runtime().db.session() as session:
        row = session.get(FaqEntry, faq_id)
        if row is None:
            abort(404)
        return row, latest_revision(session, faq_id)


@bp.get("/<int:faq_id>")
@require(Role.EDITOR)
def edit(faq_id: int) -> ResponseReturnValue:
    row, revision = _load(faq_id)
    form = form_of(row)
    form.update(take_draft() or {})
    tested = test_entry(row) if request.args.get("test") else None
    return _render_form(row, form, base_revision=revision, tested=tested)


@bp.post("/<int:faq_id>")
@require(Role.EDITOR)
def update(faq_id: int) -> ResponseReturnValue:
    row, revision = _load(faq_id)
    form = _posted()
    base = request.form.get("base_revision", "")
    if request.form.get("action") == "preview":
        return _render_form(row, form, base_revision=int(base or 0))
    if base.isdigit() and int(base) != revision:
        error = EditError("保存前别人已经修改了这条问答。您填写的内容仍在下面；请查看右侧的修改记录，"
                          "确认后再次保存（将覆盖对方的修改）。", field="question")
        return _render_form(row, form, error=error, status=409, base_revision=revision)
    try:
        result = kb_editor().save_faq(data_of(form), faq_id=faq_id)
    except EditError as error:
        return _render_form(row, form, error=error, status=400, base_revision=revision)
    flash("已保存。" if result.change != "unchanged" else "内容没有变化，未保存新版本。")
    return redirect(url_for("admin_faq.edit", faq_id=faq_id), code=303)


def test_entry(row: FaqEntry) -> list[tuple[str, Probe, str | None]]:
    """The entry's question and every 相似问法 through the search: (wording, probe, how it is reached)."""
    runtime = get_runtime()
    key = f"faq:{row.id}"
    results = []
    for wording in [row.question, *row.similar]:
        found = probe(runtime, wording)
        results.append((wording, found, found.reaches(key)))
    return results


def _set_enabled(faq_id: int, enabled: bool) -> ResponseReturnValue:
    try:
        kb_editor().set_faq_enabled(faq_id, enabled)
    except EditError as error:
        flash(str(error), "warn")
    else:
        flash("已启用，群众可以搜到这条问答。" if enabled else "已停用，群众不会再看到这条问答。")
    return redirect(url_for("admin_faq.edit", faq_id=faq_id), code=303)


@bp.post("/<int:faq_id>/disable")
@require(Role.REVIEWER)
def disable(faq_id: int) -> ResponseReturnValue:
    return _set_enabled(faq_id, False)


@bp.post("/<int:faq_id>/enable")
@require(Role.REVIEWER)
def enable(faq_id: int) -> ResponseReturnValue:
    return _set_enabled(faq_id, True)


@bp.post("/<int:faq_id>/delete")
@require(Role.REVIEWER)
def delete(faq_id: int) -> ResponseReturnValue:
    if kb_editor().delete_faq(faq_id):
        flash(f"问答 {faq_id} 已移到回收站，{TRASH_DAYS} 天内可以恢复。")
    return redirect(url_for("admin_faq.index"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
