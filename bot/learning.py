"""Learning from citizens' choices: wordings that keep leading to one entry become its 相似问法.

When a question gets a numbered list (or "not found" with related entries) and the citizen
opens entry N, that is evidence that the entry answers the wording — unless the citizen says
otherwise soon after. The conversation (`bot.conversation`) marks the pick and, within
`LEARN_WINDOW` seconds, any sign of doubt (不满意, 更多, another number, a new question that is
not a follow-up about the entry); the webhook hands both to `Learning.record`, which passes them
through the question log's journal, spool and writer thread (`bot.questionlog.OpHandler`): the
reply never waits for the database, and nothing is lost to a killed worker or a database
outage. Only FAQ entries are learned (items have no 相似问法).

Evidence is grouped by the report's grouping of questions (`bot.reports.grouping`), so
低保怎么申请, 低保咋申请 and 怎么申请低保 are one wording group. When a group has chosen one entry
often enough (`Threshold`), `refresh` makes it a *suggested 相似问法*: the group's commonest
masked wording, with the evidence counts and example wordings, for staff to approve or reject
at /admin/learning (`bot.admin.learning`). Approving adds it through the one write path
(`knowledge.editor`: a revision and an audit event); rejecting keeps the row, so the same
suggestion is never made again. With `LEARN_AUTO_APPROVE` the suggestion is added at once
under the editor name 自动学习.

`refresh` runs after the writer applied evidence (at most once a minute per process) and when
staff open the page, so a suggestion appears at the latest with the next pick after its
evidence has aged past the window.

Several instances: a pick answered by one instance and the doubt by another reach the database
through two writers; a doubt written before its pick (a writer seconds behind) finds nothing to
mark. Citizens take seconds to reply, writers milliseconds, so this is left as it is.

Privacy: evidence holds pseudonyms (HMAC of the OpenID and of the message key, like the question
log) and masked wordings only; a wording with a masked stretch is never suggested as 相似问法.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.learning_table import ChoiceEvidence, LearnedSimilar
from bot.privacy import mask_citizen_text, pseudonymise, safe_terms
from bot.questionlog import QuestionLog
from bot.reports.grouping import group_key, normalise_text
from bot.turn import ChoiceSignal
from knowledge.editor import EditError, FaqData, KbEditor
from knowledge.models import FaqEntry, utcnow
from knowledge.store import Store

log = logging.getLogger(__name__)

SOURCE = "学习建议"
AUTO_EDITOR = "自动学习"
WORDING_CHARS = 200  # as the session keeps a list's question (bot.session.STORED_TEXT_CHARS)
EXAMPLES = 5
REFRESH_EVERY = 60.0  # seconds between the writer thread's refreshes in one process
MASK_SIGNS = ("*", "＊")  # a masked stretch (bot.privacy): never worth a 相似问法
# Suggestions still following the evidence: waiting for staff, or lapsed until it reaches the threshold again.
OPEN = ("suggested", "lapsed")


@dataclass(frozen=True)
class Threshold:
    """When a wording group's choices make a suggestion.

    * `min_citizens` = 3 distinct citizens (pseudonyms) chose the entry: one citizen repeating
      a pick — or one person with a second phone — cannot teach the bot; three independent
      people agreeing is the smallest evidence that is not one person's habit, and a
      township's list questions are few enough that a larger number would rarely be reached.
    * `min_share` = 0.6 of the citizens who chose anything from the group's lists chose this
      entry: a wording whose citizens split between entries (a broad question like 公积金) is
      ambiguous, and a list remains the right reply for it.

    Counted per citizen, not per pick, for both: repetition adds nothing.
    """

    min_citizens: int = 3
    min_share: float = 0.6

    def reached(self, citizens: int, group_citizens: int) -> bool:
        return citizens >= self.min_citizens and group_citizens > 0 and citizens / group_citizens >= self.min_share


def key_hash(key: str) -> str:
    """The group key's SHA-1, as `bot.reports.queue` keys groups (keys are term text of any length)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def _moment(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)


def _entry(key: str) -> tuple[str, int] | None:
    kind, _, number = key.partition(":")
    return (kind, int(number)) if number.isdigit() else None


@dataclass(frozen=True)
class Suggestion:
    """A suggested (or decided) 相似问法, as staff review it."""

    id: int
    wording: str
    examples: list[str]
    entry_id: int
    entry_question: str | None  # None: the entry is gone
    citizens: int
    group_citizens: int
    choices: int
    status: str
    staff: str | None
    decided_at: datetime.datetime | None

    @property
    def share(self) -> float:
        return self.citizens / self.group_citizens if self.group_citizens else 0.0


class Learning:
    """Records evidence (reply path), applies it (writer thread), makes and decides suggestions."""

    ops = frozenset({"pick", "unpick"})

    def __init__(self, store: Store, questions: QuestionLog, secret: str, *, window: int, auto_approve: bool,
                 threshold: Threshold | None = None) -> None:
        self.store = store
        self.questions = questions
        self.secret = secret
        self.window = window
        self.auto_approve = auto_approve
        self.threshold = threshold or Threshold()
        self._next_refresh = 0.0
        self._refresh_lock = threading.Lock()
        questions.handlers.append(self)

    # -- the reply path: hand over, never wait ----------------------------------------------

    def record(self, openid: str, message_key: str, signal: ChoiceSignal) -> None:
        """Hand a pick or a doubt to the question log's writer. Never raises, never waits for the database."""
        try:
            op: dict[str, Any] = {
                "op": "pick" if signal.picked else "unpick",
                "user_hash": pseudonymise(openid, self.secret),
                "message_key": pseudonymise(message_key, self.secret),
                "at": signal.at or time.time(),
                "since": signal.since,
            }
            entry = _entry(signal.key)
            if signal.picked:
                if entry is None:
                    return
                masked = mask_citizen_text(signal.wording[:WORDING_CHARS * 2])[:WORDING_CHARS]
                op.update(wording=masked, terms=" ".join(safe_terms(signal.terms, masked, signal.wording)),
                          kind=entry[0], id=entry[1])
            self.questions.submit(op)
        except Exception:
            log.exception("learning: could not record a choice")

    # -- the writer thread ------------------------------------------------------------------

    def apply(self, session: Session, ops: list[dict[str, Any]]) -> None:
        """Doubts first mark the earlier picks they doubt; picks are inserted once per message."""
        for op in ops:
            at = _moment(float(op["at"]))
            if op.get("since") is not None:
                since = _moment(float(op["since"])) - datetime.timedelta(milliseconds=1)
                session.execute(update(ChoiceEvidence).where(
                    ChoiceEvidence.user_hash == op["user_hash"], ChoiceEvidence.picked_at >= since,
                    ChoiceEvidence.picked_at < at).values(doubted=True))
            if op["op"] != "pick":
                continue
            if session.scalar(select(ChoiceEvidence.id).where(ChoiceEvidence.message_key == op["message_key"])):
                continue  # a replayed operation
            key = group_key(op["terms"], op["wording"])
            session.add(ChoiceEvidence(user_hash=op["user_hash"], message_key=op["message_key"], group_key=key,
                                       key_hash=key_hash(key), wording=op["wording"], entry_kind=op["kind"],
                                       entry_id=int(op["id"]), picked_at=at, doubted=False))
            session.flush()

    def applied(self) -> None:
        """After evidence was written: refresh the suggestions, at most once a minute."""
        now = time.monotonic()
        if now < self._next_refresh:
            return
        self._next_refresh = now + REFRESH_EVERY
        self.refresh()

    # -- suggestions ------------------------------------------------------------------------

    def refresh(self, now: float | None = None) -> list[int]:
        """Make a suggestion of every (group, entry) whose settled evidence reaches the threshold.

        Settled: picked more than `window` seconds before `now` and not doubted. Suggestions
        still waiting get their counts updated; a waiting one whose group no longer reaches
        the threshold (later citizens chose other entries, or doubted their picks) lapses: it
        leaves staff's list until its evidence reaches the threshold again. Decided ones are
        left alone. With auto approval the new ones are added at once. Returns the ids of new
        (or reinstated) suggestions.
        """
        cutoff = _moment(time.time() if now is None else now) - datetime.timedelta(seconds=self.window)
        settled = (ChoiceEvidence.doubted.is_(False), ChoiceEvidence.picked_at <= cutoff,
                   ChoiceEvidence.entry_kind == "faq")
        citizens = func.count(func.distinct(ChoiceEvidence.user_hash))
        created: list[int] = []
        with self._refresh_lock, self.store.session() as session:
            open_rows = list(session.scalars(select(LearnedSimilar).where(
                LearnedSimilar.status.in_(OPEN), LearnedSimilar.entry_kind == "faq")))
            open_groups = sorted({row.key_hash for row in open_rows})
            # (group, entry) pairs at the threshold, and every pair of an open suggestion's group:
            # its own counts are kept even when they fall below the threshold.
            candidates = session.execute(
                select(ChoiceEvidence.key_hash, ChoiceEvidence.entry_id, citizens, func.count())
                .where(*settled).group_by(ChoiceEvidence.key_hash, ChoiceEvidence.entry_id)
                .having(or_(citizens >= self.threshold.min_citizens, ChoiceEvidence.key_hash.in_(open_groups)))).all()
            hashes = sorted({c[0] for c in candidates} | set(open_groups))
            if not hashes:
                return created
            per_group = dict(session.execute(
                select(ChoiceEvidence.key_hash, citizens).where(*settled, ChoiceEvidence.key_hash.in_(hashes))
                .group_by(ChoiceEvidence.key_hash)).all())
            known = {(row.key_hash, row.entry_id): row for row in session.scalars(
                select(LearnedSimilar).where(LearnedSimilar.key_hash.in_(hashes), LearnedSimilar.entry_kind == "faq"))}
            counts = {(hashed, entry_id): (chose, picks) for hashed, entry_id, chose, picks in candidates}
            for row in open_rows:  # waiting or lapsed: follow the evidence as it stands now
                chose, picks = counts.pop((row.key_hash, row.entry_id), (0, 0))
                row.citizens, row.group_citizens, row.choices = chose, per_group.get(row.key_hash, 0), picks
                reached = self.threshold.reached(chose, row.group_citizens)
                if reached and row.status == "lapsed":
                    created.append(row.id)
                row.status = "suggested" if reached else "lapsed"
            for (hashed, entry_id), (chose, picks) in counts.items():
                if (hashed, entry_id) in known or not self.threshold.reached(chose, per_group.get(hashed, 0)):
                    continue  # decided before (never suggested again), or not enough evidence
                made = self._suggest(session, hashed, entry_id, settled)
                if made is not None:
                    made.citizens, made.group_citizens, made.choices = chose, per_group[hashed], picks
                    session.flush()
                    if made.status == "suggested":
                        created.append(made.id)
        if self.auto_approve:
            for suggestion_id in created:
                try:
                    approve(self.store, suggestion_id, AUTO_EDITOR, status="auto")
                except EditError as exc:
                    log.warning("learning: suggestion %d not added automatically (%s)", suggestion_id, exc)
        return created

    def _suggest(self, session: Session, hashed: str, entry_id: int, settled: tuple[Any, ...]) -> LearnedSimilar | None:
        wordings = Counter(dict(session.execute(
            select(ChoiceEvidence.wording, func.count(func.distinct(ChoiceEvidence.user_hash)))
            .where(*settled, ChoiceEvidence.key_hash == hashed, ChoiceEvidence.entry_id == entry_id)
            .group_by(ChoiceEvidence.wording)).all()))
        group = session.scalar(select(ChoiceEvidence.group_key).where(ChoiceEvidence.key_hash == hashed).limit(1))
        ordered = _distinct_wordings(wordings)
        clean = [w for w in ordered if not any(sign in w for sign in MASK_SIGNS)]
        if not clean or group is None:
            return None  # nothing citizens wrote is fit to show as 相似问法
        entry = session.get(FaqEntry, entry_id)
        if entry is None or entry.deleted_at is not None:
            return None
        present = {normalise_text(t) for t in [entry.question, *entry.similar]}
        status = "present" if normalise_text(clean[0]) in present else "suggested"
        row = LearnedSimilar(key_hash=hashed, group_key=group, entry_kind="faq", entry_id=entry_id,
                             wording=clean[0], examples_json=json.dumps(ordered[1:EXAMPLES + 1], ensure_ascii=False),
                             status=status, created_at=utcnow())
        session.add(row)
        return row


def _distinct_wordings(counts: Counter[str]) -> list[str]:
    """Wordings, commonest first, one per wording up to punctuation, width and case."""
    seen: set[str] = set()
    ordered = []
    for text, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        norm = normalise_text(text)
        if norm and norm not in seen:
            seen.add(norm)
            ordered.append(text.strip())
    return ordered


# -- staff's decisions --------------------------------------------------------------------------

def suggestions(store: Store, statuses: tuple[str, ...] = ("suggested",), limit: int = 200) -> list[Suggestion]:
    """Suggestions with these statuses: waiting ones by evidence, decided ones newest first."""
    order = ((LearnedSimilar.citizens.desc(), LearnedSimilar.id) if statuses == ("suggested",)
             else (LearnedSimilar.decided_at.desc(), LearnedSimilar.id.desc()))
    with store.session() as session:
        rows = list(session.scalars(select(LearnedSimilar).where(LearnedSimilar.status.in_(statuses))
                                    .order_by(*order).limit(limit)))
        ids = {row.entry_id for row in rows}
        titles = dict(session.execute(select(FaqEntry.id, FaqEntry.question).where(
            FaqEntry.id.in_(ids), FaqEntry.deleted_at.is_(None))).all()) if ids else {}
        return [Suggestion(row.id, row.wording, list(json.loads(row.examples_json or "[]")), row.entry_id,
                           titles.get(row.entry_id), row.citizens, row.group_citizens, row.choices, row.status,
                           row.staff, row.decided_at) for row in rows]


class Approval(NamedTuple):
    """What approving did: the entry that gains the wording, and its pending change under review."""

    entry_id: int
    pending: int | None


def approve(store: Store, suggestion_id: int, staff: str | None, *, status: str = "approved",
            review: bool = False) -> Approval:
    """Add the suggestion's wording to its entry's 相似问法 through the editor (revision + audit).

    With `review` (an editor while `ADMIN_REVIEW` is on) the edit becomes a pending change for a
    reviewer (`result.pending`) and the suggestion is marked `submitted`: staff have dealt with
    it, so it is not suggested again, and whether the wording goes live is the reviewer's call.
    """
    with KbEditor(store, editor=staff, source=SOURCE, review=review).batch() as batch:
        row = batch.session.get(LearnedSimilar, suggestion_id)
        if row is None or row.status != "suggested":
            raise EditError("这条建议已经处理过了")
        entry = batch.session.get(FaqEntry, row.entry_id)
        if entry is None or entry.deleted_at is not None:
            raise EditError(f"问答 {row.entry_id} 已被删除，无法加入相似问法")
        entry_id = entry.id
        batch.save_faq(FaqData(question=entry.question, answer=entry.answer,
                               similar=[*entry.similar, row.wording]), faq_id=entry_id)
        if not review:
            row.status, row.staff, row.decided_at = status, staff, utcnow()
    if review:  # the edit's transaction was rolled back into a pending change: mark it apart
        with store.session() as session:
            session.execute(update(LearnedSimilar).where(LearnedSimilar.id == suggestion_id)
                            .values(status="submitted", staff=staff, decided_at=utcnow()))
    return Approval(entry_id, batch.pending_id if review else None)


def reject(store: Store, suggestion_id: int, staff: str | None) -> LearnedSimilar:
    """Keep the suggestion as rejected: the same group and entry are never suggested again."""
    with store.session() as session:
        row = session.get(LearnedSimilar, suggestion_id)
        if row is None or row.status != "suggested":
            raise EditError("这条建议已经处理过了")
        row.status, row.staff, row.decided_at = "rejected", staff, utcnow()
        session.flush()
        session.expunge(row)
    return row


def purge(store: Store, older_than_days: int) -> int:
    """Delete evidence older than the question log's retention; suggestions keep only their counts."""
    cutoff = utcnow() - datetime.timedelta(days=older_than_days)
    with store.session() as session:
        return int(session.query(ChoiceEvidence).filter(ChoiceEvidence.picked_at < cutoff).delete())


def from_settings(store: Store, questions: QuestionLog, settings: Any) -> Learning:
    return Learning(store, questions, settings.user_hash_secret, window=settings.learn_window,
                    auto_approve=settings.learn_auto_approve)

