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


def test_a_question_about_a_section_of_the_work_summary_is_offered_the_summary(sample_app: Flask) -> None:
    # The summary's section on 回应关切 is found and listed; the FAQ entry about applications
    # (金贵镇 … 情况), which only shares the place, used to be given as the answer.
    turn = ask(sample_app, "金贵镇回应关切情况")
    assert not turn["answered"] and turn["kind"] != "answer_faq"
    assert "贺兰县金贵镇2018年政务公开工作总结暨2019年工作计划" in turn["reply"]
    summary = next(hit for hit in turn["hits"][:5] if hit["kind"] == "item")
    assert "回应关切" in summary["matched"]
