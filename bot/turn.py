"""What one inbound message produced: the reply, and what the question log should record.

The conversation decides the reply; the webhook renders it, remembers it for WeChat's retries
and hands the rest to the question log. Keeping this a plain value lets each side be tested
without the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.wechat.replies import NewsReply, TextReply
from knowledge.decision import Decision
from knowledge.document import SearchResult


class ReplyKind(StrEnum):
    """What kind of reply a turn gave; stored as its value in the question log's ``reply_kind``."""

    ANSWER_FAQ = "answer_faq"  # a FAQ entry's answer
    ANSWER_ITEM = "answer_item"  # a disclosure item, summarised
    ITEM_METADATA = "item_metadata"  # 文号, 发布机构 … of the item just shown (bot.item_followups)
    CHOICES = "choices"  # a numbered list (or its next page)
    NOT_FOUND = "not_found"  # honest "not found", perhaps with related entries
    EMPTY = "empty"  # nothing to search: asked for a question
    WELCOME = "welcome"
    HELP = "help"
    STAFF = "staff"  # contacts for 人工
    THANKS = "thanks"
    BYE = "bye"
    VOICE_UNRECOGNISED = "voice_unrecognised"
    UNSUPPORTED = "unsupported"  # a message type the bot cannot read
    IGNORED = "ignored"  # an event that needs no reply
    RATE_LIMITED = "rate_limited"
    CHOICE_EXPIRED = "choice_expired"  # a number or 更多 without a list in the session
    CHOICE_INVALID = "choice_invalid"  # a number outside the list
    CHOICE_GONE = "choice_gone"  # the chosen entry was removed since
    CHOICES_END = "choices_end"  # 更多 after the last page
    FEEDBACK = "feedback"
    FEEDBACK_NONE = "feedback_none"  # 满意/不满意 with no answer to rate
    FEEDBACK_REPEAT = "feedback_repeat"  # that answer was rated already
    ERROR = "error"  # the conversation failed; an apology was sent
    BUSY = "busy"  # no answer within REPLY_DEADLINE: the polite busy reply (logged before it goes out)
    ROUTED = "routed"  # not in the knowledge base: who usually handles it (bot.routing)
    COMPLAINT = "complaint"  # 投诉/举报: the complaint route
    ABUSE = "abuse"  # a calm reply to abuse, no boilerplate
    TOWNSHIP_INFO = "township_info"  # the township's own phone/address/hours, from the settings
    NOT_CHINESE = "not_chinese"  # asked to write in Chinese
    FOLLOW_UP_QUOTE = "follow_up_quote"  # the sentence of the entry just shown that answers a follow-up


# How staff read each reply kind (the hit test, the question log): every kind has one, so a new
# kind never shows its code on a Chinese page.
REPLY_KIND_LABELS: dict[ReplyKind, str] = {
    ReplyKind.ANSWER_FAQ: "直接回答（问答）", ReplyKind.ANSWER_ITEM: "直接回答（公开信息）",
    ReplyKind.ITEM_METADATA: "回答公开信息的文号、发布机构等", ReplyKind.CHOICES: "列出编号让群众选择",
    ReplyKind.NOT_FOUND: "未找到", ReplyKind.EMPTY: "问题为空", ReplyKind.WELCOME: "欢迎语",
    ReplyKind.HELP: "帮助", ReplyKind.STAFF: "转人工", ReplyKind.THANKS: "致谢", ReplyKind.BYE: "道别",
    ReplyKind.VOICE_UNRECOGNISED: "语音未能识别", ReplyKind.UNSUPPORTED: "不支持的消息类型",
    ReplyKind.IGNORED: "无需回复的事件", ReplyKind.RATE_LIMITED: "提问过于频繁",
    ReplyKind.CHOICE_EXPIRED: "编号列表已过期", ReplyKind.CHOICE_INVALID: "编号超出列表",
    ReplyKind.CHOICE_GONE: "所选条目已删除", ReplyKind.CHOICES_END: "列表已到最后一页",
    ReplyKind.FEEDBACK: "收到满意度评价", ReplyKind.FEEDBACK_NONE: "评价时没有可评价的回答",
    ReplyKind.FEEDBACK_REPEAT: "重复评价", ReplyKind.ERROR: "出错致歉", ReplyKind.BUSY: "繁忙致歉（超时）",
    ReplyKind.ROUTED: "告知办理机构", ReplyKind.COMPLAINT: "告知投诉举报渠道", ReplyKind.ABUSE: "平和回应不当言语",
    ReplyKind.TOWNSHIP_INFO: "本镇联系方式", ReplyKind.NOT_CHINESE: "请用中文提问",
    ReplyKind.FOLLOW_UP_QUOTE: "追问：引用所看条目的原句",
}

@dataclass(frozen=True)
class ChoiceSignal:
    """Evidence for learning from citizens' choices (`bot.learning`), carried out of the turn.

    `picked`: the citizen opened entry `key` from the list that answered `wording` (with the
    wording's analysed `terms`, for the report's grouping). Not picked: the citizen's message
    says the entry just picked was not what they wanted (不满意, 更多, another number or a new
    question soon after).
    """

    picked: bool
    wording: str = ""
    terms: tuple[str, ...] = ()
    key: str = ""
    at: float = 0.0  # epoch seconds of the pick (the conversation's clock)
    since: float | None = None  # epoch seconds of the earlier pick this message doubts, if any


class Feedback(StrEnum):
    """A citizen's rating of an answer; stored as its value in the question log's ``feedback``."""

    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"


@dataclass(frozen=True)
class Turn:
    reply: TextReply | NewsReply | None  # None: answer WeChat with "success" (no message)
    kind: ReplyKind  # what the reply was, for the question log
    question: str | None = None  # the citizen's question when this turn is one to log
    result: SearchResult | None = None
    answered: bool = False
    # (message key of the answered question, the rating) for a feedback turn
    feedback: tuple[str, Feedback] | None = None
    decision: Decision | None = None  # the answer policy's verdict, for a question
    choice: ChoiceSignal | None = None  # a pick from a list, or doubt about the last one (bot.learning)
