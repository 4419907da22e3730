"""Log output: request lines lose their query string, so WeChat's openid never reaches a log."""

from __future__ import annotations

import logging

from bot.logs import QueryStringFilter


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, args, None)


def test_request_line_loses_its_query_string() -> None:
    line = "POST /wechat?signature=ab&openid=o6_bmjrPTlm6_2sgVt7hMZOPfL2M HTTP/1.1"
    rec = record('%s - - "%s" %s', "127.0.0.1", line, 200)
    QueryStringFilter().filter(rec)
    assert rec.getMessage() == '127.0.0.1 - - "POST /wechat HTTP/1.1" 200'


def test_other_messages_are_left_alone() -> None:
    rec = record("knowledge base v%d loaded: %s?", 3, "yes")
    QueryStringFilter().filter(rec)
    assert rec.getMessage() == "knowledge base v3 loaded: yes?"


def test_coloured_request_line_loses_its_query_string() -> None:
    rec = record('"%s" %s', "\x1b[31m\x1b[1mPOST /wechat?openid=o6_bmjrPTlm6 HTTP/1.1\x1b[0m", 403)
    QueryStringFilter().filter(rec)
    assert "o6_bmjrPTlm6" not in rec.getMessage()
