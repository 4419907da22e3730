"""Replay the peer frameworks' WeChat message samples through the real webhook.

    python -m bench.wechat_samples [--shared ../shared]

Every inbound sample in `shared/wechat-samples/` (wechatpy's and WeRoBot's test bodies) is
signed with our token, posted to /wechat of an app on a throwaway instance with the bundled
sample knowledge base, and must get 200 with either `success` or well-formed reply XML whose
text fits WeChat's 2,048 bytes. Reply templates (test_replies) and envelopes encrypted with
another account's key are outbound or unreadable by design and are listed, not posted.
Exits 1 if any inbound sample fails, so CI can run it when shared/ is present.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

from bot import create_app
from bot.runtime import get_runtime
from bot.startup import prepare
from bot.wechat import url_signature

TOKEN = "samples-token"


def classify(src: str, body: str) -> str | None:
    """Why a sample is not an inbound message for us, or None when it is one."""
    if src.endswith("test_replies.py"):
        return "reply template (outbound)"
    if "<Encrypt>" in body:
        return "encrypted with another account's key"
    if "<ToUserName>" not in body:
        return "not an Official Account message (e.g. a WeChat Pay notice; /wechat answers 400)"
    return None


def check_reply(status: int, body: str) -> str | None:
    if status != 200:
        return f"status {status}"
    if body == "success":
        return None
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        return f"reply is not XML: {exc}"
    fields = {child.tag: child.text or "" for child in root}
    missing = {"ToUserName", "FromUserName", "CreateTime", "MsgType"} - fields.keys()
    if missing:
        return f"reply lacks {sorted(missing)}"
    if fields["MsgType"] == "text" and len(fields.get("Content", "").encode()) > 2048:
        return "text reply over 2,048 bytes"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    args = parser.parse_args(argv)
    samples = args.shared / "wechat-samples"
    if not (samples / "index.json").exists():
        print(f"no samples at {samples}: pass --shared DIR (the folder that holds wechat-samples/)")
        return 2
    index = json.loads((samples / "index.json").read_text(encoding="utf-8"))
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"WECHAT_TOKEN": TOKEN, "WECHAT_MAX_SKEW": "0", "DATABASE_URL": f"sqlite:///{tmp}/s.sqlite3",
               "LOG_LEVEL": "WARNING", "RATE_LIMIT_PER_MINUTE": "0"}
        app = create_app(env, instance_path=tmp)
        prepare(app, announce=False)
        client = app.test_client()
        memory = get_runtime(app).state.backend
        for entry in index:
            body = (samples / entry["file"]).read_text(encoding="utf-8")
            reason = classify(entry["src"], body)
            if reason:
                skipped.append(f"{entry['file']}: {reason}")
                continue
            # The peer suites reuse FromUserName+MsgId across unrelated samples; without a clean
            # state each would be answered as a "retry" of the previous one.
            memory.clear()  # type: ignore[attr-defined]
            query = {"timestamp": "1700000000", "nonce": "n0nce"}
            query["signature"] = url_signature(TOKEN, query["timestamp"], query["nonce"])
            response = client.post("/wechat", query_string=query, data=body.encode("utf-8"))
            text = response.get_data(as_text=True)
            problem = check_reply(response.status_code, text)
            if problem:
                failures.append(f"{entry['file']}: {problem}")
                continue
            kind = "success" if text == "success" else ElementTree.fromstring(text).findtext("MsgType") or "?"
            outcomes[kind] = outcomes.get(kind, 0) + 1
    posted = sum(outcomes.values()) + len(failures)
    print(f"inbound samples posted: {posted}; passed: {sum(outcomes.values())}; failed: {len(failures)}")
    print("answers by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"not posted ({len(skipped)}):")
    for line in skipped:
        print(f"  {line}")
    for line in failures:
        print(f"FAILED {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
