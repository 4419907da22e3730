"""Replies for messages the knowledge base should not, or cannot, answer: routing, not boilerplate.

Before the search (`Router.before_search`):

* a message with no Chinese at all and at least two words of Latin script gets a short bilingual
  "please write in Chinese" (the index only knows Chinese; the search would say "not found");
* a question about the township itself — its 电话 / 地址 / 办公时间, "镇政府在哪里", "几点上班" —
  is answered from the configured `Township` settings, saying plainly what is not published.
  It must consist only of words naming the township and asking for a contact detail (plus the
  conversation's follow-up vocabulary and words that only ask to be told: 告诉, 想问 …), so
  "在哪里可以看到镇政府公开的政府信息" still goes to the search.

Instead of "not found" (`Router.instead_of_not_found`), in this order:

* abuse (a word of the staff-editable `knowledge/data/lexicon/abuse.txt`): a calm reply that
  asks what the citizen needs, without the 依申请公开 boilerplate;
* a complaint (投诉 / 举报 in the message): the directory's complaint line (the first office that
  handles 投诉 or 举报) and the township;
* a message asking for information to be disclosed (公开 / 信息公开 / 依申请公开 with a request
  word or 申请 / 要求, each as a word) keeps "not found" with its 依申请公开 advice, even when it
  names a service: "请求公开本镇护照办理数量" asks the township for records, which is what an
  application for disclosure is for, not the office that issues passports; "社保公开查询在哪"
  (公开 as an adverb) still goes to the 人社 office. Over the 2,816 city messages no reply
  changed: none names both;
* a service named in the 办事机构 directory (`knowledge.offices`): "这件事一般由 X 办理" with its
  phone, address and hours (and the township's contacts when it lists no phone). A directory
  entry matches when every word of one of its 办理事项 (analysed like the knowledge base, so
  synonyms apply) is among the question's words; the entry matching the most specific service
  (longest matched 办理事项, then directory order) wins;
* a request or appeal (诉求: 请求 / 反映 / 希望 / 呼吁 / 恳请 / 质疑 as words of the message — 希望工程
  is no request) that names no service of the directory: the same line as complaints, introduced
  as the way to raise 意见、建议和诉求. Most messages citizens send a government account are such
  requests (of the 2,816 real city messages 416 say 请求, 332 反映, 319 希望); 依申请公开 is
  the way to obtain government information, not to get a road repaired, so its boilerplate is
  the wrong advice for them.

Only when the search found nothing to offer: a routed question is still logged unanswered, so
staff see which services citizens expect the knowledge base to cover.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot import wording
from bot.config import Township
from bot.turn import ReplyKind
from knowledge.asks import COMPLAINT_WORDS, REQUEST_WORDS
from knowledge.offices import OfficeEntry
from knowledge.text import DEFAULT_LEXICON_DIR

ABUSE_FILE = DEFAULT_LEXICON_DIR / "abuse.txt"
# A request to disclose something ("请求公开…规划图") is what 依申请公开 is for: it keeps "not found".
DISCLOSURE_WORDS = ("公开", "信息公开", "依申请公开")
# With a disclosure word, these (or a request word) ask for something to be disclosed (申请公开,
# 要求公开); 公开 alone is often an adverb or an adjective (社保公开查询, 公开招聘, 公开透明).
APPLY_WORDS = ("申请", "要求")
SELF_WORDS = ("镇政府", "乡政府", "政府", "你们", "镇里", "便民服务中心", "服务中心", "办事大厅")
ASK_WORDS = {
    "phone": ("电话", "号码", "联系方式", "热线", "怎么联系"),
    "address": ("地址", "在哪", "哪里", "哪儿", "位置", "怎么走", "什么地方"),
    "hours": ("几点", "上班", "下班", "办公时间", "工作时间", "开门", "关门", "周末", "节假日"),
}
# Words that only ask to be told ("能告诉我镇政府的电话吗"): allowed beside the township and the
# contact detail asked, never enough on their own.
TELL_WORDS = ("告诉", "告知", "想问", "问问", "知道", "了解")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def read_abuse_words(path: Path = ABUSE_FILE) -> frozenset[str]:
    """The abuse list: one word per line, `#` comments; folded like messages."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(_fold(word))
    return frozenset(words)


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


@dataclass(frozen=True)
class Routed:
    kind: ReplyKind  # for the log: routed, complaint, abuse, township_info, not_chinese
    text: str  # the reply's text; the conversation may append numbered suggestions


class Router:
    def __init__(
        self,
        township: Township,
        analyze: Callable[[str], list[str]],
        offices: Callable[[], list[OfficeEntry]] = lambda: [],
        generic: Iterable[str] = (),
        abuse_words: frozenset[str] | None = None,
    ) -> None:
        self.township = township
        self.analyze = analyze
        self.offices = offices
        self.generic = frozenset(generic)
        self.abuse_words = read_abuse_words() if abuse_words is None else abuse_words
        self._handles: tuple[list[OfficeEntry], list[tuple[OfficeEntry, list[frozenset[str]]]]] | None = None

    # Analysed lazily: building the app must not load jieba (bot.startup does, once).
    def _terms_of(self, words: Iterable[str]) -> set[str]:
        """The analysed terms of `words`, as a message's words are analysed (synonyms applied)."""
        return {t for w in words if w for t in self.analyze(w)}

    @cached_property
    def _self_terms(self) -> set[str]:
        return self._terms_of([*SELF_WORDS, self.township.short_name, self.township.name])

    @cached_property
    def _request_terms(self) -> set[str]:
        return self._terms_of(REQUEST_WORDS)

    @cached_property
    def _disclosure_terms(self) -> set[str]:
        return self._terms_of(DISCLOSURE_WORDS)

    @cached_property
    def _asking_terms(self) -> set[str]:
        return self._request_terms | self._terms_of(APPLY_WORDS)

    @cached_property
    def _ask_terms(self) -> set[str]:
        return self._terms_of(w for words in ASK_WORDS.values() for w in words)

    @cached_property
    def _tell_terms(self) -> set[str]:
        return self._terms_of(TELL_WORDS)

    # -- before the search ---------------------------------------------------------------------

    def before_search(self, text: str, terms: Sequence[str]) -> Routed | None:
        if not _CJK.search(text) and len(_LATIN_WORD.findall(text)) >= 2:
            return Routed(ReplyKind.NOT_CHINESE, wording.NOT_CHINESE)
        asked = [what for what, words in ASK_WORDS.items() if any(w in text for w in words)]
        if not asked or not terms:
            return None
        allowed = self._self_terms | self._ask_terms | self._tell_terms | self.generic
        names_self = any(w and w in text for w in (*SELF_WORDS, self.township.short_name, self.township.name))
        if not set(terms) <= allowed or not (names_self or set(terms) <= self._ask_terms | self.generic):
            return None
        return Routed(ReplyKind.TOWNSHIP_INFO, self._township_info(asked))

    def _township_info(self, asked: list[str]) -> str:
        t = self.township
        values = {"phone": t.phone, "address": t.address, "hours": t.office_hours}
        lines = [wording.TOWNSHIP_INFO_INTRO.format(name=t.name)]
        templates = {"phone": wording.LINE_PHONE, "address": wording.LINE_ADDRESS, "hours": wording.LINE_HOURS}
        order = [*asked, *(w for w in templates if w not in asked)]
        lines += [templates[w].format(value=values[w].strip()) for w in order if values[w].strip()]
        missing = [wording.TOWNSHIP_WHAT[w] for w in asked if not values[w].strip()]
        if missing:
            lines.append(wording.TOWNSHIP_NOT_PUBLISHED.format(what="、".join(missing), name=t.name))
        if t.staff_contact.strip():
            lines.append(wording.STAFF_CONTACT.format(value=t.staff_contact.strip()))
        return "\n".join(lines)

    # -- instead of "not found" ----------------------------------------------------------------

    def instead_of_not_found(self, text: str, terms: Sequence[str]) -> Routed | None:
        folded = _fold(text)
        if any(word in folded for word in self.abuse_words):
            return Routed(ReplyKind.ABUSE, wording.ABUSE_REPLY)
        if any(word in text for word in COMPLAINT_WORDS):
            return Routed(ReplyKind.COMPLAINT, self._raise_line(wording.COMPLAINT_INTRO))
        if self._disclosure_terms.intersection(terms) and self._asking_terms.intersection(terms):
            return None  # asking for information to be disclosed: 依申请公开 is the way, whatever the service
        office = self.office_for(terms)
        if office is None:
            if self._request_terms.intersection(terms):
                return Routed(ReplyKind.ROUTED, self._raise_line(wording.REQUEST_INTRO))
            return None
        details = _office_lines(office)  # a line ending in "：" must have something after it
        lines = [wording.ROUTED_INTRO, (wording.ROUTED_OFFICE if details else wording.ROUTED_OFFICE_PLAIN)
                 .format(name=office.name), *details]
        if not office.phone:  # no number to call: the township can at least be reached
            township = self._township_lines()
            see = wording.ROUTED_SEE_TOWNSHIP if township else wording.ROUTED_SEE_TOWNSHIP_PLAIN
            lines += [see.format(name=self.township.name), *township]
        lines.append(wording.ROUTED_CAVEAT)
        return Routed(ReplyKind.ROUTED, "\n".join(line for line in lines if line))

    def _raise_line(self, intro: str) -> str:
        """`intro`, the directory's complaint line (the first office handling 投诉 or 举报) and the
        township: where complaints, and requests that name no service, are raised."""
        line = next((o for o in self.offices() if any(w in o.handles for w in COMPLAINT_WORDS)), None)
        lines = [intro]
        if line is not None:
            lines += [line.name, *_office_lines(line)]
        lines.append(wording.COMPLAINT_TOWNSHIP.format(name=self.township.name))
        lines += self._township_lines()
        return "\n".join(line for line in lines if line)

    def _township_lines(self) -> list[str]:
        t = self.township
        pairs = ((wording.LINE_PHONE, t.phone), (wording.LINE_ADDRESS, t.address), (wording.LINE_HOURS, t.office_hours))
        return [template.format(value=value.strip()) for template, value in pairs if value.strip()]

    def office_for(self, terms: Sequence[str]) -> OfficeEntry | None:
        """The directory entry whose most specific 办理事项 the question names, or None."""
        words = set(terms)
        best: tuple[int, int] | None = None
        chosen = None
        for position, (office, handles) in enumerate(self._analysed_handles()):
            for handle in handles:
                if handle and handle <= words:
                    score = (sum(len(t) for t in handle), -position)
                    if best is None or score > best:
                        best, chosen = score, office
        return chosen

    def _analysed_handles(self) -> list[tuple[OfficeEntry, list[frozenset[str]]]]:
        offices = self.offices()
        if self._handles is None or self._handles[0] is not offices:  # the directory was re-read
            analysed = [(o, [frozenset(self.analyze(h)) - self.generic for h in o.handles]) for o in offices]
            self._handles = (offices, analysed)
        return self._handles[1]


def _office_lines(office: OfficeEntry) -> list[str]:
    pairs = ((wording.LINE_PHONE, office.phone), (wording.LINE_ADDRESS, office.address),
             (wording.LINE_HOURS, office.hours))
    return [template.format(value=value) for template, value in pairs if value]
