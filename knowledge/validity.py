"""Whether a disclosure item is still in force.

Portals state an item's status (有效, 废止, 失效, 已修改 …) and sometimes how long it is valid
(有效期至). An item that was repealed or has expired must never be presented as the current
rule; it may still be shown, labelled as history (`bot.item_reply.history_note`). An item
with no status and no end date counts as in force: most township notices state neither.
"""

from __future__ import annotations

import datetime
from enum import Enum

from knowledge.document import Document

# Status words that mean "no longer in force"; anything else (有效, 现行, 已修订 …) does not.
ENDED_STATUSES = ("废止", "失效", "废除", "撤销", "作废", "停止执行", "已过期", "过期")


class State(Enum):
    CURRENT = "current"
    REPEALED = "repealed"  # the status says so
    EXPIRED = "expired"  # past its 有效期至


def state(doc: Document, today: datetime.date | None = None) -> State:
    """CURRENT, REPEALED or EXPIRED; FAQ entries are always CURRENT."""
    status = (doc.status or "").strip()
    if status and any(word in status for word in ENDED_STATUSES):
        return State.REPEALED
    if doc.valid_until is not None and doc.valid_until < (today or datetime.date.today()):
        return State.EXPIRED
    return State.CURRENT


def is_current(doc: Document, today: datetime.date | None = None) -> bool:
    return state(doc, today) is State.CURRENT
