"""Production fails closed: unsafe settings stop the start with one bilingual line each."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from bot.config import ConfigError, Settings, production_problems
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.support import post, text_xml

ROOT = Path(__file__).resolve().parents[2]
SAFE = {
    "ZWGK_ENV": "production",
    "WECHAT_TOKEN": "a-long-random-token",
    "WECHAT_MODE": "plain",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECRET_KEY": "s",
    "USER_HASH_SECRET": "u",
    "WEB_CONCURRENCY": "3",
}


def without(name: str, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in SAFE.items() if k != name}
    env.update(changes)
    return env


def test_a_complete_production_environment_has_no_problems() -> None:
    assert production_problems(SAFE) == []


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (without("WECHAT_TOKEN"), "WECHAT_TOKEN"),
        (without("WECHAT_TOKEN", WECHAT_TOKEN="zwgk-dev-token"), "WECHAT_TOKEN"),
        (without("WECHAT_MODE"), "WECHAT_MODE"),
        (without("SECRET_KEY"), "SECRET_KEY"),
        (without("USER_HASH_SECRET"), "USER_HASH_SECRET"),
        (without("REDIS_URL", SECRET_KEY="s"), "REDIS_URL"),
    ],
)
def test_each_unsafe_production_setting_is_named_in_chinese_and_english(env: dict[str, str], variable: str) -> None:
    problems = production_problems(env)
    assert len(problems) == 1
    assert variable in problems[0] and " / " in problems[0]
    chinese, english = problems[0].split(" / ", 1)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and english.isascii()


def test_one_worker_on_sqlite_needs_neither_redis_nor_explicit_secrets() -> None:
    env = {"ZWGK_ENV": "production", "WECHAT_TOKEN": "t" * 20, "WECHAT_MODE": "plain", "WEB_CONCURRENCY": "1"}
    assert production_problems(env) == []


def test_settings_refuse_an_unsafe_production_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WECHAT_TOKEN"):
        Settings.from_env(tmp_path, without("WECHAT_TOKEN"))


def test_development_starts_with_no_configuration_and_loads_the_sample(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {})
    assert settings.environment == "development" and settings.wechat_mode == "plain"
    assert settings.load_sample_kb


def test_production_does_not_load_the_sample_unless_asked(tmp_path: Path) -> None:
    assert not Settings.from_env(tmp_path, SAFE).load_sample_kb
    assert Settings.from_env(tmp_path, {**SAFE, "LOAD_SAMPLE_KB": "1"}).load_sample_kb


def test_safe_or_compatible_mode_without_an_aes_key_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WECHAT_AES_KEY"):
        Settings.from_env(tmp_path, {"WECHAT_MODE": "safe"})
    with pytest.raises(ConfigError, match="WECHAT_MODE"):
        Settings.from_env(tmp_path, {"WECHAT_MODE": "secure"})


def test_gunicorn_config_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "ZWGK_", "REDIS_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import runpy; runpy.run_path('gunicorn.conf.py')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "WECHAT_TOKEN" in result.stderr and "拒绝" in result.stderr


def test_safe_mode_refuses_a_signed_plaintext_body(make_app: Callable[..., Flask]) -> None:
    app = make_app(WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID, WECHAT_MODE="safe")
    response = post(app.test_client(), text_xml("低保怎么申请"))
    assert response.status_code == 403


def test_compatible_mode_still_accepts_a_signed_plaintext_body(make_app: Callable[..., Flask]) -> None:
    app = make_app(WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID, WECHAT_MODE="compatible")
    assert post(app.test_client(), text_xml("低保怎么申请")).status_code == 200
