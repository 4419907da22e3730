"""Staff accounts: hashing, roles, lockout — on SQLite and the real PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select

from bot.admin.accounts import AccountError, Role, add_account, authenticate, get_staff, set_active, set_password
from knowledge.models import StaffAccount
from knowledge.store import Store

LOCK = datetime.timedelta(minutes=15)


def check(store: Store, name: str, password: str, now: datetime.datetime | None = None):
    return authenticate(store, name, password, max_failures=3, lockout=LOCK, now=now)


def test_the_password_is_stored_only_as_a_modern_salted_hash(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    add_account(store, "李四", "s3cret-passw0rd", Role.EDITOR)
    with store.session() as session:
        hashes = list(session.scalars(select(StaffAccount.password_hash)))
    assert all(h.startswith("scrypt:") and "s3cret" not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_a_right_password_logs_in_with_the_accounts_role(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.REVIEWER)
    result = check(store, "张三", "s3cret-passw0rd")
    assert result.staff is not None and result.staff.role is Role.REVIEWER


def test_a_wrong_password_and_an_unknown_name_get_the_same_message(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    assert check(store, "张三", "wrong-password").message == check(store, "王五", "whatever-pw").message


def test_repeated_failures_lock_the_account_even_against_the_right_password(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    now = datetime.datetime(2026, 1, 1, 9, 0)
    for _ in range(3):
        check(store, "张三", "wrong-password", now)
    locked = check(store, "张三", "s3cret-passw0rd", now + datetime.timedelta(minutes=1))
    assert locked.staff is None and "锁定" in locked.message
    assert check(store, "张三", "s3cret-passw0rd", now + LOCK + datetime.timedelta(seconds=1)).staff is not None


def test_a_short_password_and_an_unknown_role_are_refused(store: Store) -> None:
    with pytest.raises(AccountError, match="至少"):
        add_account(store, "张三", "short", Role.EDITOR)
    with pytest.raises(AccountError, match="角色"):
        Role.parse("admin")


def test_a_duplicate_name_is_refused(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    with pytest.raises(AccountError, match="已经存在"):
        add_account(store, "张三", "another-passw0rd", Role.VIEWER)


def test_a_disabled_account_cannot_log_in_and_its_session_ends(store: Store) -> None:
    staff = add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    set_active(store, "张三", False)
    assert check(store, "张三", "s3cret-passw0rd").staff is None
    assert get_staff(store, staff.id) is None


def test_a_new_password_replaces_the_old_one(store: Store) -> None:
    add_account(store, "张三", "s3cret-passw0rd", Role.EDITOR)
    set_password(store, "张三", "brand-new-passw0rd")
    assert check(store, "张三", "s3cret-passw0rd").staff is None
    assert check(store, "张三", "brand-new-passw0rd").staff is not None


def test_roles_are_ordered_viewer_editor_reviewer() -> None:
    assert Role.VIEWER < Role.EDITOR < Role.REVIEWER
