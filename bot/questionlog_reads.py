"""What the bot reads back from the question log on the reply path: the most-asked entries lately.

A mixin of `bot.questionlog.QuestionLog` (which owns the writes), kept apart so the write
path's guarantees and this read's caching are each read in one place.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

from sqlalchemy import func, select

from bot.privacy import mask_personal_data
from bot.questionlog_table import QuestionLogRow as LogRow
from knowledge.models import utcnow
from knowledge.store import Store

log = logging.getLogger("bot.questionlog")

HOT_TOPICS_TTL = 60.0
HotCache = dict[tuple[int, int], tuple[float, list[tuple[str, str]]]]


class HotTopics:
    """`hot_topics` for a class that has a `store` and a `_hot_cache` (a `HotCache`)."""

    store: Store
    _hot_cache: HotCache

    def hot_topics(self, days: int = 30, limit: int = 3, live: Callable[[str], bool] | None = None) -> list[str]:
        """Titles of the most-asked answered entries lately, for help and not-found replies.

        `live(key)` (key like "faq:12") says whether an entry may still be advertised: a
        disabled or deleted entry must never be suggested to citizens, however often it was
        asked. Cached for a minute per process (the filter runs on every call): it sits on the
        reply path. A failed read keeps the last good answer (or none) for another minute
        instead of retrying on every message.
        """
        now = time.monotonic()
        cached = self._hot_cache.get((days, limit))
        if cached and cached[0] > now:
            candidates = cached[1]
        else:
            candidates = cached[1] if cached else []
            try:
                candidates = self._hot_candidates(days, limit * 4)
            except Exception as exc:
                log.warning("question log: hot topics unavailable (%s)",
                            mask_personal_data(str(exc).splitlines()[0][:200]))
            self._hot_cache[(days, limit)] = (now + HOT_TOPICS_TTL, candidates)
        return [title for key, title in candidates if live is None or live(key)][:limit]

    def _hot_candidates(self, days: int, limit: int) -> list[tuple[str, str]]:
        since = utcnow() - datetime.timedelta(days=days)
        count = func.count()
        # Counted from the covering stats index; the titles are then read from one row each.
        stmt = (
            select(func.max(LogRow.id), count)
            .where(LogRow.asked_at >= since, LogRow.answered.is_(True), LogRow.top_id.is_not(None))
            .group_by(LogRow.top_kind, LogRow.top_id)
            .order_by(count.desc(), func.max(LogRow.id).desc())
            .limit(limit)
        )
        with self.store.session() as session:
            ids = [row_id for row_id, _ in session.execute(stmt)]
            by_id = select(LogRow.id, LogRow.top_kind, LogRow.top_id, LogRow.top_title).where(LogRow.id.in_(ids))
            found = {row_id: (f"{kind}:{top_id}", title) for row_id, kind, top_id, title in session.execute(by_id)}
        return [(found[i][0], title) for i in ids if i in found and (title := found[i][1])]


