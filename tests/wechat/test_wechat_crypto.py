"""Safe-mode crypto: WeChat's known-answer vector, round trips, and every way a payload breaks."""

from __future__ import annotations

import base64
import random
import struct
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.wechat import (
    AppIdMismatch,
    DecryptError,
    InvalidSignature,
    MalformedMessage,
    MessageCrypto,
    WeChatError,
    msg_signature,
    parse_fields,
)

if TYPE_CHECKING:
    from tests.wechat.conftest import WeChatSample

TOKEN = "test-token"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx0123456789abcdef"
XML = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Content><![CDATA[低保怎么申请？🙂]]></Content></xml>"
FIXED_RANDOM = b"R" * 16


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, KEY, APPID)


def _aes_raw(plain: bytes) -> str:
    """Encrypt already-padded bytes with our test key, to forge payloads with broken insides."""
    key = base64.b64decode(KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _frame(xml: bytes, appid: bytes = APPID.encode(), declared: int | None = None) -> bytes:
    length = len(xml) if declared is None else declared
    return FIXED_RANDOM + struct.pack(">I", length) + xml + appid


# --- WeChat's published sample (known-answer vector) -------------------------------------------


def test_wechat_sample_decrypts_to_the_published_xml(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    crypto = MessageCrypto(s.token, s.encoding_aes_key, s.appid)
    assert crypto.decrypt_message(s.envelope, s.msg_signature, s.timestamp, s.nonce) == s.xml


def test_wechat_sample_is_reproduced_bit_for_bit_by_encrypt(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    crypto = MessageCrypto(s.token, s.encoding_aes_key, s.appid)
    assert crypto.encrypt(s.xml, random_bytes=s.random_prefix) == s.encrypt


def test_wechat_sample_echostr_decrypts(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    crypto = MessageCrypto(s.token, s.encoding_aes_key, s.appid)
    assert msg_signature(s.token, s.echo_timestamp, s.echo_nonce, s.echo_encrypt) == s.echo_signature
    assert crypto.decrypt(s.echo_encrypt) == s.echo_plain


def test_wechat_sample_with_another_token_is_refused(wechat_sample: WeChatSample) -> None:
    s = wechat_sample
    crypto = MessageCrypto("not-the-token", s.encoding_aes_key, s.appid)
    with pytest.raises(InvalidSignature):
        crypto.decrypt_message(s.envelope, s.msg_signature, s.timestamp, s.nonce)


# --- round trips ------------------------------------------------------------------------------


def test_encrypt_then_decrypt_returns_the_same_xml(crypto: MessageCrypto) -> None:
    assert crypto.decrypt(crypto.encrypt(XML)) == XML


def test_ciphertext_is_padded_to_32_byte_blocks(crypto: MessageCrypto) -> None:
    assert len(base64.b64decode(crypto.encrypt(XML))) % 32 == 0


def test_encrypted_reply_envelope_is_signed_and_decryptable(crypto: MessageCrypto) -> None:
    envelope = crypto.encrypt_reply(XML, 1700000000, "nonce-1")
    fields = parse_fields(envelope)
    assert (fields["TimeStamp"], fields["Nonce"]) == ("1700000000", "nonce-1")
    assert crypto.decrypt_message(envelope, fields["MsgSignature"], "1700000000", "nonce-1") == XML


def test_each_encrypted_reply_uses_fresh_random_bytes(crypto: MessageCrypto) -> None:
    first = parse_fields(crypto.encrypt_reply(XML, 1700000000, "n"))["Encrypt"]
    second = parse_fields(crypto.encrypt_reply(XML, 1700000000, "n"))["Encrypt"]
    assert first != second


def test_hostile_nonce_cannot_break_the_envelope(crypto: MessageCrypto) -> None:
    envelope = crypto.encrypt_reply(XML, 1, "a]]><Evil/>")
    assert parse_fields(envelope)["Nonce"] == "a]]><Evil/>"


def test_non_numeric_reply_timestamp_is_a_programming_error(crypto: MessageCrypto) -> None:
    with pytest.raises(ValueError):
        crypto.encrypt_reply(XML, "1<x/>", "n")


# --- refusals ---------------------------------------------------------------------------------


def test_tampered_ciphertext_is_refused_by_the_signature(crypto: MessageCrypto) -> None:
    encrypt = crypto.encrypt(XML)
    signature = msg_signature(TOKEN, "1", "n", encrypt)
    tampered = ("A" if encrypt[0] != "A" else "B") + encrypt[1:]
    body = f"<xml><Encrypt><![CDATA[{tampered}]]></Encrypt></xml>"
    with pytest.raises(InvalidSignature):
        crypto.decrypt_message(body, signature, "1", "n")


def test_tampered_ciphertext_is_refused_by_decrypt(crypto: MessageCrypto) -> None:
    raw = bytearray(base64.b64decode(crypto.encrypt(XML, random_bytes=FIXED_RANDOM)))
    raw[-17] ^= 0x80  # flips the high bit of the final padding byte: no longer 1..32
    with pytest.raises(DecryptError):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("encrypt", ["", "not base64!!", "密文", "QUJD", "QUJDRA=", "QUJD" * 5])
def test_bad_base64_or_block_length_is_refused(crypto: MessageCrypto, encrypt: str) -> None:
    with pytest.raises(DecryptError):
        crypto.decrypt(encrypt)


@pytest.mark.parametrize(
    "tail",
    [b"\x00" * 16, b"\x0e" * 15 + b"\x02", b"\x21" * 16, b"\x40" * 16],
    ids=["pad-zero", "pad-bytes-differ", "pad-33", "pad-longer-than-block"],
)
def test_bad_padding_is_refused(crypto: MessageCrypto, tail: bytes) -> None:
    with pytest.raises(DecryptError):
        crypto.decrypt(_aes_raw(b"x" * 32 + tail))


def test_declared_length_beyond_plaintext_is_refused(crypto: MessageCrypto) -> None:
    frame = _frame(b"<xml/>", declared=10_000)
    padding = 32 - len(frame) % 32
    with pytest.raises(DecryptError):
        crypto.decrypt(_aes_raw(frame + bytes([padding]) * padding))


def test_non_utf8_plaintext_is_refused(crypto: MessageCrypto) -> None:
    frame = _frame(b"<xml>\xff\xfe</xml>")
    padding = 32 - len(frame) % 32
    with pytest.raises(DecryptError):
        crypto.decrypt(_aes_raw(frame + bytes([padding]) * padding))


def test_message_for_another_appid_is_refused(crypto: MessageCrypto) -> None:
    foreign = MessageCrypto(TOKEN, KEY, "wx_someone_else")
    with pytest.raises(AppIdMismatch):
        crypto.decrypt(foreign.encrypt(XML))


def test_wrong_msg_signature_is_refused(crypto: MessageCrypto) -> None:
    body = f"<xml><Encrypt><![CDATA[{crypto.encrypt(XML)}]]></Encrypt></xml>"
    with pytest.raises(InvalidSignature):
        crypto.decrypt_message(body, "0" * 40, "1", "n")


def test_envelope_without_encrypt_is_malformed(crypto: MessageCrypto) -> None:
    with pytest.raises(MalformedMessage):
        crypto.decrypt_message("<xml><ToUserName>gh</ToUserName></xml>", "0" * 40, "1", "n")


def test_random_garbage_only_ever_raises_protocol_errors(crypto: MessageCrypto) -> None:
    rng = random.Random(20240601)
    for _ in range(300):
        blob = rng.randbytes(rng.choice([16, 32, 48, 64, 96]))
        with pytest.raises(WeChatError):
            crypto.decrypt(base64.b64encode(blob).decode())


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", KEY[:-1], KEY + "A", KEY[:-1] + "-", KEY[:-1] + "="])
def test_invalid_encoding_aes_key_fails_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, key, APPID)
