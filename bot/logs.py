"""Log set-up: every line carries the request id, and personal data is masked before output.

The request id is also sent back in the `X-Request-Id` header, so a township clerk who reports
"the bot said 系统繁忙 at 10:02" can be matched to the log line that says why.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask, level: str = "INFO") -> None:
    """Install request ids and masking on the root logger's handlers (once per process)."""
    from bot.privacy import MaskingFilter

    root = logging.getLogger()
    if not any(getattr(h, "_zwgk", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._zwgk = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.getLevelName(level):
        root.setLevel(level)
    # jieba logs its dictionary loading at DEBUG on a handler of its own; once is enough.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming[:32] if incoming.isalnum() else uuid.uuid4().hex[:12]

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", "-")
        return response
