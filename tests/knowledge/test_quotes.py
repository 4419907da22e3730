"""The answering sentence of an item, quoted verbatim rather than its cover note."""

from __future__ import annotations

import pytest

from knowledge.document import Document
from knowledge.quotes import asks_quantity, quote
from knowledge.text import TextProcessor

TITLE = "关于印发《星河路站动迁特殊困难对象补助办法》的通知"
BODY = (
    "现印发《星河路站动迁特殊困难对象补助办法》，请遵照执行。\n"
    "第一条 为做好星河路站动迁工作，制定本办法。\n"
    "第二条 本办法适用于星河路站地块内户籍在册的居民家庭。\n"
    "第三条 符合特殊困难认定标准的，给予每人最高不超过2万元货币补贴。\n"
    "第四条 申请人应向街道受理窗口提交书面申请。"
)


@pytest.fixture(scope="module")
def reader():
    return TextProcessor()


def item() -> Document:
    return Document(kind="item", id=1, title=TITLE, body=BODY)


def test_the_sentence_with_the_asked_fact_is_quoted_not_the_cover_note(reader) -> None:
    question = "星河路站动迁的困难户 每人最高能补贴多少"
    text = quote(item(), reader.analyze(question), reader, max_chars=300, question=question)
    assert "给予每人最高不超过2万元货币补贴。" in text
    assert "请遵照执行" not in text


def test_the_quote_is_verbatim_text_of_the_body(reader) -> None:
    question = "去哪里提交申请"
    text = quote(item(), reader.analyze(question), reader, max_chars=300, question=question)
    assert text and all(part in BODY for part in text.split("。") if part)


def test_a_quote_stays_within_its_length_budget(reader) -> None:
    question = "补贴多少 怎么申请"
    assert len(quote(item(), reader.analyze(question), reader, max_chars=40, question=question)) <= 40


@pytest.mark.parametrize("question", ["能补多少钱", "几年复核一次", "多久响应", "什么时候截止", "最高能造多高"])
def test_questions_asking_for_an_amount_or_a_time_are_recognised(question: str) -> None:
    assert asks_quantity(question)


@pytest.mark.parametrize("question", ["去哪里申请", "谁负责维修", "这有规定吗"])
def test_other_questions_are_not_taken_for_amounts(question: str) -> None:
    assert not asks_quantity(question)


def test_a_question_asking_how_high_quotes_the_sentence_with_a_height_not_a_numbered_rule(reader) -> None:
    doc = Document(kind="item", id=2, title="关于农村村民建房管理的通知", body=(
        "5.每个农户翻建房屋只能在原址翻建，翻建前应拆除原有房屋。\n"
        "房屋檐口高度不得超过10米，屋脊高度不得超过13米。\n"
        "3.翻建房屋应当经镇政府审批。"
    ))
    question = "农村翻建房屋 最高能造多高"
    text = quote(doc, reader.analyze(question), reader, max_chars=40, question=question)
    assert "不得超过10米" in text


def test_answer_types_follow_the_question_word_and_a_subject_word_asks_for_no_amount() -> None:
    from knowledge.quotes import answer_types

    assert answer_types("能补多少钱")  # money
    assert answer_types("一天开几个钟头")  # duration
    assert answer_types("啥时候开始执行")  # date
    assert answer_types("以旧换新补贴的事 打哪个电话问")  # a telephone number
    assert answer_types("要去哪申请")  # where to go
    assert not answer_types("这种算集中出租吗")


PHONE_BODY = (
    "个人消费者如需咨询本细则有关内容，可以致电热线电话咨询。\n"
    "新车是指个人消费者购买的纯电动汽车。\n"
    "热线电话号码：400-820-3152，服务时间：工作日9:00-17:00。"
)


def test_a_telephone_question_quotes_the_sentence_with_the_number(reader) -> None:
    doc = Document(kind="item", id=3, title="关于印发《汽车以旧换新补贴实施细则》的通知", body=PHONE_BODY)
    question = "纯电车以旧换新补贴 打哪个电话问"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert "400-820-3152" in text


def test_a_where_question_quotes_where_to_go_over_sentences_sharing_more_words(reader) -> None:
    doc = Document(kind="item", id=4, title="关于印发《某区设摊经营管理办法》的通知", body=(
        "外摆区域应为建筑红线范围内的自有区域，外摆设施应保持整洁。\n"
        "外摆位因地制宜利用店铺前空间设置。\n"
        "经营主体开展设摊经营活动，应制定具体方案，向属地街道申报。"
    ))
    question = "想摆个外摆位 要去哪申请"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert text == "经营主体开展设摊经营活动，应制定具体方案，向属地街道申报。"


def test_an_amount_question_quotes_the_amount_over_conditions_that_share_more_words(reader) -> None:
    """The conditions of a 补助办法 repeat the question's words (地块, 困难, 居住); the sentence
    that answers 多少钱 is the one with 元, although it shares fewer of them."""
    body = (
        "一、至本地块房屋征收决定公告之日，户口迁入满一年，但因居住困难在外借房居住。\n"
        "二、至本地块房屋征收决定公告之日，户口迁入满一年，且家里实际居住在被征收房屋处。\n"
        "三、对困难家庭给予每人2万元货币补贴。"
    )
    doc = Document(kind="item", id=2, title="关于印发《某站地块特殊生活困难对象补助办法》的通知", body=body)
    question = "那块动迁 家里住房困难的 能补多少钱啊"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert text == "三、对困难家庭给予每人2万元货币补贴。"


def test_analysed_sentences_are_reused_but_an_edited_body_is_analysed_afresh(reader) -> None:
    question = "每人最高能补贴多少"
    first = quote(item(), reader.analyze(question), reader, max_chars=300, question=question)
    edited = Document(kind="item", id=1, title=TITLE, body=BODY.replace("2万元", "3万元"))
    assert first == quote(item(), reader.analyze(question), reader, max_chars=300, question=question)
    assert "3万元" in quote(edited, reader.analyze(question), reader, max_chars=300, question=question)


class CountingReader:
    """A reader that records every text it analyses."""

    def __init__(self, processor: TextProcessor) -> None:
        self.processor = processor
        self.analysed: list[str] = []

    def analyze(self, text: str) -> list[str]:
        self.analysed.append(text)
        return self.processor.analyze(text)

    def written_forms(self, term: str) -> tuple[str, ...]:
        return self.processor.written_forms(term)


def test_only_clauses_where_a_question_word_is_written_are_analysed(reader) -> None:
    counting = CountingReader(reader)
    question = "受理窗口在哪"
    doc = Document(kind="item", id=7, title="某街道补助办法", body=BODY)
    quote(doc, reader.analyze(question), counting, max_chars=300, question=question, sentences=1)
    analysed = "".join(counting.analysed)
    assert "受理窗口" in analysed
    assert "户籍在册" not in analysed and "遵照执行" not in analysed


def test_which_sentences_hold_a_word_is_what_analysing_each_sentence_says(reader) -> None:
    from knowledge.quotes import _Sentences

    body = ("低保户每月领取低保金，標準為每人８５０元；最低生活保障由街道审核。\n"
            "社保卡丢了（补办）请到窗口，１２３４５热线：021-12345。\n"
            "第三条 符合条件的，给予每人最高不超过2万元货币补贴…详见附件。")
    sentences = _Sentences(body, reader.analyze, reader.written_forms)
    everything = {word for part in sentences.parts for word in reader.analyze(part)}
    assert {"最低生活保障", "社会保障卡", "标准"} <= everything  # synonyms, traditional characters
    for word in everything | {"低保", "保障", "12345", "附件"}:
        expected = tuple(i for i, part in enumerate(sentences.parts) if word in reader.analyze(part))
        assert sentences.holding(word) == expected, word


@pytest.mark.parametrize(("text", "bound"), [
    ("5万以上的怎么办", "≥5万"), ("总投资额大于5万元（含）", "≥5万"), ("不超过30万元", "≤30万"),
    ("身高1.3米（含）以下", "≤1.3"), ("不低于3人", "≥3"),
])
def test_a_threshold_reads_the_same_whichever_words_state_it(text: str, bound: str) -> None:
    from knowledge.quotes import comparisons

    assert "\x00" + bound in comparisons(text)


def test_a_negated_comparison_is_not_read_as_its_opposite() -> None:
    from knowledge.quotes import comparisons

    assert comparisons("不超过") == {"\x00≤"}
    assert comparisons("超过") == {"\x00≥"}


def test_a_threshold_question_quotes_the_rule_on_that_side_of_that_amount(reader) -> None:
    """5万以上 asks for the rule of 大于5万元, not the one of 小于5万元 sharing the same words."""
    doc = Document(kind="item", id=5, title="关于印发《某镇小型建设工程项目管理办法》的通知", body=(
        "总投资额小于5万元的工程，由镇政府办公会议确定施工单位。\n"
        "总投资额大于5万元（含）的工程，由邀请招标确定施工单位。"
    ))
    question = "镇里的小工程 5万以上的怎么选施工单位"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert text == "总投资额大于5万元（含）的工程，由邀请招标确定施工单位。"


def test_a_question_whether_it_costs_anything_quotes_the_sentence_saying_free(reader) -> None:
    """收不收钱 is answered by 无偿/免费 as much as by an amount of 元."""
    doc = Document(kind="item", id=6, title="关于印发《某区应急避难场所管理办法》的通知", body=(
        "应急避难场所平时由管理单位负责日常维护，保持进出通道畅通。\n"
        "启用开放的应急避难场所，其管理单位应无偿对避难人员开放。\n"
        "应急避难场所的标识应设置在进出口醒目位置。"
    ))
    question = "应急避难场所 平时进去收不收钱"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert text == "启用开放的应急避难场所，其管理单位应无偿对避难人员开放。"


def test_dissatisfaction_is_no_threshold() -> None:
    from knowledge.quotes import comparisons

    assert comparisons("对处理结果不满") == set()
    assert comparisons("不满18周岁的") == {"\x00≤18"}


def test_a_question_by_what_standard_quotes_the_rate_not_a_sentence_naming_standards(reader) -> None:
    """按啥标准算 asks for an amount per unit; sentences that only say 标准 do not answer it."""
    doc = Document(kind="item", id=7, title="关于印发《某街道老旧小区物业服务补贴实施办法》的通知", body=(
        "2.如上级部门调整相关补贴标准，按上级文件执行。\n"
        "补贴资金的标准为：0.25元/平方米·月，考核优秀的为0.30元/平方米·月，按季度拨付给物业服务企业。\n"
        "3.考核标准按附件1执行。"
    ))
    question = "老小区物业补贴 按啥标准算的"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question, sentences=1)
    assert "0.25元/平方米·月" in text


def test_a_heading_that_matches_best_is_quoted_with_the_sentence_after_it(reader) -> None:
    body = ("一、总体情况。全年发布信息389条。\n五、不足。宣传力度不够，群众参与度不高。\n"
            "六、2019年打算。加强宣传和干部培训，每周至少更新一次。")
    doc = Document(kind="item", id=2, title="2018年政务公开工作总结", body=body)
    question = "2019年有什么打算"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question)
    assert "六、2019年打算。" in text and "加强宣传和干部培训，每周至少更新一次。" in text


def test_a_heading_that_matches_best_brings_its_whole_section_within_the_budget(reader) -> None:
    """The section's second sentence is the one about 回应 (回应群众关切): a heading and one sentence
    left it out. The next section stays out, and the budget still binds."""
    body = ("五、政策解读和回应关切。加强国家政策的宣传和解读，涉农补贴政策全面公开；"
            "积极回应群众关切的问题，通过电话回应群众疑问600余条。\n六、不足。宣传力度不够。")
    doc = Document(kind="item", id=3, title="2018年政务公开工作总结", body=body)
    question = "回应关切情况"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question)
    assert text.startswith("五、政策解读和回应关切。") and "通过电话回应群众疑问600余条。" in text
    assert "宣传力度不够" not in text
    short = quote(doc, reader.analyze(question), reader, max_chars=40, question=question)
    assert short.startswith("五、政策解读和回应关切。") and "600余条" not in short


def test_a_sentence_the_document_repeats_is_quoted_once(reader) -> None:
    """The same condition under two articles (宅基地 rules list 一户一宅 for building and for rebuilding)."""
    repeated = "3.符合一户一宅基本原则，无违章搭建；"
    body = f"第五条 新建条件：\n{repeated}\n第六条 翻建条件：\n{repeated}\n第七条 申请人应提交书面申请。"
    doc = Document(kind="item", id=2, title="宅基地房屋管理办法", body=body)
    question = "一户一宅 违章搭建 有什么条件"
    text = quote(doc, reader.analyze(question), reader, max_chars=300, question=question)
    assert text.count("一户一宅") == 1
