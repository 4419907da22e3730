"""待处理: the questions citizens asked that the bot could not answer, or answered to a 不满意.

Groups come from bot/reports/queue.py (the report's grouping), most asked first. From a
group's page staff either add its wordings as 相似问法 of an existing entry (found by the
bot's own search for the commonest wording, or by searching entries), write a new FAQ entry
from a form already filled with the wordings, or set the group aside. Each writes through
the editor (revision + audit) and marks the group handled in the same transaction.
"""

from __future__ import annotations

import datetime

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select

from bot.admin.accounts import Role
from bot.admin.security import require, review_required, staff_name
from bot.reports.queries import Period
from bot.reports.queue import QueueGroup, build_queue
from bot.reports.queue_marks import add_as_similar, create_faq, dismiss
from bot.runtime import get_runtime
from knowledge.asks import FOLLOW_UP_WORDS
from knowledge.editor import EditError, FaqData
from knowledge.models import FaqEntry, SegmentCache
from knowledge.segcache import segmentation_key
from knowledge.text import TextProcessor
from knowledge.topicwords import shares_topic

bp = Blueprint("admin_queue", __name__, url_prefix="/admin/queue")

PERIODS = {7: "最近 7 天", 30: "最近 30 天", 90: "最近 90 天", 365: "最近一年"}
PAGE_SIZE = 30
CANDIDATES = 8


def _days() -> int:
    days = request.values.get("days", type=int) or 30
    return days if days in PERIODS else 30


def _period(days: int) -> Period:
    today = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)).date()
    return Period(today - datetime.timedelta(days=days - 1), today + datetime.timedelta(days=1))


def _group(key_hash: str, days: int) -> QueueGroup | None:
    found = build_queue(get_runtime().db, _period(days), only=key_hash).groups
    return found[0] if found else None


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    days = _days()
    number = max(1, request.args.get("page", type=int) or 1)
    queue = build_queue(get_runtime().db, _period(days), offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-queue.total_groups // PAGE_SIZE))
    if number > pages:  # past the end: show the last page
        number = pages
        queue = build_queue(get_runtime().db, _period(days), offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    shown = queue.groups
    return render_template("admin/queue.html", groups=shown, total=queue.total_groups, days=days, periods=PERIODS,
                           number=number, pages=pages, questions=queue.total_questions, nearest=_nearest(shown))


def _nearest(groups: list[QueueGroup]) -> dict[str, tuple[str, int, str]]:
    """Group hash → (kind, id, title) of the nearest entry worth showing, for the groups that have one.

    The entry the search came closest to is shown only when it shares a topic word with the
    group's commonest wording — the rule that keeps the citizens' related suggestions from
    being absurd (knowledge/topicwords.py). Otherwise 盖新房子要办什么手续 would point staff
    at 新生儿怎么办理户口登记 just because both ask 办 and 手续; no entry is better than that.
    """
    wanted = {g.hash: g.nearest[0][1] for g in groups if g.nearest and g.nearest[0][0] == "faq"}
    if not wanted:
        return {}
    kb = get_runtime().kb
    with get_runtime().db.session() as session:
        entries = {f.id: f for f in session.scalars(select(FaqEntry).where(FaqEntry.id.in_(set(wanted.values()))))}
    texts = {i: (e.question, *e.similar, e.answer) for i, e in entries.items()}
    analysed = _analysed(kb.processor, [t for each in texts.values() for t in each])
    shown = {}
    domain = kb.domain_verbs
    for group in groups:
        entry = entries.get(wanted.get(group.hash, -1))
        if entry is None:
            continue
        terms = kb.analyze(group.wording)
        entry_terms = frozenset(t for text in texts[entry.id] for t in analysed[text])
        if shares_topic(terms, entry_terms.intersection(terms), FOLLOW_UP_WORDS, domain=domain):
            shown[group.hash] = ("faq", entry.id, entry.question)
    return shown


_ANALYSED_KEPT = 4096
_analysed_memo: dict[tuple[str, str], tuple[str, ...]] = {}


def _analysed(processor: TextProcessor, texts: list[str]) -> dict[str, tuple[str, ...]]:
    """The analysed terms of entries' texts: an answer takes milliseconds to segment, and the page shows 30.

    Kept per process; after a start, read from the segmentation cache that index builds keep
    in the database (`knowledge.segcache`: the same terms, keyed by lexicon and text), and
    analysed here only when it has not got them.
    """
    version = processor.lexicon_version
    found = {t: _analysed_memo[(version, t)] for t in texts if (version, t) in _analysed_memo}
    missing = {segmentation_key(version, t): t for t in set(texts) - set(found)}
    if missing:
        with get_runtime().db.session() as session:
            for text_hash, tokens in session.execute(select(SegmentCache.text_hash, SegmentCache.tokens).where(
                    SegmentCache.text_hash.in_(sorted(missing)))):
                found[missing.pop(text_hash)] = tuple(tokens.split("\t")) if tokens else ()
        rest = list(missing.values())
        found.update(zip(rest, (tuple(terms) for terms in processor.analyze_many(rest)), strict=True))
        if len(_analysed_memo) > _ANALYSED_KEPT:
            _analysed_memo.clear()
        _analysed_memo.update({(version, t): terms for t, terms in found.items()})
    return found


def _candidates(group: QueueGroup, query: str) -> list[FaqEntry]:
    """Entries to add the wordings to: those the search came nearest to, then the bot's hits, then `query`."""
    runtime = get_runtime()
    ids = [i for kind, i, _ in group.nearest if kind == "faq"]
    ids += [h.doc.id for h in runtime.kb.search(group.wording).hits if h.doc.kind == "faq"]
    with runtime.db.session() as session:
        live = FaqEntry.deleted_at.is_(None)
        found = {f.id: f for f in session.scalars(select(FaqEntry).where(FaqEntry.id.in_(set(ids)), live))}
        ordered = [found[i] for i in dict.fromkeys(ids) if i in found]
        if query:
            pattern = "%" + query.replace("%", "").replace("_", "") + "%"
            match = or_(FaqEntry.question.like(pattern), FaqEntry.similar_json.like(pattern))
            if query.isdigit():
                match = or_(match, FaqEntry.id == int(query))
            ordered = list(session.scalars(select(FaqEntry).where(match, live).order_by(FaqEntry.id)
                                           .limit(CANDIDATES * 3)))
    return ordered[:CANDIDATES * 3 if query else CANDIDATES]


@bp.get("/<key_hash>")
@require(Role.EDITOR)
def group(key_hash: str) -> ResponseReturnValue:
    days = _days()
    found = _group(key_hash, days)
    if found is None:
        flash("这组问题已经处理过，或这段时间里没有人再问。")
        return redirect(url_for(".index", days=days), code=303)
    query = request.args.get("q", "").strip()[:100]
    return render_template("admin/queue_group.html", group=found, days=days, query=query,
                           candidates=_candidates(found, query), form=None, error=None)


def _already_handled(days: int) -> ResponseReturnValue:
    """A staff action on a group that another person handled meanwhile: back to the queue."""
    flash("这组问题已经处理过了。", "warn")
    return redirect(url_for(".index", days=days), code=303)


def _refused(found: QueueGroup, days: int, exc: EditError, form: dict[str, str] | None) -> ResponseReturnValue:
    """The group's page again with the editor's refusal next to the form (nothing was written)."""
    return render_template("admin/queue_group.html", group=found, days=days, query="", error=str(exc),
                           candidates=_candidates(found, ""), form=form), 400


@bp.post("/<key_hash>/similar")
@require(Role.EDITOR)
def add_similar(key_hash: str) -> ResponseReturnValue:
    days = _days()
    found = _group(key_hash, days)
    if found is None:
        return _already_handled(days)
    entry_id = request.form.get("entry_id", type=int)
    try:
        if entry_id is None:
            raise EditError("请选择要加入的问答")
        result = add_as_similar(get_runtime().db, found, entry_id, request.form.getlist("wording"), staff_name(),
                                review=review_required())
    except EditError as exc:
        return _refused(found, days, exc, form=None)
    count = len(request.form.getlist("wording"))
    flash(f"已提交审核（待审核 #{result.pending}）：把 {count} 种问法加入问答 {entry_id} 的相似问法，审核人发布后生效。"
          if result.pending else f"已把 {count} 种问法加入问答 {entry_id} 的相似问法，几秒内生效。")
    return redirect(url_for(".index", days=days), code=303)


@bp.post("/<key_hash>/new")
@require(Role.EDITOR)
def new_faq(key_hash: str) -> ResponseReturnValue:
    days = _days()
    found = _group(key_hash, days)
    if found is None:
        return _already_handled(days)
    form = {name: request.form.get(name, "") for name in ("question", "answer", "similar", "url", "category")}
    data = FaqData(question=form["question"], answer=form["answer"], similar=form["similar"],
                   url=form["url"] or None, category=form["category"] or None)
    try:
        result = create_faq(get_runtime().db, found, data, staff_name(), review=review_required())
    except EditError as exc:
        return _refused(found, days, exc, form=form)
    if result.pending:
        flash(f"已提交审核（待审核 #{result.pending}）：新建问答，审核人发布后生效。")
        return redirect(url_for("admin_review.show", change_id=result.pending), code=303)
    flash(f"已新建问答 {result.id}，几秒内生效。")
    from bot.admin import entry_url  # the package imports this module first

    return redirect(entry_url("faq", result.id or 0) or url_for(".index", days=days), code=303)


@bp.post("/<key_hash>/dismiss")
@require(Role.EDITOR)
def dismiss_group(key_hash: str) -> ResponseReturnValue:
    days = _days()
    found = _group(key_hash, days)
    if found is None:
        abort(404)
    dismiss(get_runtime().db, found, staff_name())
    flash("已忽略这组问题；以后再有人这样问会重新出现。")
    return redirect(url_for(".index", days=days), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
