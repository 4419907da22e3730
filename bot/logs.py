"""Log set-up: every line carries the request id, and personal data is masked before output.

The request id is also sent back in the `X-Request-Id` header, so a township clerk who reports
"the bot said 系统繁忙 at 10:02" can be matched to the log line that says why.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


# "POST /wechat?signature=…&openid=o6_bmj… HTTP/1.1": WeChat puts the citizen's OpenID in the
# query string, and the development server logs request lines verbatim.
_REQUEST_LINE_QUERY = re.compile(r'((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^\s?"]+)\?[^\s"\x1b]*')


class QueryStringFilter(logging.Filter):
    """Drops query strings from logged request lines, so no OpenID reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem to report, not ours
            return True
        stripped = _REQUEST_LINE_QUERY.sub(r"\1", message)
        if stripped != message:
            record.msg, record.args = stripped, None
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask, level: str = "INFO") -> None:
    """Install request ids and masking on the root logger's handlers (once per process)."""
    from bot.privacy import MaskingFilter

    root = logging.getLogger()
    if not any(getattr(h, "_zwgk", False) for h in root.handlers):
        ours = logging.StreamHandler()
        setattr(ours, "_zwgk", True)  # marks the handler this function installed  # noqa: B010
        ours.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(ours)
    if root.level == logging.NOTSET or root.level > logging.getLevelName(level):
        root.setLevel(level)
    # jieba logs its dictionary loading at DEBUG on a handler of its own; once is enough.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
        if not any(isinstance(f, QueryStringFilter) for f in handler.filters):
            handler.addFilter(QueryStringFilter())

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming[:32] if incoming.isalnum() else uuid.uuid4().hex[:12]

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", "-")
        return response
