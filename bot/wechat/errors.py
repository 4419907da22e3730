"""Exceptions raised by the WeChat protocol layer.

Every error carries the HTTP ``status`` the webhook should answer with, so the
Flask side maps errors to responses with ``err.status`` instead of a lookup
table that could drift out of sync with this hierarchy.
"""

from __future__ import annotations

from typing import ClassVar


class WeChatError(Exception):
    """Base class: the request cannot be handled as a WeChat message."""

    status: ClassVar[int] = 400


class InvalidSignature(WeChatError):
    """The signature does not match: the request is not from WeChat (or the token is wrong)."""

    status: ClassVar[int] = 403


class StaleTimestamp(WeChatError):
    """The timestamp is missing, not a number, or outside the allowed window (replay guard)."""

    status: ClassVar[int] = 403


class MalformedMessage(WeChatError):
    """The body is not a WeChat XML message: bad XML, DTD/entities, or required fields missing."""

    status: ClassVar[int] = 400


class DecryptError(WeChatError):
    """The encrypted payload is broken: bad base64, block length, padding or inner length."""

    status: ClassVar[int] = 400


class AppIdMismatch(WeChatError):
    """The payload decrypted cleanly but was sealed for another AppID."""

    status: ClassVar[int] = 403
