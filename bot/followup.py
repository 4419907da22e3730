"""A short follow-up after a chosen entry ("需要什么材料", "在哪里办") is answered from that entry.

The citizen has just read (part of) one entry; "需要什么材料" is about *that* entry, and the
sentence of it that lists the materials is the answer — not a new search, and not the same
paragraph again. The follow-up's kind of question (materials, place, cost, time, contact, who
may apply) is recognised from its ask words; the entry's sentences are scored first by how many
of the ask words the citizen typed they contain (the sentence that writes 材料 answers "要什么材料"
before one that only mentions 提交), then by how many of that kind's cue words naming the fact they
contain (材料, 窗口), then by its cue words for the act around it (提交, 前往), and the best is
quoted when it names the fact — an ask word or a cue word naming it: a sentence that only says
"点击提交完成申请" names no material, and the entry is then said not to state them. The ask
words are looked for in the follow-up as typed and as the knowledge base reads it
(`follow_up_text`), so colloquial forms the lexicon knows count. Otherwise the conversation goes
on as before (a search within the topic), saying first that the entry read does not state the fact
and leaving it out of the list; and a follow-up asked while a list is open, before any of its
entries was read, gets that list again with a request to pick one — the fact depends on the entry.

A short yes/no question naming a case ("外地户口可以吗", "残疾人能申请吗", "退休了还能领吗") is
about the entry just shown too, although it names a thing and so is no follow-up to the policy:
the citizen asks whether *their* case is covered. When the entry writes the case (a word of the
question that its title does not hold, in any of its written forms: 户口 is written 户籍), the
sentence that writes it is quoted (`condition_words`, `condition_quote`) — "由…向户籍所在地的镇人民
政府提出书面申请" — rather than a new search for 户口 that routes the citizen to the police station.
The entry does not say yes or no on the citizen's behalf: its own sentence is shown. When it does
not write the case, the question is searched as a new one.

The cue words are the ordinary vocabulary in which Chinese administrative texts state each kind
of fact (材料/证明/复印件 for materials; 窗口/中心/大厅 for places; 元/收费/免费 for cost …),
written once per kind, never for a particular entry or question.

When the entry states no such fact, and no other entry the search within the topic finds does
either (`may_state`), the citizen is told that the entry does not say (`WHAT`) and how to reach
staff, rather than shown the same list again: the entry was read, the list adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from knowledge.asks import FOLLOW_UP_MAX_WORDS, content_words
from knowledge.document import Document
from knowledge.topicwords import named_words

# kind -> (ask words, cue words naming the fact, cue words for the act around it). A sentence
# naming the thing asked for (材料, 窗口, 工作日) answers before one that only says what is done
# with it (提交, 前往): "要带啥" after 低保怎么申请 quotes "所需材料以…告知为准", not the sentence
# about who 提交s the application.
ASKS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "materials": (("材料", "资料", "证件", "手续", "证明", "准备", "带什么", "携带", "提供", "提交"),
                  ("材料", "证明", "证件", "复印件", "原件", "身份证", "户口簿", "户口本", "照片", "申请书",
                   "申请表"),
                  ("提供", "提交", "携带", "出具")),
    "place": (("哪里", "在哪", "哪儿", "什么地方", "地点", "地址", "位置", "窗口", "哪个部门", "找谁"),
              ("窗口", "中心", "大厅", "地址", "地点", "办事处", "村委会", "居委会", "派出所", "政府", "局", "网站",
               "平台", "APP", "app", "小程序"),
              ("前往", "到", "向")),
    "cost": (("多少钱", "费用", "收费", "收钱", "交钱", "缴费", "金额", "多少"),
             ("元", "费", "免费", "金额", "标准", "补助", "补贴"), ()),
    "time": (("多久", "多长时间", "几天", "多少天", "几个工作日", "多少个工作日", "期限", "时限", "什么时候", "截止",
              "几号"),
             ("工作日", "日内", "天内", "个月", "日前", "期限", "时限", "之前", "以内", "每年", "每月", "日"), ()),
    "contact": (("电话", "联系方式", "怎么联系", "热线"), ("电话", "热线"), ("联系", "咨询")),
    # Who may apply ("哪些人可以申请", "谁能办", "需要什么条件"): stated as conditions and target groups.
    "eligibility": (("哪些人", "什么人", "啥人", "谁可以", "谁能", "条件", "资格", "对象"),
                    ("条件", "对象", "资格", "人员", "家庭", "年满", "周岁", "户籍"), ("符合", "具备", "属于")),
}
# What each kind of fact is called when an entry does not state it: "「…」中没有写明所需材料".
WHAT = {"materials": "所需材料", "place": "办理地点", "cost": "费用或金额", "time": "办理时间或期限",
        "contact": "联系电话", "eligibility": "申请条件或对象"}
# A yes/no question whether a case is covered: "…可以吗", "…能申请吗", "…行不行", "…算不算".
YES_NO = re.compile(r"(?:可以|能|行|算|符合|享受)[^，,。？?！!]{0,4}?(?:吗|么|嘛|不)[。？?！!~～]*$"
                    r"|可不可以|能不能|行不行|算不算|符不符合|有没有")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def follow_up_text(question: str, terms: Sequence[str]) -> str:
    """The follow-up as typed and as the knowledge base reads it (its `terms` run together), for
    `ask_kind` and `quote_for`: the lexicon's canonical forms (啥 → 什么, 哪儿 → 哪里, 多钱 → 费用)
    then meet the ask words, written once in standard wording, so "要带啥" asks for materials as
    "要带什么" does without a list of every colloquial variant."""
    return f"{question}\n{''.join(terms)}"


def ask_kind(question: str) -> str | None:
    """Which kind of fact a follow-up asks for, or None when it names none.

    The longest ask word found names it ("多少天" asks for a time, not an amount), and 多少 alone
    yields to any other kind's word: "电话多少" asks for the number, not for a cost. On a tie the
    kinds' order in `ASKS` decides."""
    found = [(kind, a) for kind, (asks, _, _) in ASKS.items() for a in asks if a in question]
    return max(found, key=lambda pair: (pair[1] != "多少", len(pair[1])))[0] if found else None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) >= 4]


def quote_for(doc: Document, question: str) -> str | None:
    """The sentence of `doc` that answers the follow-up `question`, or None."""
    kind = ask_kind(question)
    if kind is None:
        return None
    asks, names, acts = ASKS[kind]
    asked = [a for a in asks if a in question]
    best, best_score = None, (0, 0, 0)
    for sentence in sentences(doc.body):
        score = (sum(1 for a in asked if a in sentence), sum(1 for cue in names if cue in sentence),
                 sum(1 for cue in acts if cue in sentence))
        if score[0] + score[1] > 0 and score > best_score:  # an act alone (提交) names no fact
            best, best_score = sentence, score
    return best


def may_state(doc: Document, question: str) -> bool:
    """Whether `doc` may hold the fact the follow-up `question` asks for: an FAQ entry when one of
    its sentences does (`quote_for`); an item always (its passages are read by the item reply)."""
    return doc.kind != "faq" or quote_for(doc, question) is not None


def not_stated(entry: Document, found: Sequence[Document], question: str) -> str | None:
    """The kind of fact (`WHAT`) the follow-up `question` asks that the FAQ `entry` just read does
    not state, when none of the entries the search within the topic `found` may state it either;
    else None (quote, or list what was found)."""
    kind = ask_kind(question)
    if kind is None or entry.kind != "faq" or quote_for(entry, question) is not None:
        return None
    return None if any(may_state(doc, question) for doc in found if doc.key != entry.key) else kind


def condition_words(question: str, terms: Sequence[str], domain: Collection[str] = ()) -> list[str]:
    """The case a short yes/no question names (`named_words`, with the knowledge base's `domain`
    verbs), or [] when `question` is no such question: no yes/no ask, more than
    `FOLLOW_UP_MAX_WORDS` content words (a question of its own), or an ask for a kind of fact
    (`ask_kind`: 电话, 材料, 多少钱 — a follow-up's business)."""
    content = content_words(terms)
    if not YES_NO.search(question.strip()) or not content or len(content) > FOLLOW_UP_MAX_WORDS:
        return []
    if ask_kind(question) is not None:  # "电话可以告诉我吗" asks for a fact, not whether a case counts
        return []
    return [t for t in named_words(terms, domain) if not YES_NO.search(t)]  # 行不行 is the ask, not the case


def condition_quote(entry: Document, words: Sequence[str],
                    written_forms: Callable[[str], Sequence[str]]) -> str | None:
    """The first sentence of the `entry` just shown that writes the most of the case's `words`, in
    any of their `written_forms` (the term and its synonyms' variants: 户籍 is also written 户口),
    or None when it writes none.

    Words its title writes are the topic already, not the case: "公积金可以贷款吗" after a 公积金
    entry asks about 贷款, and a sentence that only says 公积金 would repeat the entry."""
    spelled = [tuple(written_forms(w)) or (w,) for w in words]
    forms = [written for written in spelled if not any(f in entry.title for f in written)]
    best, best_count = None, 0
    for sentence in sentences(entry.body) if forms else ():
        count = sum(1 for written in forms if any(f in sentence for f in written))
        if count > best_count:
            best, best_count = sentence, count
    return best
