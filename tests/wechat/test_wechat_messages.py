"""Inbound parsing: every WeChat message type parses; hostile or broken XML is refused early."""

from __future__ import annotations

import dataclasses

import pytest

from bot.wechat import MalformedMessage, Message, parse_fields, parse_message


def inbound(msg_type: str, extra: str = "", *, create_time: str = "1700000000") -> str:
    """A minimal inbound body as WeChat sends it (CDATA strings, bare numbers)."""
    return (
        "<xml><ToUserName><![CDATA[gh_town]]></ToUserName>"
        "<FromUserName><![CDATA[o_citizen]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{extra}</xml>"
    )


def event(name: str, extra: str = "") -> str:
    return inbound("event", f"<Event><![CDATA[{name}]]></Event>{extra}")


# --- every kind of message parses ---------------------------------------------------------------


def test_text_message_parses_with_content_and_msg_id() -> None:
    m = parse_message(inbound("text", "<Content><![CDATA[低保怎么申请]]></Content><MsgId>6054768590064713728</MsgId>"))
    assert (m.to_user, m.from_user, m.create_time) == ("gh_town", "o_citizen", 1700000000)
    assert (m.msg_type, m.content, m.msg_id) == ("text", "低保怎么申请", "6054768590064713728")


def test_voice_message_exposes_recognition() -> None:
    extra = (
        "<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
        "<Recognition><![CDATA[医保报销]]></Recognition><MsgId>2</MsgId>"
    )
    m = parse_message(inbound("voice", extra))
    assert (m.msg_type, m.recognition, m.content) == ("voice", "医保报销", None)


@pytest.mark.parametrize(
    ("msg_type", "extra", "field", "value"),
    [
        (
            "image",
            "<PicUrl><![CDATA[http://p/1.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
            "PicUrl",
            "http://p/1.jpg",
        ),
        ("video", "<MediaId><![CDATA[m2]]></MediaId><ThumbMediaId><![CDATA[t2]]></ThumbMediaId>", "ThumbMediaId", "t2"),
        ("shortvideo", "<MediaId><![CDATA[m3]]></MediaId><ThumbMediaId><![CDATA[t3]]></ThumbMediaId>", "MediaId", "m3"),
        (
            "location",
            "<Location_X>23.13</Location_X><Location_Y>113.26</Location_Y><Scale>20</Scale><Label><![CDATA[镇政府]]></Label>",
            "Label",
            "镇政府",
        ),
        (
            "link",
            "<Title><![CDATA[通知]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[http://u]]></Url>",
            "Url",
            "http://u",
        ),
    ],
)
def test_media_and_link_messages_keep_their_fields(msg_type: str, extra: str, field: str, value: str) -> None:
    m = parse_message(inbound(msg_type, extra + "<MsgId>9</MsgId>"))
    assert (m.msg_type, m.fields[field], m.msg_id) == (msg_type, value, "9")


def test_subscribe_from_qr_code_keeps_the_scene_key() -> None:
    m = parse_message(event("subscribe", "<EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[T]]></Ticket>"))
    assert (m.is_event, m.event, m.event_key) == (True, "subscribe", "qrscene_123")


def test_plain_subscribe_has_no_event_key() -> None:
    m = parse_message(event("subscribe"))
    assert (m.event_lower, m.event_key, m.msg_id) == ("subscribe", None, None)


@pytest.mark.parametrize(("name", "key"), [("CLICK", "MENU_GUIDE"), ("VIEW", "https://town.example/gk")])
def test_menu_events_keep_the_event_as_sent(name: str, key: str) -> None:
    m = parse_message(event(name, f"<EventKey><![CDATA[{key}]]></EventKey>"))
    assert (m.event, m.event_lower, m.event_key) == (name, name.lower(), key)


def test_scancode_push_flattens_nested_scan_info() -> None:
    extra = (
        "<EventKey><![CDATA[scan_1]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
        "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>"
    )
    m = parse_message(event("scancode_push", extra))
    assert m.fields["ScanCodeInfo.ScanType"] == "qrcode"
    assert m.fields["ScanCodeInfo.ScanResult"] == "1"


def test_repeated_nested_items_are_all_kept() -> None:
    extra = (
        "<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item>"
        "<item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo>"
    )
    fields = parse_message(event("pic_sysphoto", extra)).fields
    assert fields["SendPicsInfo.PicList.item.PicMd5Sum"] == "a"
    assert fields["SendPicsInfo.PicList.item.PicMd5Sum[2]"] == "b"


def test_unknown_message_type_still_parses() -> None:
    m = parse_message(inbound("miniprogrampage", "<Title><![CDATA[x]]></Title><MsgId>5</MsgId>"))
    assert (m.msg_type, m.is_event, m.fields["Title"]) == ("miniprogrampage", False, "x")


def test_msg_type_is_lower_cased() -> None:
    assert parse_message(inbound("Text")).msg_type == "text"


def test_missing_optional_fields_parse_with_defaults() -> None:
    m = parse_message("<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName></xml>")
    assert (m.create_time, m.msg_type, m.msg_id, m.content, m.event) == (0, "", None, None, None)


def test_content_whitespace_is_kept_verbatim() -> None:
    assert parse_message(inbound("text", "<Content><![CDATA[ 你好\n]]></Content>")).content == " 你好\n"


def test_bytes_with_declaration_bom_and_padding_parse() -> None:
    body = b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n' + inbound("text").encode() + b"\n\n"
    assert parse_message(body).from_user == "o_citizen"


def test_message_is_immutable() -> None:
    m = parse_message(inbound("text"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.content = "changed"  # type: ignore[misc]


# --- dedupe keys --------------------------------------------------------------------------------


def test_retried_message_has_the_same_dedupe_key() -> None:
    body = inbound("text", "<Content>a</Content><MsgId>77</MsgId>")
    assert parse_message(body).dedupe_key == parse_message(body).dedupe_key


def test_messages_with_different_msg_ids_have_different_dedupe_keys() -> None:
    a = parse_message(inbound("text", "<MsgId>1</MsgId>"))
    b = parse_message(inbound("text", "<MsgId>2</MsgId>"))
    assert a.dedupe_key != b.dedupe_key


def test_event_dedupe_key_uses_sender_time_and_event() -> None:
    m: Message = parse_message(event("CLICK"))
    assert m.dedupe_key == "e:o_citizen:1700000000:CLICK"


def test_two_menu_clicks_in_the_same_second_have_different_dedupe_keys() -> None:
    a = parse_message(event("CLICK", "<EventKey>MENU_A</EventKey>"))
    b = parse_message(event("CLICK", "<EventKey>MENU_B</EventKey>"))
    assert a.dedupe_key != b.dedupe_key
    assert a.dedupe_key == parse_message(event("CLICK", "<EventKey>MENU_A</EventKey>")).dedupe_key


def test_event_with_msg_id_still_dedupes_by_time_and_event() -> None:
    m = parse_message(event("TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID>"))
    assert m.dedupe_key == "e:o_citizen:1700000000:TEMPLATESENDJOBFINISH"


# --- refusals -----------------------------------------------------------------------------------

XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><Content>&xxe;</Content></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><Content>&lol9;</Content></xml>"
)
EXTERNAL_DTD = '<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd"><xml><ToUserName>gh</ToUserName></xml>'
PARAMETER_ENTITY = '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://attacker.example/p">%p;]><xml/>'


@pytest.mark.parametrize(
    "body",
    [XXE, BILLION_LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["xxe", "billion-laughs", "external-dtd", "parameter-entity"],
)
def test_dtd_and_entity_attacks_are_refused_without_expansion(body: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        parse_message(body)
    # Refused at the DTD itself, before any entity could be declared, fetched or expanded.
    assert "DTDForbidden" in str(caught.value)
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    ["", "   \n", b"", "hello", '{"MsgType": "text"}', "<xml><ToUserName>gh</xml>", "<xml/><xml/>"],
    ids=["empty", "blank", "empty-bytes", "text", "json", "unclosed", "two-roots"],
)
def test_non_xml_bodies_are_malformed(body: str | bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_root_other_than_xml_is_refused() -> None:
    with pytest.raises(MalformedMessage):
        parse_message("<message><ToUserName>gh</ToUserName><FromUserName>o</FromUserName></message>")


@pytest.mark.parametrize("missing", ["ToUserName", "FromUserName"])
def test_message_without_addressee_or_sender_is_refused(missing: str) -> None:
    body = inbound("text").replace(f"<{missing}>", f"<X{missing}>").replace(f"</{missing}>", f"</X{missing}>")
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_non_numeric_create_time_is_refused() -> None:
    with pytest.raises(MalformedMessage):
        parse_message(inbound("text", create_time="{time}"))


def test_absurdly_deep_nesting_is_refused() -> None:
    with pytest.raises(MalformedMessage):
        parse_fields("<xml>" + "<a>" * 50 + "x" + "</a>" * 50 + "</xml>")


def test_absurdly_many_elements_are_refused() -> None:
    with pytest.raises(MalformedMessage):
        parse_fields("<xml>" + "<a>1</a>" * 5000 + "</xml>")


def test_non_string_body_is_refused() -> None:
    with pytest.raises(MalformedMessage):
        parse_message(None)  # type: ignore[arg-type]
