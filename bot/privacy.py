"""Pseudonyms and masking: what keeps citizens' identities out of the question log and log files.

The policy office needs to know *what* citizens ask, never *who* asked or their numbers. So
an OpenID is replaced by a keyed hash (stable per user, so repeat askers can be counted, but
not reversible without the instance secret), and numbers that identify a person are masked
before any text is stored or logged. The masks keep the shape (`138****5678`) so that staff
reading a question still see that a phone number was there.

Masking is deliberately conservative about ordinary numbers: years, dates, amounts and 文号
are short digit runs and none of the patterns below matches them. Numbers are found however
citizens type them: with spaces, dashes or dots between groups (`138.1234.5678`,
`110101-1990-0307-7777`), in full-width digits, or spoken as Chinese digits
(`一三八一二三四五六七八`). Besides numbers, `mask_personal_data` masks passports, number
plates, QQ/WeChat ids and house numbers of street addresses (the number after 路/街/村/组/
栋/单元 …, never the road or village, which the policy office needs); `mask_citizen_text`
also masks people's names, found by jieba's part-of-speech tagger (`nr`), for text citizens
wrote (the question log, sessions).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Iterable

# Full-width digits and signs typed with Chinese IMEs: folded to ASCII before matching so
# that `１３８１２３４５６７８` is masked like `13812345678`. Nothing else in the text changes.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "＋": "+", "－": "-", "　": " ",
                       "＠": "@", "．": ".", "＿": "_"})
# Chinese digits as people dictate numbers (幺 is "one" on the phone). Only runs of seven or
# more are read as a number: 一二三 or 十一五 in ordinary text stay as they are.
_CN_DIGIT = {"零": "0", "〇": "0", "幺": "1", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_RUN = re.compile("[" + "".join(_CN_DIGIT) + "]{7,}")

_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_SEP = r"[ \-.]?"  # one optional space, dash or dot between digit groups

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]+)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")

# 18-digit resident ID (region, birth date, sequence, check digit which may be X), optionally
# written in 6-8-4 blocks.
_ID18 = re.compile(
    _NOT_DIGIT_BEFORE
    + r"[1-9][0-9]{5}" + _SEP + r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    + _SEP + r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)
# Bank cards written in groups of four with one consistent separator (unbroken ones fall
# under _LONG). Four years in a row (`2019 2020 2021 2022`) are not a card.
_CARD = re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{4}([ \-])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?"
                   + _NOT_DIGIT_AFTER)
_YEARS = re.compile(r"(?:(?:19|20)[0-9]{2}[ \-]?){4}")
# Anything else of 15 or more unbroken digits: old 15-digit IDs, cards of odd lengths, account
# numbers. No ordinary number in a question is that long.
# (14 digits: social-security numbers of several provinces.)
_LONG = re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{14,}" + _NOT_DIGIT_AFTER)
# Digit groups joined by single separators that no pattern above took whole, e.g. an ID in
# 6-4-4-4 blocks: masked when the digits together are 14 or more.
_GROUPED = re.compile(_NOT_DIGIT_BEFORE + r"[0-9]+(?:[ \-.][0-9]+){2,}[Xx]?" + r"(?![0-9A-Za-z])")
# Chinese passports: E/G/D/S/P and 8 digits, or E and a letter and 7 digits.
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?:[EeGgDdSsPp][0-9]{8}|[Ee][A-HJ-NP-Za-hj-np-z][0-9]{7})(?![0-9A-Za-z])")
# Number plates: province character, city letter, optional dot, 5 (6 for new-energy) letters
# or digits with at least one digit.
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])([A-HJ-NP-Za-hj-np-z])"
                    r"[ ·•.]?(?=[A-HJ-NP-Za-hj-np-z0-9]{0,5}[0-9])([A-HJ-NP-Za-hj-np-z0-9]{5,6})(?![A-Za-z0-9])")
# QQ numbers and WeChat ids, recognised by the word before them.
_QQ = re.compile(r"((?:[Qq]{2}|扣扣)(?:号码?|账号)?(?:是|为)?[:：\s]*)([1-9][0-9]{4,11})(?![0-9])")
# An English marker (WeChat, wx …) must stand as a word of its own: "WeChatClient" names no id.
_WECHAT = re.compile(r"((?:微信|[Vv]信|(?<![A-Za-z])(?:[Ww][Xx]|[Vv][Xx]|[Ww]eixin|WeChat|wechat|Wechat|WECHAT)"
                     r"(?=id|ID|[^A-Za-z]|$))(?:\s?(?:号|账号|(?:id|ID|Id)(?![a-z])))?(?:是|为)?[:：\s]*)"
                     r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])")
_BARE_ENGLISH_MARKER = re.compile(r"[A-Za-z]+\s*")
_WXID = re.compile(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9]{6,}")
# House, building, unit and room numbers: a number right after an address word and right
# before a numbering word. 〔2018〕12号 (文号) and 3月12号 (dates) have neither before them.
_ADDRESS_NUMBER = re.compile(r"(单元|街道|小区|社区|花园|家园|公寓|大厦|号楼|号院|[路街巷弄村庄屯组栋幢室号])(\s?)"
                             r"([0-9零〇一二三四五六七八九十百]{1,5})(?=\s?(?:号楼|号院|号|栋|幢|单元|室|户|组|楼|层))")

# Mainland mobile numbers, with an optional +86 / 0086 / 86- prefix and spaces or dashes.
_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE + r"((?:\+|00)86" + _SEP + r"|86[ \-])?(1[3-9][0-9](?:" + _SEP + r"[0-9]){8})"
    + _NOT_DIGIT_AFTER
)
# Landlines: area code 0xx / 0xxx (optionally in brackets), a 7-8 digit number that cannot
# start with 0 or 1, an optional extension.
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE
    + r"([(（]?(?:0(?:10|2[0-9])|0[3-9][0-9]{2})[)）]?)" + _SEP
    + r"([2-9][0-9]{2,3}" + _SEP + r"[0-9]{4})((?:[ \-]|转)[0-9]{1,5})?" + _NOT_DIGIT_AFTER
)


def pseudonymise(openid: str, secret: str) -> str:
    """HMAC-SHA256 of the OpenID: the same user always maps to the same id, but only with the secret."""
    return hmac.new(secret.encode("utf-8"), openid.encode("utf-8"), hashlib.sha256).hexdigest()


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


def _keep_ends(digits: str, head: int, tail: int) -> str:
    return digits[:head] + "*" * max(len(digits) - head - tail, 4) + digits[-tail:]


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[:1]}***@{domain}"


def _mask_id(match: re.Match[str]) -> str:
    return _keep_ends(_digits(match.group(0)), 4, 4)


def _mask_card(match: re.Match[str]) -> str:
    if _YEARS.fullmatch(match.group(0)):
        return match.group(0)
    return _keep_ends(_digits(match.group(0)), 4, 4)


def _mask_mobile(match: re.Match[str]) -> str:
    prefix = match.group(1) or ""
    number = _digits(match.group(2))
    return f"{prefix}{number[:3]}****{number[-4:]}"


def _mask_landline(match: re.Match[str]) -> str:
    area, number, extension = match.group(1), _digits(match.group(2)), match.group(3) or ""
    separator = "" if area.endswith((")", "）")) else "-"
    return f"{area}{separator}{'*' * (len(number) - 4)}{number[-4:]}{extension}"


def _mask_grouped(match: re.Match[str]) -> str:
    digits = _digits(match.group(0))
    if len(digits) < 14 or _YEARS.fullmatch(match.group(0)):
        return match.group(0)
    return _keep_ends(digits, 4, 4)


def _mask_wechat(match: re.Match[str]) -> str:
    """A WeChat id after its marker; an English word after a bare English "WeChat" is left alone.

    "微信 zhangsan" and "WeChat ID: zhangsan" name an id, but in "WeChat callback failed" the
    next word is English prose: after a bare English marker only a value with a digit, `_` or
    `-` (which no English word has) is taken for an id.
    """
    if _BARE_ENGLISH_MARKER.fullmatch(match.group(1)) and match.group(2).isalpha():
        return match.group(0)
    return _mask_kept_prefix(match)


def _mask_kept_prefix(match: re.Match[str]) -> str:
    value = match.group(2)
    return f"{match.group(1)}{value[:1]}{'*' * max(len(value) - 1, 4)}"


def _mask_address_number(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}*"


def _mask_plate(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}{'*' * len(match.group(3))}"


def mask_personal_data(text: str) -> str:
    """Mask phone, ID, card, passport, social-security, QQ/WeChat and plate numbers, e-mail
    addresses and house numbers in `text` (every log line and stored text goes through this).

    Order matters: e-mail first (a QQ mail's local part is a number), then the longest digit
    patterns, so that a phone pattern never bites into an ID or card number.
    """
    if not text:
        return text
    text = _CN_RUN.sub(lambda m: "".join(_CN_DIGIT[ch] for ch in m.group(0)), text.translate(_FOLD))
    text = _EMAIL.sub(_mask_email, text)
    text = _WXID.sub("wxid_****", text)
    text = _WECHAT.sub(_mask_wechat, text)
    if not any(ch.isdigit() for ch in text):
        return _ADDRESS_NUMBER.sub(_mask_address_number, text)
    text = _QQ.sub(_mask_kept_prefix, text)
    text = _PASSPORT.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 3) + m.group(0)[-2:], text)
    text = _PLATE.sub(_mask_plate, text)
    text = _ID18.sub(_mask_id, text)
    text = _CARD.sub(_mask_card, text)
    text = _LONG.sub(_mask_card, text)
    text = _MOBILE.sub(_mask_mobile, text)
    text = _LANDLINE.sub(_mask_landline, text)
    text = _GROUPED.sub(_mask_grouped, text)
    return _ADDRESS_NUMBER.sub(_mask_address_number, text)


# Names: jieba tags person names `nr` (and splits unknown ones into a surname tagged `nr` and
# a given name tagged `nz`/`ns`/`nr`), but it also tags everyday words `nr` (养老金, 盖章). A
# token is taken for a name only when it starts with a common surname, is rare in jieba's
# dictionary (everyday words are frequent; real names are rare or absent), and is not followed
# by an administrative suffix (金贵 in 金贵镇 is a place). The surnames are the commonest
# Chinese surnames (over 85 % of the population), a general list rather than anyone's name.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文")
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
_GIVEN_TAGS = frozenset({"nr", "nrfg", "nrt", "nz", "ns"})
_RARE = 60  # jieba dictionary frequency below which an `nr` word may be a name
_PLACE_SUFFIX = (*"镇乡村县市区省州旗街组屯庄", "社区", "街道")
_TITLE_SUFFIX = ("书记", "主任", "镇长", "乡长", "村长", "县长", "局长", "科长", "所长", "站长", "组长", "队长",
                 "老师", "医生", "大夫", "师傅", "同志", "先生", "女士", "阿姨", "大爷", "大妈")
_pos_lock = threading.Lock()


def _cjk(word: str) -> bool:
    return bool(word) and all("\u4e00" <= ch <= "\u9fff" for ch in word)


def _posseg():
    import jieba.posseg  # imported lazily: loading the tagger takes a moment (see warm_up)

    return jieba.posseg


def warm_up() -> None:
    """Load jieba's tagger now (at start-up) rather than on the first citizen's message."""
    mask_citizen_text("我叫张三")


def _has_surname(word: str) -> bool:
    return word.startswith(_COMPOUND_SURNAMES) or word[:1] in _SURNAMES


def _is_name(word: str, flag: str, following: str, freq: dict) -> bool:
    if flag not in _NAME_TAGS or not 2 <= len(word) <= 4 or not _cjk(word) or not _has_surname(word):
        return False
    if word.endswith(_TITLE_SUFFIX + _PLACE_SUFFIX) or following.startswith(_PLACE_SUFFIX + _TITLE_SUFFIX):
        return False
    return (freq.get(word) or 0) < _RARE


# The second general signal: where a name stands. After 我叫/我是/户主/我爸 … or at the start
# of a clause, a surname and one or two characters up to a clause break or a particle are a
# name — unless surname and the next character form an everyday word (农民, 黄金, 王家村 …),
# judged by jieba's dictionary frequency as above.
_NAME_CUE = re.compile(
    r"(^|[，,。；;：:！!？?\s]|我叫|我是|名叫|叫做|姓名|户主|本人|我爸|我妈|父亲|母亲|爱人|老伴|儿子|女儿|丈夫|妻子"
    r"|查一下|帮我查)(" + "|".join(_COMPOUND_SURNAMES) + r"|[" + "".join(sorted(_SURNAMES)) + r"])"
    r"([\u4e00-\u9fff]{1,2}?)(?=$|[的，,。、；;：:！!？?\s去是在说家想要已今每和跟与也都还了呢吗])"
)
_EVERYDAY = 100  # dictionary frequency from which surname+character is an everyday word


def _mask_cued(text: str, freq: dict) -> str:
    def replace(match: re.Match[str]) -> str:
        cue, surname, given = match.groups()
        word = surname + given
        if ((freq.get(word) or 0) >= _EVERYDAY or (freq.get(surname + given[:1]) or 0) >= _EVERYDAY
                or word.endswith(_TITLE_SUFFIX + _PLACE_SUFFIX) or given in _TITLE_SUFFIX):
            return match.group(0)
        return cue + surname + "*" * len(given)

    return _NAME_CUE.sub(replace, text)


@functools.lru_cache(maxsize=2048)
def _mask_names(text: str) -> str:
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    posseg = _posseg()
    with _pos_lock:
        posseg.dt.tokenizer.check_initialized()
    text = _mask_cued(text, posseg.dt.tokenizer.FREQ)
    with _pos_lock:  # jieba's tagger initialises lazily and is not safe to initialise twice
        pairs = [(p.word, p.flag) for p in posseg.lcut(text, HMM=True)]
    freq = posseg.dt.tokenizer.FREQ
    out = []
    skip = False
    for n, (word, flag) in enumerate(pairs):
        if skip:
            skip = False
            continue
        following = pairs[n + 1][0] if n + 1 < len(pairs) else ""
        after = pairs[n + 2][0] if n + 2 < len(pairs) else ""
        if _is_name(word, flag, following, freq):
            out.append(word[0] + "*" * (len(word) - 1))
        elif (flag in _NAME_TAGS and len(word) == 1 and word in _SURNAMES and 1 <= len(following) <= 2
              and _cjk(following) and pairs[n + 1][1] in _GIVEN_TAGS and not after.startswith(_PLACE_SUFFIX)
              and not following.endswith(_PLACE_SUFFIX)):
            out.append(word + "*" * len(following))  # surname and given name split by the tagger
            skip = True
        else:
            out.append(word)
    return "".join(out)


def mask_citizen_text(text: str) -> str:
    """`mask_personal_data`, plus people's names: for what citizens wrote, before it is stored."""
    return _mask_names(mask_personal_data(text)) if text else text


def safe_terms(terms: Iterable[str], masked_question: str, question: str | None = None) -> list[str]:
    """The analysed terms minus any that could carry personal data.

    Terms come from the *unmasked* question: jieba cuts `138-1234-5678` into three digit
    terms and an e-mail into its parts. A term with a Latin letter, digit or `@` is kept only
    when it still appears in the masked question, so what masking removed stays removed; with
    the original `question`, so is any term (a name) that was in it and is not in the masked one.
    """
    haystack = masked_question.lower()
    original = (question or "").lower()
    kept = []
    for term in terms:
        folded = term.lower()
        if folded in haystack:
            kept.append(term)
        elif any(ch.isascii() and (ch.isalnum() or ch == "@") for ch in term) or (original and folded in original):
            continue
        else:
            kept.append(term)
    return kept


class MaskingFilter(logging.Filter):
    """Masks personal data in every record's rendered message and traceback (defence in depth).

    Our own code never logs a question unmasked, but a library's exception text (a database
    error quoting its parameters, say) might; installed on the root handlers, this filter
    catches that too. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem to report, not ours
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
