"""Staff accounts: roles, password hashes, login with lockout. No Flask here, so the CLI uses it too.

Passwords are hashed with werkzeug's scrypt (salted, memory-hard; already a Flask dependency),
never stored or logged in clear, and there is no default account or password: the first
account is made with `flask --app app staff add NAME --role reviewer`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from knowledge.models import StaffAccount, utcnow
from knowledge.store import Store

PASSWORD_MIN_LENGTH = 8
NAME_MAX_LENGTH = 100
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


class Role(IntEnum):
    """Ordered: each role may do everything the roles below it may."""

    VIEWER = 1  # reports and logs only
    EDITOR = 2  # edits FAQ entries and items
    REVIEWER = 3  # also publishes, deletes, reads the audit trail

    @property
    def label(self) -> str:
        return {Role.VIEWER: "查看员", Role.EDITOR: "编辑", Role.REVIEWER: "审核员"}[self]

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise AccountError(f"角色只能是 viewer、editor 或 reviewer，不是“{name}”") from None


class AccountError(ValueError):
    """A Chinese message for the person at the keyboard."""


@dataclass(frozen=True)
class Staff:
    """The logged-in person, as the request handlers see them."""

    id: int
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role >= role


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    message: str = ""  # why not, in Chinese; never says whether the name exists


def _staff(row: StaffAccount) -> Staff:
    return Staff(id=row.id, name=row.name, role=Role.parse(row.role))


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(f"密码至少要 {PASSWORD_MIN_LENGTH} 个字符")


def add_account(store: Store, name: str, password: str, role: Role) -> Staff:
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise AccountError(f"用户名不能为空，最多 {NAME_MAX_LENGTH} 个字符")
    check_password_rules(password)
    with store.session() as session:
        if session.scalar(select(StaffAccount.id).where(StaffAccount.name == name)) is not None:
            raise AccountError(f"用户“{name}”已经存在")
        row = StaffAccount(name=name, password_hash=generate_password_hash(password, method="scrypt"),
                           role=role.name.lower(), active=True, failed_logins=0, created_at=utcnow())
        session.add(row)
        session.flush()
        return _staff(row)


def set_password(store: Store, name: str, password: str) -> None:
    check_password_rules(password)
    with store.session() as session:
        row = session.scalar(select(StaffAccount).where(StaffAccount.name == name))
        if row is None:
            raise AccountError(f"没有用户“{name}”")
        row.password_hash = generate_password_hash(password, method="scrypt")
        row.failed_logins, row.locked_until = 0, None


def set_active(store: Store, name: str, active: bool) -> None:
    with store.session() as session:
        row = session.scalar(select(StaffAccount).where(StaffAccount.name == name))
        if row is None:
            raise AccountError(f"没有用户“{name}”")
        row.active = active
        row.failed_logins, row.locked_until = 0, None


def list_accounts(store: Store) -> list[StaffAccount]:
    with store.session() as session:
        return list(session.scalars(select(StaffAccount).order_by(StaffAccount.name)))


def get_staff(store: Store, staff_id: int) -> Staff | None:
    """The account behind a session, re-read on every request so a disabled account stops at once."""
    with store.session() as session:
        row = session.get(StaffAccount, staff_id)
        return _staff(row) if row is not None and row.active else None


def authenticate(
    store: Store, name: str, password: str, *, max_failures: int, lockout: datetime.timedelta,
    now: datetime.datetime | None = None,
) -> LoginResult:
    """Check a login; `max_failures` wrong passwords in a row lock the account for `lockout`.

    The lock answers with the same message whether or not the password was right, so guessing
    cannot go on during it.
    """
    now = now or utcnow()
    refused = LoginResult(None, "用户名或密码不正确")
    with store.session() as session:
        row = session.scalar(select(StaffAccount).where(StaffAccount.name == name.strip()).with_for_update())
        if row is None:
            check_password_hash(_DUMMY_HASH, password)
            return refused
        if row.locked_until is not None and row.locked_until > now:
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            return LoginResult(None, f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试")
        if not check_password_hash(row.password_hash, password) or not row.active:
            row.failed_logins = (row.failed_logins or 0) + 1
            if row.failed_logins >= max_failures:
                row.locked_until, row.failed_logins = now + lockout, 0
                return LoginResult(None, f"密码错误次数过多，账号已锁定 {int(lockout.total_seconds() // 60)} 分钟")
            return refused
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        return LoginResult(_staff(row))
