"""The Redis backend of the state store: shared by every worker and every instance.

Single keys are single commands with short socket timeouts; a delivery's start and end
(`open_turn`, `close_turn`) are Lua scripts, each one round trip and atomic. Failures become
`StateUnavailable`, which `bot.state.ResilientStore` turns into "no memory".
"""

from __future__ import annotations

from typing import Any

import redis

from bot.state import OpenedTurn, StateStore, StateUnavailable, TurnKeys

# KEYS: reply, claim, session, lock, counters…; ARGV: owner, claim TTL (s), counter TTL (s), lock TTL (ms)
OPEN_TURN = """
local reply = redis.call('GET', KEYS[1])
if reply then return {reply, 0, 0, false} end
if not redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2], 'NX') then return {false, 0, 0, false} end
local locked = 0
if redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[4], 'NX') then locked = 1 end
local result = {false, 1, locked, redis.call('GET', KEYS[3])}
for i = 5, #KEYS do
  result[#result + 1] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[3], 'NX')
end
return result
"""

# KEYS: session, lock, reply; ARGV: owner, write session?, session, session TTL, store reply?, reply, reply TTL
CLOSE_TURN = """
local holder = redis.call('GET', KEYS[2])
local written = 0
if ARGV[2] == '1' and (not holder or holder == ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
  written = 1
end
if holder == ARGV[1] then redis.call('DEL', KEYS[2]) end
local stored = 0
if ARGV[5] == '1' and redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7], 'NX') then stored = 1 end
return {stored, written}
"""

# KEYS: claim, lock; ARGV: owner, claim TTL (s), lock TTL (ms)
RENEW_TURN = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1
"""


class RedisStore(StateStore):
    """Redis with short socket timeouts: a hanging Redis costs a request milliseconds, not seconds.

    A delivery's start and end are Lua scripts (`register_script`: EVALSHA, loaded on first
    use), so a message costs two round trips instead of one per key.
    """

    name = "redis"

    def __init__(self, url: str, *, timeout: float = 0.5, prefix: str = "zwgk:") -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=30,
            decode_responses=True,
        )
        self._open_turn = self.client.register_script(OPEN_TURN)
        self._close_turn = self.client.register_script(CLOSE_TURN)
        self._renew_turn = self.client.register_script(RENEW_TURN)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.client, method)(*args)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc

    def get(self, key: str) -> str | None:
        return self._call("get", self.prefix + key)

    def set(self, key: str, value: str, ttl: int) -> None:
        self._call("set", self.prefix + key, value, max(1, int(ttl)))

    def add(self, key: str, value: str, ttl: int) -> bool:
        try:
            result = self.client.set(self.prefix + key, value, ex=max(1, int(ttl)), nx=True)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        return bool(result)

    def delete(self, key: str) -> None:
        self._call("delete", self.prefix + key)

    def incr(self, key: str, ttl: int) -> int:
        full = self.prefix + key
        try:
            pipe = self.client.pipeline()
            pipe.incr(full)
            pipe.expire(full, max(1, int(ttl)), nx=True)
            value, _ = pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        return int(value)

    def lock(self, key: str, owner: str, ttl: float) -> bool:
        try:
            return bool(self.client.set(self.prefix + key, owner, px=max(1, int(ttl * 1000)), nx=True))
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc

    def open_turn(self, keys: TurnKeys, *, claim_ttl: int, counter_ttl: int, lock_ttl: float) -> OpenedTurn:
        p = self.prefix
        try:
            result = self._open_turn(
                keys=[p + keys.reply, p + keys.claim, p + keys.session, p + keys.lock, *(p + c for c in keys.counters)],
                args=[keys.owner, max(1, int(claim_ttl)), max(1, int(counter_ttl)), max(1, int(lock_ttl * 1000))],
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        reply, claimed, locked, session, *counts = result
        return OpenedTurn(reply=reply, claimed=bool(claimed), counts=tuple(int(c) for c in counts), session=session,
                          locked=bool(locked))

    def renew_turn(self, keys: TurnKeys, *, claim_ttl: int, lock_ttl: float) -> None:
        try:
            self._renew_turn(keys=[self.prefix + keys.claim, self.prefix + keys.lock],
                             args=[keys.owner, max(1, int(claim_ttl)), max(1, int(lock_ttl * 1000))])
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc

    def close_turn(self, keys: TurnKeys, *, session: str | None, session_ttl: int, reply: str | None,
                   reply_ttl: int) -> tuple[bool, bool]:
        p = self.prefix
        try:
            stored, written = self._close_turn(
                keys=[p + keys.session, p + keys.lock, p + keys.reply],
                args=[keys.owner, "0" if session is None else "1", session or "", max(1, int(session_ttl)),
                      "0" if reply is None else "1", reply or "", max(1, int(reply_ttl))],
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        return bool(stored), bool(written)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False
