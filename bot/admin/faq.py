"""FAQ entries: list with search and filters, create, edit, preview the reply, test, disable, delete.

The form contract (issue 9, scripts and tests rely on it): `/admin/faq/new` posts `question`,
`answer`, `similar` (one wording per line), `url`, `csrf_token` (and optionally `category`,
`office`, `valid_until`); a successful save answers 303 to the entry's page `/admin/faq/<id>`
(an editor's save under review: 303 to its pending change `/admin/review/<id>`); the list is
`/admin/faq`, `?q=` searches. `/admin/faq/new?question=…&similar=…` opens the form prefilled
(the unanswered-question queue uses it).

The create/edit/disable/enable/delete routes are the shared ones of `bot.admin.entries`; this
module adds the list, the reply preview, "test this entry", and on the new-entry form the
existing entries its question reaches today (`existing_answers`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import String, cast, or_, select

from bot import compose
from bot.admin.accounts import Role
from bot.admin.entries import EntryPages
from bot.admin.paging import Page
from bot.admin.probe import Probe, probe
from bot.admin.security import require
from bot.cli.ask import reply_text
from bot.runtime import get_runtime
from bot.wechat.replies import TEXT_LIMIT_BYTES
from knowledge.document import Document
from knowledge.editor import EditResult, FaqData, ItemData, KbEditor
from knowledge.models import FaqEntry, utcnow

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


def form_of_pending(values: dict[str, Any]) -> dict[str, str]:
    """The fields a pending save gives (`knowledge.pending.data_json`; None: not given, the
    stored value stays), as the form shows them."""
    form = {name: str(values[name]) for name in FIELDS if values.get(name) is not None}
    if values.get("similar") is not None:
        form["similar"] = "\n".join(values["similar"])
    return form


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


def test_entry(row: FaqEntry) -> list[tuple[str, Probe, str | None]]:
    """The entry's question and every 相似问法 through the search: (wording, probe, how it is reached)."""
    runtime = get_runtime()
    key = f"faq:{row.id}"
    results = []
    for wording in [row.question, *row.similar]:
        found = probe(runtime, wording)
        results.append((wording, found, found.reaches(key)))
    return results


# How a question reaches an existing entry (`Probe.reaches`), as the new-entry form says it.
REACH_LABELS = {"answer": "直接回答", "list": "在编号列表中", "rival": "列在“您可能还想问”", "related": "仅列为相关"}


def existing_answers(question: str) -> list[tuple[Document, str]]:
    """The entries a citizen asking `question` is shown today, each with how (`REACH_LABELS`).

    Why: a new entry that asks what an existing one answers splits the bot's answer in two — a
    numbered list where there was an answer, and citizens' choices (and the suggestions learned
    from them) divided between the copies. Staff writing an entry from the unanswered queue see
    this before saving, and can add the wording to the existing entry's 相似问法 instead."""
    found = probe(get_runtime(), question)
    shown = [*found.decision.hits, *found.decision.rivals]
    return [(hit.doc, REACH_LABELS[how]) for hit in shown if (how := found.reaches(hit.doc.key)) is not None]


def _context(row: FaqEntry | None, form: dict[str, str]) -> dict[str, Any]:
    tested = test_entry(row) if row is not None and request.method == "GET" and request.args.get("test") else None
    question = form["question"].strip()
    existing = existing_answers(question) if row is None and question else None
    return {"preview": preview(form, row.id if row else 0), "tested": tested, "existing": existing}


def _save(editor: KbEditor, data: FaqData | ItemData, faq_id: int | None) -> EditResult:
    assert isinstance(data, FaqData)
    return editor.save_faq(data, faq_id=faq_id, only_new=faq_id is None)


pages = EntryPages(
    bp=bp, kind="faq", model=FaqEntry, label="问答", arg="faq_id", template="admin/faq_form.html", fields=FIELDS,
    form_of=form_of, data_of=data_of, status_of=status_of, save=_save,
    set_enabled=lambda editor, faq_id, enabled: editor.set_faq_enabled(faq_id, enabled),
    delete=lambda editor, faq_id: editor.delete_faq(faq_id), form_of_pending=form_of_pending, context=_context)
pages.register()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
