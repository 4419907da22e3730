"""Every sentence a citizen reads, in one place, so wording is reviewed and changed here only.

Written for a phone screen: short lines, polite 您, no jargon beyond the official names of
things. Placeholders in braces are filled by `bot.compose`; a line whose value the township has
not configured is left out there rather than shown empty or invented.
"""

from __future__ import annotations

# -- the webhook's own fallbacks ------------------------------------------------------------------

BUSY = "系统正忙，请稍后再发一次您的问题。"
BUSY_PUSHED = "您的问题正在查询，答案稍后会发送给您，请留意本公众号消息。"
INTERNAL_ERROR = "抱歉，系统出了点问题，请稍后再试。"

# -- welcome and help -----------------------------------------------------------------------------

HELP_INTRO = "您好！这里是{name}政务公开问答。"
HELP_USAGE = (
    "直接发送文字或语音提问即可，例如政策、办事材料、公示公告等。\n"
    "· 找到多条结果时，回复序号查看详情\n"
    "· 回复“更多”查看下一页\n"
    "· 回复“人工”获取人工咨询方式\n"
    "· 回复“帮助”再次查看本说明"
)
HELP_EXAMPLES = "大家最近在问："
HELP_EXAMPLE_LINE = "· {topic}"

# -- staff contact --------------------------------------------------------------------------------

STAFF_INTRO = "如需人工咨询，可通过以下方式联系我们："
STAFF_CONTACT = "联系方式：{value}"
STAFF_NONE = "请在办公时间到{name}咨询。"

# -- contact lines shared by "人工" and "not found" (left out when not configured) ------------

LINE_PHONE = "电话：{value}"
LINE_ADDRESS = "地址：{value}"
LINE_HOURS = "办公时间：{value}"
LINE_PORTAL = "网站：{value}"

# -- answers --------------------------------------------------------------------------------------

FAQ_HEADING = "【{title}】"
ITEM_PUBLISHED = "发布日期：{value}"
ITEM_DOC_NUMBER = "文号：{value}"
ITEM_PUBLISHER = "发布机构：{value}"
ITEM_NO_SUMMARY = "详细内容请查看原文。"
ITEM_SOURCE = "——摘自《{title}》"
ITEM_HISTORY = "注意：该文件已{status}，以下内容仅供了解历史情况，不是现行规定。"
ITEM_EXPIRED = "注意：该文件有效期至{date}，已过期，以下内容仅供了解历史情况，不是现行规定。"
ITEM_LINK = "原文：{url}"

# -- questions about the item just shown (bot.item_followups) -------------------------------------

ABOUT_ITEM = "《{title}》"
ABOUT_DOC_NUMBER = "文号：{value}"
ABOUT_PUBLISHER = "发布机构：{value}"
ABOUT_PUBLISHED = "发布日期：{value}"
ABOUT_INDEX_NUMBER = "索引号：{value}"
ABOUT_URL = "原文链接：{value}"
ABOUT_STATUS_CURRENT = "据公开信息，该文件现行有效。"
ABOUT_MISSING = "该信息公开时没有登记{label}，请查看原文或咨询发布机构。"
ABOUT_LABELS = {"doc_number": "文号", "publisher": "发布机构", "published": "发布日期", "index_number": "索引号",
                "url": "原文链接", "status": "是否有效"}
# After an FAQ entry: it is an answer staff wrote, not a document with 文号 or 发布机构.
ABOUT_FAQ = "「{title}」是常见问答，不是正式公文，没有{label}。"
ABOUT_FAQ_CURRENT = "「{title}」是常见问答，现行有效：过期或停用的问答不会再用来答复。"
ABOUT_FAQ_SOURCE = "出处：{value}"
ABOUT_FAQ_SEARCH = "如需查看相关文件，请直接发送文件名称或关键词。"
ABOUT_WHICH_ITEM = "上面列出的第 {numbers} 条都是文件，请先回复序号查看其中一份，再问{label}。"
DETAIL_LINK = "详情：{url}"
FEEDBACK_HINT = "（回复“满意”或“不满意”，帮助我们改进）"

# -- numbered choices -----------------------------------------------------------------------------

CHOICES_INTRO = "为您找到以下相关内容："
CHOICES_PAGE_INTRO = "相关内容（第{first}—{last}条，共{total}条）："
CHOICE_LINE = "{number}. {title}"
CHOICE_DATE = "（{date}）"
CHOICES_PICK = "回复序号查看详情"
CHOICES_MORE = "，回复“更多”查看下一页"
CHOICES_END = "。"
CHOICES_NO_MORE = "以上已是全部结果。回复序号查看详情，或换个说法重新提问。"
CHOICE_OUT_OF_RANGE = "请回复 1—{total} 之间的序号查看详情。"
CHOICES_EXPIRED = "之前的结果列表已过期，请重新发送您的问题。"
# "还有吗" after a single answer or a "not found" (no list to page through): not an expired list.
MORE_AFTER_ANSWER = "刚才的答复就是找到的全部内容。您可以换个说法重新提问，或回复“人工”获取联系方式。"
CHOICE_GONE = "这条内容已更新或撤下，请重新发送您的问题。"
# Under a direct answer chosen over close rivals: those rivals, numbered like a list.
RIVALS = "您可能还想问（回复序号查看）："

# -- not found ------------------------------------------------------------------------------------

NOT_FOUND = "抱歉，没有找到与您的问题相符的已公开信息。"
# The same, when entries sharing the question's words are listed below it: they were found, the answer was not.
NOT_FOUND_NEAR = "抱歉，没有找到能确切回答您问题的已公开信息。"
NOT_FOUND_REQUEST = "如需了解尚未公开的政府信息，可以提出“依申请公开”申请："
NOT_FOUND_CHANNELS = "申请渠道：{value}"
NOT_FOUND_REPHRASE = "您可以换个说法，或用更简短的关键词再问一次。"
RELATED_TOPICS = "大家还在问："
MAYBE_RELATED = "以下已公开内容与您的问题部分相关，仅供参考（回复序号查看）："
# Under the list it quotes, in a paragraph of its own: the first entry's title is in the list just above.
MAYBE_EXCERPT = "第1条中写道：“{quote}”"

# -- other turns ----------------------------------------------------------------------------------

EMPTY_QUESTION = "请用文字告诉我您想了解什么，例如某项政策、办事材料或公示公告。"
VOICE_UNRECOGNISED = "抱歉，没能听清您的语音，请改用文字发送问题。"
UNSUPPORTED = "抱歉，我暂时只能回答文字或语音提问。请直接发送您想了解的问题，回复“帮助”查看使用说明。"
RATE_LIMITED = "您发送得有点快，请稍等一分钟再提问。"
THANKS_REPLY = "不客气！还有其他问题，随时发给我。"
BYE_REPLY = "再见！还有政务公开方面的问题，随时发给我。"

FEEDBACK_SATISFIED = "感谢您的评价！还有其他问题，随时发给我。"
FEEDBACK_UNSATISFIED = "感谢您的反馈，我们会改进答复内容。"
# After 不满意 with the rated reply's numbered entries still open (a list, related entries, a direct answer's rivals).
FEEDBACK_UNSATISFIED_LISTED = "上面列出的其他内容，回复序号即可查看。"
FEEDBACK_UNSATISFIED_HELP = "如需进一步帮助，可回复“人工”获取联系方式。"
FEEDBACK_ALREADY = "您的评价已收到，谢谢！"
FEEDBACK_NOTHING = "感谢您的反馈！请先提问，收到答复后再回复“满意”或“不满意”进行评价。"

# -- routing: who handles it, the township's own details, complaints (bot/routing.py) ----------

ROUTED_INTRO = "您问的事项暂未收录在本平台的公开信息中。"
ROUTED_OFFICE = "这件事一般由{name}办理："
ROUTED_OFFICE_PLAIN = "这件事一般由{name}办理。"  # the directory lists no phone, address or hours for it
ROUTED_CAVEAT = "（以上为常见办理渠道，具体以当地实际为准。）"
ROUTED_SEE_TOWNSHIP = "也可以在办公时间到{name}咨询："
ROUTED_SEE_TOWNSHIP_PLAIN = "可以在办公时间到{name}咨询。"  # no township detail configured either
COMPLAINT_INTRO = "投诉、举报可以通过以下途径反映，请说明事情经过、时间和地点："
REQUEST_INTRO = "意见、建议和诉求可以通过以下途径反映，请说明具体事项和地点："
COMPLAINT_TOWNSHIP = "也可以在办公时间到{name}当面反映。"
TOWNSHIP_INFO_INTRO = "{name}："
TOWNSHIP_NOT_PUBLISHED = "{what}暂未在本平台公布，请在办公时间到{name}咨询。"
TOWNSHIP_WHAT = {"phone": "联系电话", "address": "地址", "hours": "办公时间"}
NOT_CHINESE = "请用中文发送您的问题，例如：低保怎么申请。\nPlease write your question in Chinese."
ABUSE_REPLY = (
    "理解您可能遇到了不顺心的事。请告诉我您想办理或了解的具体事情，我会尽力帮您查找；"
    "也可以回复“人工”获取工作人员的联系方式。"
)

# -- full text (bot/fulltext.py) --------------------------------------------------------------------

FULL_TEXT_LINK = "答复较长，查看全文：{url}"
FULL_TEXT_CUT = "（答复较长，以上只显示了一部分。如需完整内容，请回复“人工”。）"
FOLLOW_UP_QUOTE = "「{title}」中写道："
FOLLOW_UP_NOT_STATED = "「{title}」中没有写明{what}，已公开的其他内容中也没有找到。"
# A follow-up ("需要什么材料") while a list is open and no entry of it was read: each entry says its own.
FOLLOW_UP_PICK_FIRST = "{what}因事项而异，请回复序号查看具体事项："
# A follow-up the entry just read does not answer, listed from other entries of the topic.
FOLLOW_UP_ELSEWHERE = "「{title}」中没有写明{what}，以下内容中可能有："

# -- typos (knowledge/spelling.py) ------------------------------------------------------------------

SPELLING_NOTE = "（已按「{words}」理解您的问题）"
DID_YOU_MEAN = "您是不是想问「{words}」？可以换成这个说法再问一次。"
