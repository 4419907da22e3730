"""Request signatures and the timestamp freshness check.

WeChat signs every callback with SHA-1 over the lexicographically sorted
concatenation of the token, timestamp, nonce and (in safe mode) the Encrypt
field. Comparisons are constant-time so the signature cannot be guessed byte by
byte from response timing.
"""

from __future__ import annotations

import hashlib
import hmac

from .errors import InvalidSignature, StaleTimestamp

# Longest timestamp we accept: 10 digits covers seconds until the year 2286;
# anything longer is not a WeChat timestamp and would only waste an int().
_MAX_TIMESTAMP_DIGITS = 12


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """Signature of plain-mode callbacks and URL verification (the ``signature`` query arg)."""
    return _sha1_sorted(token, timestamp, nonce)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Signature of safe-mode callbacks (``msg_signature``): it also covers the ciphertext."""
    return _sha1_sorted(token, timestamp, nonce, encrypt)


def check_signature(
    signature: str | None,
    token: str,
    timestamp: str | None,
    nonce: str | None,
    encrypt: str | None = None,
) -> None:
    """Raise InvalidSignature unless ``signature`` matches.

    With ``encrypt`` the safe-mode ``msg_signature`` is checked, without it the
    plain ``signature``. Missing query arguments count as a mismatch, so the
    webhook can pass ``request.args.get(...)`` straight through.
    """
    if not signature or timestamp is None or nonce is None:
        raise InvalidSignature("missing signature, timestamp or nonce")
    if encrypt is None:
        expected = url_signature(token, timestamp, nonce)
    else:
        expected = msg_signature(token, timestamp, nonce, encrypt)
    # compare_digest on str only accepts ASCII; compare bytes so a hostile
    # non-ASCII signature is a mismatch, not a TypeError.
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("utf-8")):
        raise InvalidSignature("signature mismatch")


def check_timestamp(timestamp: str | None, now: float, max_skew: int) -> int:
    """Return the timestamp as int; raise StaleTimestamp if it is unusable or too far from ``now``.

    ``max_skew`` is in seconds; 0 (or less) disables the window, e.g. for
    replaying recorded traffic. A timestamp that is not a plain decimal number
    is always refused: WeChat never sends one, and it is signed, so it is
    either forged or corrupted.
    """
    if not timestamp or len(timestamp) > _MAX_TIMESTAMP_DIGITS or not (timestamp.isascii() and timestamp.isdigit()):
        raise StaleTimestamp("timestamp is not a number")
    value = int(timestamp)
    if max_skew > 0 and abs(now - value) > max_skew:
        raise StaleTimestamp(f"timestamp {value} is more than {max_skew}s away from now")
    return value
