"""One delivery's state: everything a message reads from the store in one round trip, and
everything it writes in one more.

A text message used to cost seven separate calls to Redis (stored reply?, claim, two rate
counters, session read, session write, reply store). Here the webhook opens the delivery with
one atomic call (`StateStore.open_turn`: a Lua script on Redis) that returns the stored reply
of a retry, or claims the message, counts it against the rate limits, takes the citizen's
session lock and reads the session; the conversation then reads those values through
`Sessions` (`Sessions.within`) instead of asking the store; and one call at the end
(`close_turn`) writes the session, releases the lock and stores the reply for retries.

The session lock makes a citizen's turns take turns: two messages of the same citizen that
arrive together are answered one after the other, each reading the session the other wrote,
so neither update is lost. The lock is released at the turn's end; it lives `LOCK_TTL`
seconds and is renewed with the message's claim while the turn runs (`renew`), so a killed
worker's lock lapses as soon as its claim and WeChat's retry is not kept waiting. A message
finding it taken waits for it up to `LOCK_WAIT`, then goes ahead, and its session write is
then skipped if the other turn still holds the lock (losing its own update rather than
overwriting a newer one).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field

from bot import retries
from bot.config import Settings
from bot.privacy import pseudonymise
from bot.retries import RetryFolding
from bot.session import GLOBAL_RATE_KEY, RATE_PREFIX, RATE_WINDOW, SESSION_PREFIX
from bot.state import StateStore, TurnKeys
from bot.wechat.messages import Message

log = logging.getLogger(__name__)

LOCK_PREFIX = "session-lock:"
LOCK_TTL = 3.0  # seconds; renewed with the claim while the turn runs, so a killed worker's lapses as soon
LOCK_WAIT = 5.0  # seconds a message waits for the same citizen's previous turn
LOCK_POLL = 0.01


@dataclass
class Delivery:
    """One delivery of one message, as opened: read by the webhook and (via `Sessions`) the conversation."""

    state: StateStore = field(repr=False)
    key: str  # the message's pseudonymous key (retry folding, question log)
    user: str  # the citizen's pseudonym
    keys: TurnKeys
    reply: str | None  # decrypted stored reply: this delivery is a retry
    claimed: bool
    counts: dict[str, int]  # counter key → value after counting this message
    session: str | None
    locked: bool
    pending_session: str | None = None  # what the conversation saved, written at the close

    def stored_session(self) -> str | None:
        """The session as stored, once this delivery holds the citizen's lock (waits for it if needed)."""
        if not self.locked:
            end = time.monotonic() + LOCK_WAIT
            while not self.state.lock(self.keys.lock, self.keys.owner, LOCK_TTL):
                if time.monotonic() >= end:
                    log.warning("a citizen's previous message still holds the session after %.0f s; going ahead",
                                LOCK_WAIT)
                    break
                time.sleep(LOCK_POLL)
            else:
                self.locked = True
            self.session = self.state.get(self.keys.session)
        return self.session


class TurnState:
    """Opens and closes deliveries for one app (see the module docstring)."""

    def __init__(self, state: StateStore, folding: RetryFolding, settings: Settings) -> None:
        self.state = state
        self.folding = folding
        self.settings = settings

    def open(self, message: Message) -> Delivery:
        """Start a delivery: a retry's stored reply, or the claim with counters, lock and session."""
        key = self.folding.key(message.dedupe_key)
        user = pseudonymise(message.from_user, self.settings.user_hash_secret)
        counters = []
        if self.settings.rate_limit_per_minute > 0:
            counters.append(RATE_PREFIX + user)
        if self.settings.rate_limit_global_per_minute > 0:
            counters.append(GLOBAL_RATE_KEY)
        keys = TurnKeys(reply=f"wx:reply:{key}", claim=f"wx:claim:{key}", owner=f"{os.getpid()}:{uuid.uuid4().hex[:8]}",
                        counters=tuple(counters), session=SESSION_PREFIX + user, lock=LOCK_PREFIX + user)
        opened = self.state.open_turn(keys, claim_ttl=retries.CLAIM_TTL, counter_ttl=RATE_WINDOW, lock_ttl=LOCK_TTL)
        reply = None if opened.reply is None else self.folding.decrypt(opened.reply)
        if opened.reply is not None and reply is None:  # not ours (another secret): answer afresh
            self.state.delete(keys.reply)
            opened = self.state.open_turn(keys, claim_ttl=retries.CLAIM_TTL, counter_ttl=RATE_WINDOW,
                                          lock_ttl=LOCK_TTL)
            reply = None if opened.reply is None else self.folding.decrypt(opened.reply)
        counts = dict(zip(counters, opened.counts, strict=False))
        return Delivery(state=self.state, key=key, user=user, keys=keys, reply=reply,
                        claimed=opened.claimed and reply is None, counts=counts, session=opened.session,
                        locked=opened.locked)

    def renew(self, delivery: Delivery) -> None:
        """Still answering: keep the claim (and the session lock, if held) alive."""
        self.state.renew_turn(delivery.keys, claim_ttl=retries.CLAIM_TTL, lock_ttl=LOCK_TTL)

    def close(self, delivery: Delivery, reply_xml: str | None) -> bool:
        """End a delivery: write its session, release its lock, keep its reply for retries.

        True when this reply is the one stored (the first reply sent stays the canonical one).
        """
        token = self.folding.encrypt(reply_xml) if reply_xml is not None else None
        stored, written = self.state.close_turn(delivery.keys, session=delivery.pending_session,
                                                session_ttl=self.settings.session_ttl, reply=token,
                                                reply_ttl=retries.REPLY_TTL)
        if delivery.pending_session is not None and not written:
            log.warning("a citizen's session was not saved: another message of theirs holds it")
        return stored
