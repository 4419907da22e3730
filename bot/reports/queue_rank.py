"""The 待处理 queue's requested page of groups, ranked by the database (`ORDER BY … LIMIT`).

A quarter holds ~22,500 open groups, most of them asked once. Summing them is the database's
work either way, but reading every group into Python only to keep the thirty shown, on the
first view after a start, cost more than the sum itself (~300 ms of a 90-day view). Here the
database ranks the groups and counts them (window totals over the same GROUP BY), and only
the page's rows come back.

The result is the one `queue._summed_counts` + sort gives (tests/bot/test_queue_rank.py
compares them): the same order (most asked, then newest, then the key by code point —
PostgreSQL compares it under the "C" collation for that), the groups staff marked handled left
out of the page and of the totals, a group asked again since its mark kept with all its
questions of the period. Greetings (no content word) are grouped by their text, read from the
log; they and the marked groups are few, and are merged in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.engine import Connection

from bot.questionlog_table import QuestionDay, QueueMark
from bot.reports.grouping import TEXT_KEY_PREFIX
from bot.reports.queries import Period

_UNANSWERED = QuestionDay.answered.is_(False)
OPEN = or_(_UNANSWERED, QuestionDay.unsatisfied > 0)  # summary rows with a question for the queue
_CHUNK = 500

Figures = tuple[int, int, int]  # (questions for the queue, unanswered of them, newest id)


def group_sums(period: Period) -> Select[str, Any, Any, Any]:
    """The queue's figures per group key of the period's summary rows.

    Unanswered questions count with their newest id; answered ones only as far as they were
    rated 不满意, with the newest such id.
    """
    return (select(QuestionDay.group_key,
                   func.sum(case((_UNANSWERED, QuestionDay.questions), else_=QuestionDay.unsatisfied)),
                   func.sum(case((_UNANSWERED, QuestionDay.questions), else_=0)),
                   func.max(case((_UNANSWERED, QuestionDay.last_id), else_=QuestionDay.last_unsatisfied_id)))
            .where(QuestionDay.day >= period.since, QuestionDay.day < period.until, OPEN)
            .group_by(QuestionDay.group_key))


def order(item: tuple[str, Figures]) -> tuple[int, int, str]:
    """The queue's order: most asked first, then the newest, then the key."""
    key, (n, _unanswered, last) = item
    return -n, -last, key


@dataclass
class RankedPage:
    page: list[tuple[str, Figures]]  # the requested slice, in the queue's order
    total_groups: int  # open groups not handled
    total_questions: int


def ranked_page(conn: Connection, period: Period, texts: dict[str, Figures], marks: dict[str, QueueMark],
                offset: int, limit: int) -> RankedPage:
    """Groups [offset, offset + limit) of the queue and its totals, ranked by the database.

    `texts`: the figures of the text-keyed groups (greetings), summed from the log; `marks`:
    the newest mark of each marked group, by group key. A marked group is handled — out of
    the page and the totals — while nothing was asked after its mark.
    """
    keyed = sorted(k for k in marks if not k.startswith(TEXT_KEY_PREFIX))
    figures: dict[str, Figures] = {k: v for k, v in texts.items() if k in marks}
    for start in range(0, len(keyed), _CHUNK):
        stmt = group_sums(period).where(QuestionDay.group_key.in_(keyed[start:start + _CHUNK]))
        figures.update({key: (int(n), int(unans), int(last)) for key, n, unans, last in conn.execute(stmt)})
    handled = {k for k, (_n, _u, last) in figures.items() if last <= marks[k].last_log_id}
    stmt = group_sums(period).where(QuestionDay.group_key != "")
    for start in range(0, len(keyed), _CHUNK):  # the handled ones leave the totals too
        chunk = [k for k in keyed[start:start + _CHUNK] if k in handled]
        if chunk:
            stmt = stmt.where(QuestionDay.group_key.not_in(chunk))
    groups = stmt.subquery()
    key, n, unanswered, last = groups.c
    by_key = key.collate("C") if conn.dialect.name == "postgresql" else key
    ranked = (select(key, n, unanswered, last, func.count().over(), func.sum(n).over())
              .order_by(n.desc(), last.desc(), by_key).limit(offset + limit))
    total_groups = total_questions = 0
    rows: list[tuple[str, Figures]] = []
    for group, count, unans, newest, groups_in_all, questions_in_all in conn.execute(ranked):
        rows.append((group, (int(count), int(unans), int(newest))))
        total_groups, total_questions = int(groups_in_all), int(questions_in_all)
    for group, found in texts.items():
        if group not in handled:
            rows.append((group, found))
            total_groups += 1
            total_questions += found[0]
    rows.sort(key=order)
    return RankedPage(rows[offset:offset + limit], total_groups, total_questions)
