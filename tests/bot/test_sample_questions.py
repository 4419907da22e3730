"""The bundled sample knowledge base, asked as a new user would ask it (`flask ask --json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def sample_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(LOAD_SAMPLE_KB="1")


def ask(app: Flask, question: str) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["ask", "--json", question])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return found


def test_a_word_the_sample_never_writes_whole_is_not_answered_through_the_place_alone(sample_app: Flask) -> None:
    # 回应关切 is one dictionary word; the sample's work summary writes only 电话回应. The FAQ entry
    # about applications (金贵镇 … 情况) used to be given as the answer.
    turn = ask(sample_app, "金贵镇回应关切情况")
    assert not turn["answered"] and turn["kind"] != "answer_faq"
    assert any("回应" in hit["matched"] for hit in turn["hits"][:5])
