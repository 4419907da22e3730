"""The WeChat Official Account protocol: signatures, safe-mode crypto, parsing, replies.

Pure protocol with no Flask and no other project imports, so it can be tested
and reused on its own.
"""

from .crypto import MessageCrypto
from .errors import (
    AppIdMismatch,
    DecryptError,
    InvalidSignature,
    MalformedMessage,
    StaleTimestamp,
    WeChatError,
)
from .messages import Message, parse_fields, parse_message
from .replies import (
    SUCCESS,
    TEXT_LIMIT_BYTES,
    NewsReply,
    Reply,
    TextReply,
    cdata,
    fit_text,
    render,
    sent_text,
)
from .signature import check_signature, check_timestamp, msg_signature, url_signature

__all__ = [
    "SUCCESS",
    "TEXT_LIMIT_BYTES",
    "AppIdMismatch",
    "DecryptError",
    "InvalidSignature",
    "MalformedMessage",
    "Message",
    "MessageCrypto",
    "NewsReply",
    "Reply",
    "StaleTimestamp",
    "TextReply",
    "WeChatError",
    "cdata",
    "check_signature",
    "check_timestamp",
    "fit_text",
    "msg_signature",
    "parse_fields",
    "parse_message",
    "render",
    "sent_text",
    "url_signature",
]
