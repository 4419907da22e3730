"""Pseudonyms and masking: what keeps citizens' identities out of the question log and log files.

The policy office needs to know *what* citizens ask, never *who* asked or their numbers. So
an OpenID is replaced by a keyed hash (stable per user, so repeat askers can be counted, but
not reversible without the instance secret), and numbers that identify a person are masked
before any text is stored or logged. The masks keep the shape (`138****5678`) so that staff
reading a question still see that a phone number was there.

Masking is deliberately conservative about ordinary numbers: years, dates, amounts and 文号
are short digit runs and none of the patterns below matches them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable

# Full-width digits and signs typed with Chinese IMEs: folded to ASCII before matching so
# that `１３８１２３４５６７８` is masked like `13812345678`. Nothing else in the text changes.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "＋": "+", "－": "-", "　": " "})

_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_SEP = r"[ \-]?"  # one optional space or dash between digit groups

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
_LONG = re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{15,}" + _NOT_DIGIT_AFTER)
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


def mask_personal_data(text: str) -> str:
    """Mask mobile and landline numbers, ID numbers, bank cards and e-mail addresses in `text`.

    Order matters: e-mail first (a QQ mail's local part is a number), then the longest digit
    patterns, so that a phone pattern never bites into an ID or card number.
    """
    if not text:
        return text
    text = text.translate(_FOLD)
    text = _EMAIL.sub(_mask_email, text)
    if not any(ch.isdigit() for ch in text):
        return text
    text = _ID18.sub(_mask_id, text)
    text = _CARD.sub(_mask_card, text)
    text = _LONG.sub(_mask_card, text)
    text = _MOBILE.sub(_mask_mobile, text)
    return _LANDLINE.sub(_mask_landline, text)


def safe_terms(terms: Iterable[str], masked_question: str) -> list[str]:
    """The analysed terms minus any that could carry personal data.

    Terms come from the *unmasked* question: jieba cuts `138-1234-5678` into three digit
    terms and an e-mail into its parts. A term with a Latin letter, digit or `@` is kept only
    when it still appears in the masked question, so what masking removed stays removed.
    """
    haystack = masked_question.lower()
    kept = []
    for term in terms:
        if any(ch.isascii() and (ch.isalnum() or ch == "@") for ch in term) and term.lower() not in haystack:
            continue
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
