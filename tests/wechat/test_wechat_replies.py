"""Reply rendering: addressing, CDATA safety, one-article news, and the 2048-byte text budget."""

from __future__ import annotations

import random

import pytest

from bot.wechat import SUCCESS, NewsReply, TextReply, fit_text, parse_fields, parse_message, render

INBOUND = parse_message(
    "<xml><ToUserName><![CDATA[gh_town]]></ToUserName><FromUserName><![CDATA[o_citizen]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>问</Content><MsgId>1</MsgId></xml>"
)
LONG_CHINESE = "根据《中华人民共和国政府信息公开条例》，本镇二〇一八年政务公开工作总结如下。" * 80
EMOJI = "🙂👍🏽🎉" * 400
TAIL = "\n详情：https://town.example.gov.cn/gk/2018/0001.html"


def _content(xml: str) -> str:
    return parse_fields(xml)["Content"]


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


# --- addressing and structure -------------------------------------------------------------------


def test_reply_swaps_sender_and_recipient() -> None:
    fields = parse_fields(render(TextReply("您好"), INBOUND, 1700000001))
    assert (fields["ToUserName"], fields["FromUserName"]) == ("o_citizen", "gh_town")


def test_text_reply_carries_type_time_and_content() -> None:
    fields = parse_fields(render(TextReply("您好"), INBOUND, 1700000001))
    assert (fields["MsgType"], fields["CreateTime"], fields["Content"]) == ("text", "1700000001", "您好")


def test_cdata_terminator_in_content_survives_round_trip() -> None:
    text = "见附件]]><xml>不是标签</xml>]]]]>"
    assert _content(render(TextReply(text), INBOUND, 1)) == text


def test_xml_illegal_control_characters_are_dropped() -> None:
    assert _content(render(TextReply("第\x0b一条\x00\x1f。"), INBOUND, 1)) == "第一条。"


def test_news_reply_has_exactly_one_article() -> None:
    xml = render(NewsReply("通知", "摘要]]>", "https://town.example/1", "https://town.example/1.jpg"), INBOUND, 1)
    fields = parse_fields(xml)
    assert xml.count("<item>") == 1
    assert fields["ArticleCount"] == "1"
    assert fields["Articles.item.Description"] == "摘要]]>"
    assert fields["Articles.item.Url"] == "https://town.example/1"


def test_news_reply_requires_an_http_url() -> None:
    with pytest.raises(ValueError):
        NewsReply("通知", "摘要", "javascript:alert(1)")


def test_unknown_reply_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        render("plain string", INBOUND, 1)  # type: ignore[arg-type]


def test_success_constant_is_the_plain_acknowledgement() -> None:
    assert SUCCESS == "success"


# --- byte budget --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [LONG_CHINESE, EMOJI], ids=["chinese", "emoji"])
def test_rendered_text_never_exceeds_2048_bytes(text: str) -> None:
    assert _bytes(_content(render(TextReply(text), INBOUND, 1))) <= 2048


def test_rendered_text_reply_keeps_its_tail() -> None:
    content = _content(render(TextReply(LONG_CHINESE, tail=TAIL), INBOUND, 1))
    assert content.endswith(TAIL)
    assert _bytes(content) <= 2048


def test_short_text_is_unchanged() -> None:
    assert fit_text("低保申请请到镇民政办。", keep_tail=TAIL) == "低保申请请到镇民政办。" + TAIL


def test_long_text_is_cut_at_the_last_sentence_end_that_fits() -> None:
    text = "第一句话。" * 100 + "第二句话！" * 100
    cut = fit_text(text, limit_bytes=600)
    assert cut.endswith(("。", "！"))
    assert _bytes(cut) <= 600
    assert _bytes(cut) > 600 - _bytes("第二句话！")


def test_tail_is_kept_intact_after_a_cut() -> None:
    cut = fit_text(LONG_CHINESE, limit_bytes=500, keep_tail=TAIL)
    assert cut.endswith("。" + TAIL)
    assert _bytes(cut) <= 500


def test_text_without_sentence_end_falls_back_to_ellipsis() -> None:
    cut = fit_text("政" * 1000, limit_bytes=100)
    assert cut == "政" * 32 + "…"


def test_emoji_are_never_split() -> None:
    cut = fit_text(EMOJI, limit_bytes=101)
    assert _bytes(cut) <= 101
    assert "\ufffd" not in cut
    assert EMOJI.startswith(cut.removesuffix("…"))


def test_early_sentence_end_does_not_throw_away_most_of_the_text() -> None:
    cut = fit_text("好。" + "政" * 1000, limit_bytes=300)
    assert cut.endswith("…")
    assert _bytes(cut) > 250


def test_tail_longer_than_the_budget_is_cut_like_text() -> None:
    assert _bytes(fit_text("正文。", limit_bytes=20, keep_tail="详" * 30)) <= 20


def test_budget_holds_for_any_length_and_limit() -> None:
    rng = random.Random(7)
    alphabet = "政务公开。！？；\nab🙂é"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        limit = rng.randint(0, 600)
        assert _bytes(fit_text(text, limit_bytes=limit, keep_tail="详情")) <= limit
