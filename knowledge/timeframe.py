"""Time in a question: "最新的低保公示", "今年的", "去年", "2018年", against publication dates.

BM25 sees "2018" as one more word and "最新" as nothing at all, so a question about last year's
公示 would be answered with whichever 公示 matches best. After the search, the time the
question names is applied to the disclosure items among the hits (FAQ entries have no date):

* a year (2018年, 今年, 去年, 前年) keeps only items published in that year, or whose own title
  names that year — an item of another year is not the one asked for, but a document *about* a
  year is usually published after it (the 2018年政府信息公开工作年度报告 by 31 January 2019, a
  2018年工作总结暨2019年工作计划 in December 2018). When that removes the best hit, the search's
  decision (taken about that hit) no longer holds and the result is not answered;
* "latest" (最新, 最近, 近期) orders the items that match about as well as the best one
  (score at least `LATEST_SHARE` of it) newest first, so the newest 公示 is shown, not the
  one whose wording happens to match best.

Items without a 发布日期 cannot be placed in time: a year drops them, "latest" puts them last.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata

from knowledge.document import Hit, SearchResult

LATEST_SHARE = 0.7  # as conversation.GOOD_RATIO: hits this close to the best are alternatives
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_RELATIVE = {"今年": 0, "本年": 0, "本年度": 0, "去年": -1, "上一年": -1, "上年": -1, "前年": -2}
_LATEST = re.compile(r"最新|最近|近期|新出|新发布")


@dataclasses.dataclass(frozen=True)
class TimeFrame:
    years: frozenset[int] = frozenset()
    latest: bool = False

    def __bool__(self) -> bool:
        return bool(self.years) or self.latest


def parse(question: str, today: datetime.date) -> TimeFrame:
    """The years and the wish for the latest that `question` states (empty when none)."""
    text = unicodedata.normalize("NFKC", question)
    years = {int(y) for y in _YEAR.findall(text)}
    years.update(today.year + delta for word, delta in _RELATIVE.items() if word in text)
    return TimeFrame(frozenset(years), bool(_LATEST.search(text)))


def apply(result: SearchResult, today: datetime.date | None = None) -> SearchResult:
    """`result` with its item hits filtered to the question's years and ordered for "latest"."""
    frame = parse(result.query, today or datetime.date.today())
    if not frame or not any(h.doc.kind == "item" for h in result.hits):
        return result
    hits = list(result.hits)
    if frame.years:
        hits = [h for h in hits if h.doc.kind != "item" or _of_years(h, frame.years)]
    if frame.latest and hits:
        hits = _newest_first(hits)
    # The decision was taken about the best hit: it stands while that hit stays (moved down
    # among close alternatives by "latest" is fine: the newest of them is then the answer).
    answered = result.answered and result.hits[0] in hits
    return dataclasses.replace(result, hits=tuple(hits), answered=answered)


def _of_years(hit: Hit, years: frozenset[int]) -> bool:
    """Whether an item hit was published in one of `years` or its title names one of them."""
    published = hit.doc.published
    if published is not None and published.year in years:
        return True
    return any(int(year) in years for year in _YEAR.findall(unicodedata.normalize("NFKC", hit.doc.title)))


def _newest_first(hits: list[Hit]) -> list[Hit]:
    floor = hits[0].score * LATEST_SHARE
    close = [h for h in hits if h.doc.kind == "item" and h.score >= floor]
    if len(close) < 2:
        return hits
    undated = datetime.date.min
    ordered = sorted(close, key=lambda h: (h.doc.published is None, -(h.doc.published or undated).toordinal()))
    rest = [h for h in hits if h not in close]
    return ordered + rest
