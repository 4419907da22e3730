"""WeChat's published WXBizMsgCrypt sample (the known-answer vector), shared by the protocol tests.

Source: the Sample.cs / Sample.java / Sample.py shipped with WeChat's official
WXBizMsgCrypt encrypt/decrypt sample code (token "QDG6eK"), whose worked
example also appears in the WeChat Work callback documentation.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest


class WeChatSample(NamedTuple):
    token: str
    encoding_aes_key: str
    appid: str
    msg_signature: str
    timestamp: str
    nonce: str
    encrypt: str
    random_prefix: bytes  # the 16 "random" bytes inside the sample ciphertext
    xml: str  # what the sample decrypts to
    echo_signature: str  # the URL-verification example (echostr) of the same sample
    echo_timestamp: str
    echo_nonce: str
    echo_encrypt: str
    echo_plain: str

    @property
    def envelope(self) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.appid}]]></ToUserName><Encrypt><![CDATA[{self.encrypt}]]></Encrypt></xml>"
        )


SAMPLE = WeChatSample(
    token="QDG6eK",
    encoding_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    appid="wx5823bf96d3bd56c7",
    msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
    timestamp="1409659813",
    nonce="1372623149",
    encrypt=(
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
        "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJ"
        "YuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUc"
        "allcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA"
        "5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
    ),
    random_prefix=b"0960688932c47ef1",
    xml=(
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
        "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
        "<CreateTime>1409659813</CreateTime>\n"
        "<MsgType><![CDATA[text]]></MsgType>\n"
        "<Content><![CDATA[hello]]></Content>\n"
        "<MsgId>4561255354251345929</MsgId>\n"
        "<AgentID>218</AgentID>\n"
        "</xml>"
    ),
    echo_signature="5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    echo_timestamp="1409659589",
    echo_nonce="263014780",
    echo_encrypt="P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
    echo_plain="1616140317555161061",
)


@pytest.fixture
def wechat_sample() -> WeChatSample:
    """WeChat's official known-answer vector."""
    return SAMPLE
