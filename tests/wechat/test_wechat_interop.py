"""Interop with wechatpy as an independent implementation of the same protocol."""

from __future__ import annotations

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.wechat import MessageCrypto, parse_fields, parse_message

TOKEN = "interop-token"
KEY = "Zq3xV8mNc2pL7tR1wY5bK9dH4fJ6gS0aE2uI8oP3nM1"
APPID = "wx1111222233334444"
XML = (
    "<xml><ToUserName><![CDATA[gh_town]]></ToUserName><FromUserName><![CDATA[o_citizen]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[宅基地审批需要什么材料？😀]]></Content><MsgId>123</MsgId></xml>"
)


@pytest.fixture
def ours() -> MessageCrypto:
    return MessageCrypto(TOKEN, KEY, APPID)


@pytest.fixture
def peer() -> WeChatCrypto:
    return WeChatCrypto(TOKEN, KEY, APPID)


def test_we_decrypt_what_wechatpy_encrypts(ours: MessageCrypto, peer: WeChatCrypto) -> None:
    envelope = peer.encrypt_message(XML, "nonce-7", "1700000000")
    fields = parse_fields(envelope)
    plain = ours.decrypt_message(envelope, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
    assert parse_message(plain).content == "宅基地审批需要什么材料？😀"


def test_wechatpy_decrypts_what_we_encrypt(ours: MessageCrypto, peer: WeChatCrypto) -> None:
    envelope = ours.encrypt_reply(XML, 1700000000, "nonce-8")
    signature = parse_fields(envelope)["MsgSignature"]
    assert peer.decrypt_message(envelope, signature, "1700000000", "nonce-8") == XML


def test_wechatpy_refuses_our_envelope_under_another_token(ours: MessageCrypto) -> None:
    envelope = ours.encrypt_reply(XML, 1700000000, "nonce-9")
    signature = parse_fields(envelope)["MsgSignature"]
    with pytest.raises(InvalidSignatureException):
        WeChatCrypto("other-token", KEY, APPID).decrypt_message(envelope, signature, "1700000000", "nonce-9")
