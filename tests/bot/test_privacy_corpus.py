"""Masking over a corpus of realistic citizen text (written for these tests, not real people).

`data/citizen_personal.tsv`: 205 lines in which a citizen gives a phone, ID, e-mail, card,
passport, social-security, plate, QQ or WeChat number, an address or a name, typed the many
ways people type them; each names a fragment that must not survive. `citizen_ordinary.txt`:
文号, dates, amounts, hotlines, places and officials' titles that must stay exactly as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.privacy import mask_citizen_text

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


PERSONAL = _rows("citizen_personal.tsv")
ORDINARY = [row[0] for row in _rows("citizen_ordinary.txt")]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def test_the_corpus_is_large_and_covers_every_kind() -> None:
    assert len(PERSONAL) >= 200
    kinds = {kind for kind, _, _ in PERSONAL}
    assert kinds == {"mobile", "id", "email", "card", "passport", "social", "plate", "qq", "wechat", "address", "name"}


@pytest.mark.parametrize(("kind", "text", "fragment"), PERSONAL,
                         ids=[f"{k}-{n}" for n, (k, _, _) in enumerate(PERSONAL)])
def test_personal_data_in_citizen_text_is_masked(kind: str, text: str, fragment: str) -> None:
    masked = mask_citizen_text(text)
    assert fragment not in masked, masked
    if fragment.isdigit():
        assert fragment not in _digits(masked), masked
    assert "*" in masked


@pytest.mark.parametrize("text", ORDINARY)
def test_policy_numbers_dates_amounts_and_places_stay_readable(text: str) -> None:
    assert mask_citizen_text(text) == text
