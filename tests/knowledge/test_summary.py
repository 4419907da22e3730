"""Query-focused extractive summaries: the item's own sentences, the ones the question is about."""

from __future__ import annotations

import pytest

from knowledge.summary import split_sentences, summarize
from knowledge.text import TextProcessor

REPORT = (
    "2018年以来，我镇全面推进政务公开工作。"
    "截止12月6日，镇通过门户网站发布信息389条，其中社会救助101条！"
    "在依申请公开方面，群众可通过县政府网站和镇微信公众号提交申请。"
    "一、强化组织机构\n"
    "2018年累计投入扶贫资金300万元，用于贫困户生活、教育及医疗补助。"
    "硬化扶贫产业项目道路3.2公里，概算总投资3.18亿元。"
    "发放宣传手册8000余份；悬挂横幅36条。"
    "下一步，我镇将继续加强政务公开工作？"
)


@pytest.fixture
def analyze(processor: TextProcessor):
    return processor.analyze


def test_sentences_split_on_chinese_ends_and_newlines() -> None:
    assert split_sentences("第一句。第二句！第三句？第四句；标题\n第五句") == [
        "第一句。",
        "第二句！",
        "第三句？",
        "第四句；",
        "标题",
        "第五句",
    ]


def test_decimal_numbers_are_not_sentence_ends() -> None:
    assert split_sentences("道路3.2公里，投资3.18亿元。完成。") == ["道路3.2公里，投资3.18亿元。", "完成。"]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert split_sentences("他说：“已经办结。”随后离开。") == ["他说：“已经办结。”", "随后离开。"]


def test_url_query_string_is_not_split() -> None:
    assert split_sentences("详见 http://x.gov.cn/a?id=3&p=1；谢谢。") == ["详见 http://x.gov.cn/a?id=3&p=1；", "谢谢。"]


def test_blank_and_punctuation_only_pieces_are_dropped() -> None:
    assert split_sentences("\n\n。。！\n  正文。") == ["正文。"]


def test_summary_picks_the_sentences_the_question_is_about(analyze) -> None:
    summary = summarize(REPORT, analyze("扶贫资金投入了多少"), analyze)
    assert "2018年累计投入扶贫资金300万元" in summary
    assert "389条" not in summary


def test_summary_quotes_numbers_verbatim(analyze) -> None:
    summary = summarize(REPORT, analyze("扶贫产业道路修了多少公里"), analyze)
    assert "硬化扶贫产业项目道路3.2公里，概算总投资3.18亿元。" in summary


def test_summary_is_made_only_of_whole_body_sentences(analyze) -> None:
    summary = summarize(REPORT, analyze("扶贫资金 依申请公开 宣传手册"), analyze, max_chars=400)
    rest = summary
    for sentence in split_sentences(REPORT):
        rest = rest.replace(sentence, "")
    assert rest.strip() == ""


def test_summary_keeps_original_order(analyze) -> None:
    summary = summarize(REPORT, analyze("发放宣传手册 依申请公开"), analyze, max_chars=400)
    assert summary.index("依申请公开") < summary.index("宣传手册")


def test_summary_has_at_most_the_requested_sentences(analyze) -> None:
    summary = summarize(REPORT, analyze("扶贫 政务公开 信息 申请 宣传"), analyze, sentences=2, max_chars=1000)
    assert len(split_sentences(summary)) == 2


def test_without_a_match_the_opening_stands_in(analyze) -> None:
    summary = summarize(REPORT, analyze("养老保险"), analyze, sentences=1)
    assert summary == "2018年以来，我镇全面推进政务公开工作。"


def test_summary_respects_the_length_limit(analyze) -> None:
    summary = summarize(REPORT, analyze("扶贫 政务公开 信息 申请 宣传"), analyze, max_chars=80)
    assert len(summary) <= 80


def test_an_over_long_sentence_is_narrowed_around_the_match(analyze) -> None:
    filler = "，".join(f"第{i}项工作按计划推进" for i in range(40))
    body = filler + "，累计投入扶贫资金300万元，" + filler + "。"
    summary = summarize(body, analyze("扶贫资金"), analyze, max_chars=60)
    assert "累计投入扶贫资金300万元" in summary
    assert len(summary) <= 60
    assert summary.startswith("…") and summary.endswith("…")


def test_empty_body_gives_empty_summary(analyze) -> None:
    assert summarize("", analyze("扶贫"), analyze) == ""
