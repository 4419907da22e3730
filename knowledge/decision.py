"""A decision of the answer policy (`knowledge.policy`): what the reply will be, which rule chose
it, and the reason in a sentence staff can read.

Kept apart from the rules so that what consumes a decision — the conversation, the question log,
the admin's hit test, the benchmarks — depends on this small vocabulary, not on the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from knowledge.document import Hit, SearchResult
from knowledge.thresholds import DEFAULT_THRESHOLDS, Thresholds


class DecisionKind(StrEnum):
    """What the reply to a question will be."""

    ANSWER = "answer"  # one entry, answered directly
    CHOICES = "choices"  # a numbered list to pick from
    RELATED = "related"  # "not found", with entries that are only related, numbered
    NOT_FOUND = "not_found"  # "not found", nothing to offer
    EMPTY = "empty"  # nothing to search for: the citizen is asked for a question


class Reason(StrEnum):
    """Which rule made the decision (stable codes, for logs, benchmarks and the admin's hit test)."""

    NO_TERMS = "no_terms"
    NO_HITS = "no_hits"
    CONFIDENT_SINGLE = "confident_single"
    CONFIDENT_SEVERAL = "confident_several"
    CONFIDENT_DIRECT = "confident_direct"
    VERBATIM = "verbatim"
    ANSWER_BODY_ONLY = "answer_body_only"
    COVERING_SEVERAL = "covering_several"
    PARTLY_RELATED = "partly_related"
    UNSURE = "unsure"
    FOLLOW_UP_ON_TOPIC = "follow_up_on_topic"
    FOLLOW_UP_UNANSWERED = "follow_up_unanswered"


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one question, and what it was based on."""

    kind: DecisionKind
    reason: Reason
    hits: tuple[Hit, ...]  # to show: the answer first, the list, or the related entries
    question: str
    terms: tuple[str, ...]  # the question's analysed terms
    query: str  # what was searched: the question, or the topic and the follow-up
    result: SearchResult | None  # None when nothing was searched
    follow_up: bool = False
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    #: A direct answer chosen over close rivals (`Reason.CONFIDENT_DIRECT`): those rivals, best
    #: first, at most ``max_rivals`` — shown under the answer, one tap away, in case the choice
    #: was wrong. Empty for every other decision.
    rivals: tuple[Hit, ...] = ()
    #: A short question that names a thing, unsure on its own, read with the open topic
    #: ("门诊能报多少" after 医保报销: `AnswerPolicy._narrowed`); `query` holds both.
    narrowed: bool = False

    @property
    def offered(self) -> bool:
        """An answer or a list: the question counts as answered and becomes the topic."""
        return self.kind in (DecisionKind.ANSWER, DecisionKind.CHOICES)

    @property
    def explanation(self) -> str:
        """The reason in a sentence staff can read (the admin's hit test shows it)."""
        t = self.thresholds
        a = self.result.assessment if self.result is not None else None
        if self.result is not None and self.result.hits and a is not None:
            gate = (
                f"把握度 {a.confidence:.2f}（阈值 {t.answer_threshold:g}），"
                f"问题词覆盖 {a.query_coverage:.2f}（下限 {t.min_query_coverage:g}），"
                f"标题覆盖 {a.title_coverage:.2f}（下限 {t.min_title_coverage:g}）"
            )
        else:
            gate = ""
        n = len(self.hits)
        text = {
            Reason.NO_TERMS: "问题中没有可检索的词语",
            Reason.NO_HITS: "知识库中没有任何内容包含问题的词语",
            Reason.CONFIDENT_SINGLE: f"检索有把握，且只有一条结果得分在最高分的 {t.confident_ratio:.0%} 以上：直接答复",
            Reason.CONFIDENT_SEVERAL: (
                f"检索有把握，但有 {n} 条结果得分在最高分的 {t.confident_ratio:.0%} 以上：列出供选择"
            ),
            Reason.CONFIDENT_DIRECT: (
                f"检索有把握；虽有其他结果得分在最高分的 {t.confident_ratio:.0%} 以上，"
                f"但直接答复把握度达到阈值 {t.direct_threshold:g}：直接答复最佳结果"
                + (f"，并在下方列出 {len(self.rivals)} 条“您可能还想问”" if self.rivals else "")
            ),
            Reason.VERBATIM: "问题与常见问题（或其相似问法）的写法一致：直接答复",
            Reason.ANSWER_BODY_ONLY: (
                "检索有把握，但最佳结果（常见问题）的问题和相似问法中没有提问的任何关键词，只在答案中匹配：不直接答复，"
                + (f"{n} 条结果作为相关内容列出" if n else "答复未找到")
            ),
            Reason.COVERING_SEVERAL: f"检索没有把握，但 {n} 条结果都包含问题的全部关键词：列出供选择",
            Reason.PARTLY_RELATED: (
                f"检索没有把握；{n} 条结果包含问题至少 {t.related_share:.0%} 的关键词：作为相关内容列出"
            ),
            Reason.UNSURE: "检索没有把握，也没有结果包含问题的大部分关键词：答复未找到",
            Reason.FOLLOW_UP_ON_TOPIC: f"追问：结合上一话题检索，{n} 条结果涉及该话题和追问内容",
            Reason.FOLLOW_UP_UNANSWERED: "追问：没有结果同时涉及上一话题和追问内容：答复未找到",
        }[self.reason]
        if self.reason is Reason.PARTLY_RELATED and self.result is not None and self.hits \
                and self.hits[0] == self.result.hits[0] and self.hits[0].titled:
            # The best guess may stand first for a telling word of its title alone (``related_top_share``).
            words = "、".join(f"“{w}”" for w in self.hits[0].titled)
            others = f"，另有 {n - 1} 条结果包含问题至少 {t.related_share:.0%} 的关键词" if n > 1 else ""
            text = f"检索没有把握；最佳结果的标题含问题中的少见词{words}，列在首位{others}：作为相关内容列出"
        return f"{text}。{gate}" if gate else text
