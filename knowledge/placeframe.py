"""A place in a question, resolved against the items' 发布机构: "青浦公租房" wants 青浦's document.

Disclosure items are issued for one jurisdiction: 青浦区's 公租房 rules, 张江镇's 加装电梯
subsidy, 南码头路街道's 物业补贴. Sibling documents of other districts and streets share nearly
every word with them, so BM25 ranks them by wording alone and a citizen who names their district
may be shown another district's 办法 first. After the search (as `knowledge.timeframe` does with
years), the places the question names are matched against the item hits' titles and 发布机构:

* a place is a 区/县/镇/乡/街道 name (short form: 浦东新区 → 浦东, 港沿镇 → 港沿) found in the
  发布机构 of an item among the hits, or written in the question with its suffix ("杨行镇");
* when the question names such a place and at least one item hit carries it, the item hits of
  *another* place — a 发布机构 naming places, none of them the asked one, and no mention of it
  in the title — move behind the others (FAQ entries keep their positions; nothing is dropped).
  An item without a 发布机构 is of no known place and keeps its rank: in a township's own
  knowledge base, where most items name no place, naming the township changes nothing;
* when that moves the best hit, the search's decision (taken about that hit) no longer holds and
  the result is not answered.

City-wide documents (上海市…) name no district and are moved below a district's own document
only when the question names the district and such a document is among the hits.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from knowledge.document import Document, SearchResult

# Organisation words that end a place in a 发布机构: 上海市浦东新区人民政府洋泾街道办事处.
_ORGANISATION = re.compile(r"人民政府|办事处|委员会|管理局|办公室|政府|局")
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:新区|区|县|市|镇|乡|街道)")
_ASKED_PLACE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:镇|街道|乡)")


def publisher_places(publisher: str | None) -> set[str]:
    """The short place names a 发布机构 is made of (上海, 浦东, 洋泾 of 上海市浦东新区…洋泾街道办事处)."""
    places: set[str] = set()
    for piece in _ORGANISATION.split(publisher or ""):
        position = 0
        while match := _PLACE.match(piece, position):
            if "和" not in match.group(1):  # 住房和城乡建设管理委员会 is no place
                places.add(match.group(1))
            position = match.end()
    return places


def asked_places(question: str, hits: Iterable[Document]) -> set[str]:
    """The places `question` names: known from the hits' 发布机构, or written with 镇/街道/乡."""
    known = set().union(*(publisher_places(d.publisher) for d in hits if d.kind == "item"))
    named = {p for p in known if p in question}
    named.update(m.group(1) for m in _ASKED_PLACE.finditer(question))
    return named


def _carries(doc: Document, places: set[str]) -> bool:
    text = doc.title + (doc.publisher or "")
    return any(p in text for p in places)


def _elsewhere(doc: Document, places: set[str]) -> bool:
    """Issued for another place: its 发布机构 names places, and neither it nor the title the asked one."""
    return bool(publisher_places(doc.publisher)) and not _carries(doc, places)


def apply(result: SearchResult) -> SearchResult:
    """`result` with the item hits of other places behind those of the asked place (or of none)."""
    items = [h for h in result.hits if h.doc.kind == "item"]
    if len(items) < 2:
        return result
    places = asked_places(result.query, (h.doc for h in items))
    if not places:
        return result
    if not any(_carries(h.doc, places) for h in items):
        return result
    elsewhere = [h for h in items if _elsewhere(h.doc, places)]
    if not elsewhere:
        return result
    reordered = iter([h for h in items if h not in elsewhere] + elsewhere)
    hits = tuple(next(reordered) if h.doc.kind == "item" else h for h in result.hits)
    if hits == result.hits:
        return result
    answered = result.answered and hits[0] == result.hits[0]
    return dataclasses.replace(result, hits=hits, answered=answered)
