"""The atomic Redis lock store (bot/lock_store.py) against a real Redis server: one conversation's
messages are handled one at a time and in ticket order, even when two replicas take tickets at the same
moment; a replica that dies holding a lock delays the conversation by one lease, not for ever; and Redis
being down never leaves a message unanswered."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from bot.lock_store import AtomicRedisLockStore, LockStoreFromEnvironment
from tests.servers import free_port


def conversation() -> str:
    return f"conversation-{uuid.uuid4().hex}"


class CriticalSection:
    """What the lock must protect: records who is inside, and in which ticket order they came in."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.inside = 0
        self.overlaps = 0
        self.served: list[int] = []

    def enter(self, ticket: int) -> None:
        with self.guard:
            self.inside += 1
            self.overlaps += self.inside > 1
            self.served.append(ticket)

    def leave(self) -> None:
        with self.guard:
            self.inside -= 1


def replica(url: str, conversation_id: str, section: CriticalSection, messages: int, errors: list) -> None:
    """One replica: its own event loop and its own connections to Redis, handling ``messages`` messages of
    the conversation at once, as a Rasa server does when they arrive together."""

    async def one(store: AtomicRedisLockStore) -> None:
        async with store.lock(conversation_id) as lock:
            section.enter(lock.tickets[0].number)
            for _ in range(3):  # the turn's awaits: the tracker store, the policies, the action server
                await asyncio.sleep(0.001)
            section.leave()

    async def run() -> None:
        store = AtomicRedisLockStore(url)
        results = await asyncio.gather(*(one(store) for _ in range(messages)), return_exceptions=True)
        errors.extend(r for r in results if isinstance(r, BaseException))
        await store.red.close()

    try:
        asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - reported by the test, not lost in the thread
        errors.append(error)


def test_two_replicas_hammering_one_conversation_take_turns_in_ticket_order(redis_server):
    conversation_id = conversation()
    section = CriticalSection()
    errors: list = []
    replicas = [
        threading.Thread(target=replica, args=(redis_server.url, conversation_id, section, 60, errors))
        for _ in range(2)
    ]
    for thread in replicas:
        thread.start()
    for thread in replicas:
        thread.join(timeout=120)
    assert not errors
    assert section.overlaps == 0
    assert len(section.served) == 120 and len(set(section.served)) == 120, "every ticket once"
    assert section.served == sorted(section.served), "served in the order the tickets were issued"
    # The last one out leaves nothing behind.
    assert not redis.Redis.from_url(redis_server.url).keys(f"lock:{conversation_id}*")


def test_rasas_own_redis_lock_store_gives_two_replicas_the_same_ticket(redis_server):
    """The trap this store exists for, made deterministic: two replicas read the queue before either
    writes it back, so both hold ticket 0 and both are 'served' at once."""
    conversation_id = conversation()
    a = RedisLockStore(host="127.0.0.1", port=redis_server.port, db=0)
    b = RedisLockStore(host="127.0.0.1", port=redis_server.port, db=0)
    read_by_a = a.get_or_create_lock(conversation_id)
    read_by_b = b.get_or_create_lock(conversation_id)
    ticket_a = read_by_a.issue_ticket(60)
    a.save_lock(read_by_a)
    ticket_b = read_by_b.issue_ticket(60)
    b.save_lock(read_by_b)
    assert ticket_a == ticket_b
    lock = a.get_lock(conversation_id)
    assert not lock.is_locked(ticket_a) and not lock.is_locked(ticket_b), "both go ahead together"
    a.delete_lock(conversation_id)


def test_a_message_waits_while_the_lock_is_held_and_renewed(redis_server):
    conversation_id = conversation()
    order: list[str] = []

    async def run() -> None:
        holder = AtomicRedisLockStore(redis_server.url, lease_seconds=0.3)
        other = AtomicRedisLockStore(redis_server.url, lease_seconds=0.3)

        async def long_turn() -> None:
            async with holder.lock(conversation_id):
                order.append("first in")
                await asyncio.sleep(1.2)  # four leases: the holder keeps renewing
                order.append("first out")

        async def next_turn() -> None:
            await asyncio.sleep(0.05)
            async with other.lock(conversation_id):
                order.append("second in")

        await asyncio.gather(long_turn(), next_turn())

    asyncio.run(run())
    assert order == ["first in", "first out", "second in"]


def test_a_replica_that_died_holding_the_lock_delays_the_conversation_by_one_lease(redis_server):
    conversation_id = conversation()

    async def run() -> bool:
        dead = AtomicRedisLockStore(redis_server.url, lease_seconds=0.5)
        # Took its ticket and then died: nobody renews it or gives it back.
        await dead._issue(keys=dead._keys(conversation_id), args=[dead.lease_ms])
        alive = AtomicRedisLockStore(redis_server.url, lease_seconds=0.5)
        async with alive.lock(conversation_id):
            return True

    assert asyncio.run(asyncio.wait_for(run(), timeout=30))


def test_without_redis_messages_are_still_answered_one_at_a_time_per_replica():
    conversation_id = conversation()
    section = CriticalSection()

    async def run() -> None:
        store = AtomicRedisLockStore(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)

        async def one(n: int) -> None:
            async with store.lock(conversation_id, wait_time_in_seconds=0.01):
                section.enter(n)
                await asyncio.sleep(0.005)
                section.leave()

        await asyncio.gather(*(one(n) for n in range(5)))

    asyncio.run(run())
    assert len(section.served) == 5 and section.overlaps == 0


def test_the_environment_chooses_the_lock_store(monkeypatch, redis_server):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(LockStoreFromEnvironment(None), InMemoryLockStore)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("REDIS_LOCK_PREFIX", "westminster")
    store = LockStoreFromEnvironment(None)
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix == "westminster:"


def test_rasa_builds_it_from_endpoints_yml(monkeypatch, redis_server):
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import read_endpoint_config

    from tests.conftest import ROOT

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    store = LockStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store"))
    assert isinstance(store, AtomicRedisLockStore)


@pytest.mark.parametrize("method", ["get_lock", "delete_lock"])
def test_the_non_atomic_api_is_refused(redis_server, method):
    store = AtomicRedisLockStore(redis_server.url)
    with pytest.raises(NotImplementedError):
        getattr(store, method)("x")
