"""Signatures and the replay window: the first thing every callback goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wechatpy.utils import check_signature as wechatpy_check_signature

from bot.wechat import (
    AppIdMismatch,
    DecryptError,
    InvalidSignature,
    MalformedMessage,
    StaleTimestamp,
    WeChatError,
    check_signature,
    check_timestamp,
    msg_signature,
    url_signature,
)

if TYPE_CHECKING:
    from tests.wechat.conftest import WeChatSample

TOKEN = "QDG6eK"


def test_url_signature_is_accepted_by_wechatpy() -> None:
    signature = url_signature(TOKEN, "1409659813", "1372623149")
    wechatpy_check_signature(TOKEN, signature, "1409659813", "1372623149")  # raises on mismatch


def test_msg_signature_matches_wechat_published_example(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    assert msg_signature(s.token, s.timestamp, s.nonce, s.encrypt) == s.msg_signature


def test_published_msg_signature_passes_the_check(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    check_signature(s.msg_signature, s.token, s.timestamp, s.nonce, encrypt=s.encrypt)


def test_correct_url_signature_passes() -> None:
    check_signature(url_signature(TOKEN, "1", "n"), TOKEN, "1", "n")


def test_uppercase_hex_signature_passes() -> None:
    check_signature(url_signature(TOKEN, "1", "n").upper(), TOKEN, "1", "n")


def test_wrong_url_signature_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        check_signature(url_signature("other-token", "1", "n"), TOKEN, "1", "n")


def test_msg_signature_must_cover_the_encrypt_field() -> None:
    signature = msg_signature(TOKEN, "1", "n", "cipher-A")
    with pytest.raises(InvalidSignature):
        check_signature(signature, TOKEN, "1", "n", encrypt="cipher-B")


def test_plain_signature_is_not_accepted_as_msg_signature() -> None:
    with pytest.raises(InvalidSignature):
        check_signature(url_signature(TOKEN, "1", "n"), TOKEN, "1", "n", encrypt="cipher")


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [(None, "1", "n"), ("", "1", "n"), ("abc", None, "n"), ("abc", "1", None)],
)
def test_missing_signature_arguments_are_refused(
    signature: str | None, timestamp: str | None, nonce: str | None
) -> None:
    with pytest.raises(InvalidSignature):
        check_signature(signature, TOKEN, timestamp, nonce)


def test_non_ascii_signature_is_refused_not_crashing() -> None:
    with pytest.raises(InvalidSignature):
        check_signature("签名" * 20, TOKEN, "1", "n")


def test_fresh_timestamp_is_returned_as_int() -> None:
    assert check_timestamp("1700000000", now=1700000100.5, max_skew=300) == 1700000000


@pytest.mark.parametrize("now", [1700000000 + 301, 1700000000 - 301])
def test_timestamp_outside_window_is_stale(now: float) -> None:
    with pytest.raises(StaleTimestamp):
        check_timestamp("1700000000", now=now, max_skew=300)


def test_zero_skew_disables_the_window() -> None:
    assert check_timestamp("1", now=1700000000, max_skew=0) == 1


@pytest.mark.parametrize("timestamp", [None, "", "abc", "12.5", "-5", " 17", "١٧٠٠", "9" * 40])
def test_non_numeric_timestamp_is_refused(timestamp: str | None) -> None:
    with pytest.raises(StaleTimestamp):
        check_timestamp(timestamp, now=1700000000, max_skew=0)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidSignature, 403),
        (StaleTimestamp, 403),
        (AppIdMismatch, 403),
        (MalformedMessage, 400),
        (DecryptError, 400),
    ],
)
def test_each_error_carries_its_http_status(error: type[WeChatError], status: int) -> None:
    assert issubclass(error, WeChatError)
    assert error("x").status == status
