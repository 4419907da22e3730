"""What citizens asked and what they got: the question log as a searchable page.

Every row shown is as stored — masked and pseudonymised by bot/questionlog.py — with the reply
the citizen actually received. Paging is by keyset on (asked_at, id), newest first, so page
200 costs what page 1 costs. A text search (`LIKE`) cannot use an index, so one page view
examines at most `SCAN_LIMIT` rows of the period, newest first, and offers "继续向前查找" from
where it stopped: a rare word over a million rows is many cheap pages, never one slow one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import ColumnElement, Select, and_, or_, select, tuple_

from bot.admin.accounts import Role
from bot.admin.security import require
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.runtime import get_runtime
from bot.turn import REPLY_KIND_LABELS
from knowledge.models import utcnow

bp = Blueprint("admin_questions", __name__, url_prefix="/admin/questions")

PAGE_SIZE = 50
SCAN_LIMIT = 10_000
PERIODS = {1: "最近一天", 7: "最近 7 天", 30: "最近 30 天", 90: "最近 90 天", 365: "最近一年"}
KIND_LABELS = {"answer_faq": "直接回答（问答）", "answer_item": "直接回答（公开信息）", "choices": "列出候选",
               "not_found": "未找到答案"}
FEEDBACK_LABELS = {"satisfied": "满意", "unsatisfied": "不满意"}
LOCAL = datetime.timedelta(hours=8)


@dataclass(frozen=True)
class Filters:
    q: str
    kind: str
    answered: str  # "", "yes", "no"
    feedback: str  # "", "satisfied", "unsatisfied", "none"
    entry: int | None
    days: int

    @classmethod
    def from_args(cls) -> Filters:
        args = request.args
        days = args.get("days", type=int) or 30
        return cls(
            q=args.get("q", "").strip()[:100],
            kind=args.get("kind", "") if args.get("kind", "") in KIND_LABELS else "",
            answered=args.get("answered", "") if args.get("answered") in {"yes", "no"} else "",
            feedback=args.get("feedback", "") if args.get("feedback") in {*FEEDBACK_LABELS, "none"} else "",
            entry=args.get("entry", type=int),
            days=days if days in PERIODS else 30,
        )

    @property
    def narrowing(self) -> bool:
        return bool(self.q or self.kind or self.answered or self.feedback or self.entry)

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(LogRow.question.like(f"%{escaped}%", escape="\\"))
        if self.kind:
            found.append(LogRow.reply_kind == self.kind)
        if self.answered:
            found.append(LogRow.answered.is_(self.answered == "yes"))
        if self.feedback == "none":
            found.append(LogRow.feedback.is_(None))
        elif self.feedback:
            found.append(LogRow.feedback == self.feedback)
        if self.entry:
            found.append(and_(LogRow.top_kind == "faq", LogRow.top_id == self.entry))
        return found


def _cursor(raw: str | None) -> tuple[datetime.datetime, int] | None:
    """`before=2026-01-05T10:00:00_123`: the (asked_at, id) the previous page ended at."""
    if not raw or "_" not in raw:
        return None
    stamp, _, row_id = raw.rpartition("_")
    try:
        return datetime.datetime.fromisoformat(stamp), int(row_id)
    except ValueError:
        return None


def _older_than(cursor: tuple[datetime.datetime, int] | None) -> list:
    if cursor is None:
        return []
    # The plain bound lets the asked_at index seek; the row-value comparison makes it exact.
    return [LogRow.asked_at <= cursor[0], tuple_(LogRow.asked_at, LogRow.id) < tuple_(*cursor)]


def _newest_first(stmt: Select) -> Select:
    return stmt.order_by(LogRow.asked_at.desc(), LogRow.id.desc())


@dataclass
class LogPage:
    rows: list[LogRow]
    next_cursor: str | None  # more rows older than this page
    scanned_to: datetime.datetime | None  # the search stopped at this time without filling the page


def log_page(filters: Filters, cursor: tuple[datetime.datetime, int] | None) -> LogPage:
    since = utcnow() - datetime.timedelta(days=filters.days)
    base = [LogRow.asked_at >= since, *_older_than(cursor)]
    with get_runtime().db.session() as session:
        floor = None
        if filters.narrowing:  # bound the rows this view may examine
            floor = session.execute(_newest_first(select(LogRow.asked_at, LogRow.id).where(*base))
                                    .offset(SCAN_LIMIT - 1).limit(1)).first()
        bound = [or_(LogRow.asked_at > floor[0], tuple_(LogRow.asked_at, LogRow.id) >= tuple_(*floor)),
                 LogRow.asked_at >= floor[0]] if floor else []
        rows = list(session.scalars(_newest_first(select(LogRow).where(*base, *bound, *filters.conditions()))
                                    .limit(PAGE_SIZE + 1)))
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        return LogPage(rows[:PAGE_SIZE], f"{last.asked_at.isoformat()}_{last.id}", None)
    if floor is not None:
        return LogPage(rows, f"{floor[0].isoformat()}_{floor[1]}", floor[0] + LOCAL)
    return LogPage(rows, None, None)


@bp.get("")
@require(Role.VIEWER)
def index() -> str:
    filters = Filters.from_args()
    page = log_page(filters, _cursor(request.args.get("before")))
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template("admin/questions.html", page=page, filters=filters, args=args, periods=PERIODS,
                           kinds=KIND_LABELS, reply_kinds=REPLY_KIND_LABELS, feedbacks=FEEDBACK_LABELS, local=LOCAL)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
