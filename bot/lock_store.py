"""The lock store: one conversation's messages handled one at a time, in the order they came, on every
replica.

Rasa serialises the messages of one conversation with a ticket lock: each message takes a ticket and
waits until it is the lowest one left. Rasa Open Source's ``RedisLockStore`` keeps the tickets as one
JSON value that each replica reads, changes and writes back; two replicas taking a ticket for the same
conversation at the same moment can both read the same queue, so both get the same number (both run at
once) or one's ticket is overwritten (it waits for nothing, or forever). Here every change to the queue is
one Lua script, which Redis runs atomically:

* a ticket is ``INCR`` of the conversation's counter, added to a sorted set (served lowest first) with an
  expiry kept by Redis's own clock, so replicas whose clocks differ still agree;
* a ticket is a lease: while its message is waiting or being handled it is renewed every few seconds, for
  at most ``TICKET_LOCK_LIFETIME`` seconds (Rasa's own setting, 60 by default). A replica that dies stops
  renewing, and the next message goes ahead after one lease (``LEASE_SECONDS``), not a minute later;
* the last ticket out deletes the queue, and every key also expires on its own.

When Redis cannot be reached, messages are still answered: each replica then serialises a conversation on
its own (the log says so, without the conversation id), rather than leave a person without a reply.

Chosen in ``endpoints.yml`` (``lock_store: type: bot.lock_store.LockStoreFromEnvironment``): Redis at
``REDIS_URL`` when it is set, else Rasa's in-memory lock store, which is right for a single process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

logger = logging.getLogger(__name__)

# How long a ticket lives without being renewed: how long a conversation waits after a replica died
# holding its lock.
LEASE_SECONDS = 10.0
# How often a waiting message looks again, at first and at most (it backs off in between).
FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.1

# KEYS: the queue (sorted set of ticket numbers), the expiries (hash number -> ms), the counter.
_NOW_AND_EXPIRED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local expiries = redis.call('HGETALL', KEYS[2])
for i = 1, #expiries, 2 do
  if tonumber(expiries[i + 1]) <= now then
    redis.call('HDEL', KEYS[2], expiries[i])
    redis.call('ZREM', KEYS[1], expiries[i])
  end
end
"""

# ARGV: lease (ms). Returns the new ticket's number.
ISSUE = (
    _NOW_AND_EXPIRED
    + """
local lease = tonumber(ARGV[1])
local ticket = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], ticket, ticket)
redis.call('HSET', KEYS[2], ticket, now + lease)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], lease) end
return ticket
"""
)

# ARGV: ticket, lease (ms). Renews the ticket; returns 1 when it is being served (the lowest left),
# 0 when it waits, -1 when it is gone (it expired).
RENEW_AND_CHECK = (
    _NOW_AND_EXPIRED
    + """
local ticket = ARGV[1]
if redis.call('HEXISTS', KEYS[2], ticket) == 0 then return -1 end
local lease = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], ticket, now + lease)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], lease) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if first[1] == ticket then return 1 end
return 0
"""
)

# ARGV: ticket. Removes it; the last ticket out removes the queue.
FINISH = (
    _NOW_AND_EXPIRED
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 0
"""
)


class AtomicRedisLockStore(LockStore):
    """A Redis ticket lock whose every step is atomic (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        key_prefix: str = "lock",
        lease_seconds: float = LEASE_SECONDS,
        socket_timeout: float = 5.0,
    ) -> None:
        import redis.asyncio

        self.url = url
        self.red = redis.asyncio.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        self.key_prefix = f"{key_prefix}:"
        self.lease_ms = int(lease_seconds * 1000)
        self._issue = self.red.register_script(ISSUE)
        self._renew_and_check = self.red.register_script(RENEW_AND_CHECK)
        self._finish = self.red.register_script(FINISH)
        # Used only while Redis cannot be reached: this process's own lock per conversation.
        self._local = InMemoryLockStore()
        super().__init__()

    def _keys(self, conversation_id: str) -> list[str]:
        queue = self.key_prefix + conversation_id
        return [queue, queue + ":expires", queue + ":next"]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = MAX_POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Waits for this message's turn in the conversation, holds it while the message is handled."""
        import redis

        keys = self._keys(conversation_id)
        try:
            ticket = int(await self._issue(keys=keys, args=[self.lease_ms]))
        except redis.RedisError as error:
            logger.warning("lock store unreachable (%s): in order on this replica only", type(error).__name__)
            async with self._local.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as local:
                yield local
            return
        try:
            await self._wait_for_turn(keys, ticket, min(wait_time_in_seconds, MAX_POLL_SECONDS))
            keeper = asyncio.create_task(self._keep(keys, ticket, lock_lifetime))
            try:
                yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lock_lifetime)]))
            finally:
                keeper.cancel()
                with suppress(asyncio.CancelledError):
                    await keeper
        finally:
            with suppress(redis.RedisError):
                await self._finish(keys=keys, args=[ticket])

    async def _wait_for_turn(self, keys: list[str], ticket: int, max_poll: float) -> None:
        import redis

        poll = FIRST_POLL_SECONDS
        while True:
            try:
                state = int(await self._renew_and_check(keys=keys, args=[ticket, self.lease_ms]))
            except redis.RedisError as error:
                raise LockError(f"lock store unreachable while waiting ({type(error).__name__})") from None
            if state == 1:
                return
            if state == -1:  # only when this process stalled for a whole lease
                raise LockError("this message's ticket expired while it waited")
            await asyncio.sleep(poll)
            poll = min(poll * 2, max_poll)

    async def _keep(self, keys: list[str], ticket: int, lifetime: float) -> None:
        """Renews the lease while the message is handled, for at most ``lifetime`` seconds."""
        import redis

        until = time.monotonic() + lifetime
        every = self.lease_ms / 3000
        while time.monotonic() + every < until:
            await asyncio.sleep(every)
            with suppress(redis.RedisError):
                await self._renew_and_check(keys=keys, args=[ticket, self.lease_ms])

    # Rasa's synchronous ticket API is not used by Rasa with a store that overrides ``lock``; refuse
    # it rather than run the non-atomic version inherited from ``LockStore``.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError("AtomicRedisLockStore has no read-modify-write API; use lock()")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore has no read-modify-write API; use lock()")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("AtomicRedisLockStore has no read-modify-write API; use lock()")


class LockStoreFromEnvironment:
    """What ``endpoints.yml`` names: an ``AtomicRedisLockStore`` at ``REDIS_URL`` (with the key prefix
    ``REDIS_LOCK_PREFIX``, default ``lock``) when that is set, else Rasa's in-memory lock store.

    Rasa makes a custom lock store by calling the class named in ``endpoints.yml``; this one returns the
    store the environment chooses.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        url = os.environ.get("REDIS_URL", "").strip()
        if not url:
            return InMemoryLockStore()
        prefix = os.environ.get("REDIS_LOCK_PREFIX", "").strip() or "lock"
        return AtomicRedisLockStore(url, key_prefix=prefix)
