"""Pseudonyms and masking: personal numbers never survive, ordinary numbers always do."""

from __future__ import annotations

import logging
import re

import pytest

from bot.privacy import MaskingFilter, mask_personal_data, pseudonymise


def test_pseudonym_is_stable_per_secret_and_hides_the_openid() -> None:
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    first = pseudonymise(openid, "secret-a")
    assert first == pseudonymise(openid, "secret-a")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != pseudonymise(openid, "secret-b")
    assert openid not in first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话13812345678", "我的电话138****5678"),
        ("电话 +86 138 1234 5678 谢谢", "电话 +86 138****5678 谢谢"),
        ("+86-13812345678", "+86-138****5678"),
        ("0086 13912345678", "0086 139****5678"),
        ("手机138-1234-5678", "手机138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("座机0951-5012345", "座机0951-***2345"),
        ("(010)62345678", "(010)****5678"),
        ("010-62345678转801", "010-****5678转801"),
        ("身份证110105199001011234", "身份证1101**********1234"),
        ("身份证号11010519900101123X。", "身份证号1101**********123X。"),
        ("老身份证110105900101123", "老身份证1101*******1123"),
        ("卡号6222 0212 3456 7890 123", "卡号6222***********0123"),
        ("卡号6222021234567890", "卡号6222********7890"),
        ("6222-0212-3456-7890", "6222********7890"),
        ("邮箱zhang.san@example.com", "邮箱z***@example.com"),
        ("发到13812345678@qq.com", "发到1***@qq.com"),
    ],
)
def test_personal_numbers_are_masked_but_keep_their_shape(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "secret",
    ["13812345678", "5012345", "62345678", "110105199001011234", "110105900101123",
     "6222021234567890123", "zhang.san"],
)
def test_masked_text_never_contains_the_full_number(secret: str) -> None:
    text = "联系我：13812345678，0951-5012345，(010)62345678，身份证110105199001011234，" \
           "旧证110105900101123，卡6222021234567890123，邮箱zhang.san@example.com"
    assert secret not in mask_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024年低保标准是每月780元吗",
        "补贴12000元，面积120.5平方米",
        "贺政发〔2018〕12号文件说了什么",
        "宁政办发〔2023〕101号",
        "2019-05-01到2019/5/31 9:32:09之间",
        "20190501 20200101",
        "2019 2020 2021 2022 四年的数据",
        "打12345热线",
        "第3季度共1500户，占比12.5%",
        "邮编750200",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def test_masking_filter_masks_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    masking = MaskingFilter()
    caplog.handler.addFilter(masking)
    try:
        with caplog.at_level(logging.INFO, logger="test.privacy"):
            logger.info("citizen wrote %s", "电话13812345678 身份证110105199001011234")
            try:
                raise ValueError("bad card 6222021234567890")
            except ValueError:
                logger.exception("failed for zhang.san@example.com")
    finally:
        caplog.handler.removeFilter(masking)
    output = caplog.text
    for secret in ("13812345678", "110105199001011234", "6222021234567890", "zhang.san"):
        assert secret not in output
    assert "138****5678" in output and "ValueError" in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我微信号zhangsan，拉我进群", "我微信号z*******，拉我进群"),
        ("微信 zhangsan 谢谢", "微信 z******* 谢谢"),
        ("WeChat ID: zhangsan", "WeChat ID: z*******"),
        ("wechat: zhangsan", "wechat: z*******"),
        ("vx是liuxiaomei", "vx是l*********"),
        ("wechat zhangsan_1990", "wechat z************"),
        ("加我 wx hl-wang2020", "加我 wx h**********"),
    ],
)
def test_wechat_ids_are_masked_after_their_marker(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "WeChat callback failed for account",
        "wechat message rejected: signature mismatch",
        "WeChatClient refreshed its access token",
        "WeChat Identity check passed",
        "Sending WeChat customer message",
    ],
)
def test_english_words_after_the_word_wechat_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text
