"""WeChat's retries folded onto the first delivery: short claims and stored replies.

Both live in the state store (Redis in production, shared by every worker), and neither may
carry a citizen's identity there: keys are the same keyed hash the question log uses for its
message key (`pseudonymise`), and a stored reply — whose XML is addressed to the OpenID and
may quote the question — is encrypted with a key derived from the same secret (Fernet from
`cryptography`), so a Redis dump or `MONITOR` shows neither.

A claim is short (`CLAIM_TTL`) and renewed by its owner while the answer is being computed.
A delivery whose worker died (SIGKILL, OOM) stops renewing, so the claim lapses within
seconds and WeChat's next retry takes it over and answers, instead of all three retries
waiting on a dead owner and getting "系统正忙".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import uuid

from cryptography.fernet import Fernet, InvalidToken

from bot.privacy import pseudonymise
from bot.state import StateStore

log = logging.getLogger(__name__)

CLAIM_TTL = 3  # seconds; an owner renews every RENEW_EVERY, a dead one loses it this soon
RENEW_EVERY = 1.0
REPLY_TTL = 300  # WeChat's three retries arrive within ~15 s; keep the reply well past that


class RetryFolding:
    """Claims and replies of one app, under pseudonymous keys with encrypted values."""

    def __init__(self, state: StateStore, secret: str) -> None:
        self.state = state
        self.secret = secret
        derived = hmac.new(secret.encode("utf-8"), b"zwgk reply encryption", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._token = uuid.uuid4().hex[:8]

    @property
    def _owner(self) -> str:
        # Computed per call: the app is built before gunicorn forks its workers.
        return f"{os.getpid()}:{self._token}"

    def key(self, dedupe_key: str) -> str:
        """The pseudonymous key of one message (equal to the question log's message key)."""
        return pseudonymise(dedupe_key, self.secret)

    def claim(self, key: str) -> bool:
        """Become the one delivery that answers this message; False while another holds it."""
        return self.state.add(f"wx:claim:{key}", self._owner, CLAIM_TTL)

    def renew(self, key: str) -> None:
        self.state.set(f"wx:claim:{key}", self._owner, CLAIM_TTL)

    def reply(self, key: str) -> str | None:
        token = self.state.get(f"wx:reply:{key}")
        return None if token is None else self.decrypt(token)

    def store_reply(self, key: str, xml: str) -> bool:
        """Keep the reply for retries; the first one stored stays (add), True if this was it."""
        return self.state.add(f"wx:reply:{key}", self.encrypt(xml), REPLY_TTL)

    def encrypt(self, xml: str) -> str:
        """A reply as kept in the store: encrypted, so a Redis dump shows neither OpenID nor text."""
        return self._fernet.encrypt(xml.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """A stored reply's XML; None for one that does not decrypt (another secret, tampered)."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            log.warning("dropping a stored reply that does not decrypt")
            return None
