"""Group commit for writes: one thread per service instance runs the writes waiting in its queue in
one transaction, each in its own savepoint, and commits them together.

Why: every write appends to the audit hash chain, so writes are serialised on the chain's head (a
row lock on PostgreSQL, the database lock on SQLite) until their commit. One commit per write would
cap throughput at one fsync per write and let request threads that hold the lock wait for the GIL.
Batching keeps every guarantee — each write and its audit entry commit atomically, in chain order,
before its client hears 2xx — and pays one fsync per batch.

A write that fails (an HTTP error, a lost race on a unique key) rolls back its savepoint only; the
others in the batch commit. If the commit itself fails, every write of the batch gets the error.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from safepassage.service.audit import HEAD_KEY, AuditLog, lock_head
from safepassage.service.db import Database
from safepassage.service.models import IdempotencyRecord

__all__ = ["WriteBatcher", "IDEMPOTENCY_KEY", "KNOWN_KEY", "assign_id"]

IDEMPOTENCY_KEY = "safepassage.idempotency"
KNOWN_KEY = "safepassage.known"
IDS_KEY = "safepassage.ids"


class IdAllocator:
    """Primary keys for new rows, reserved from the PostgreSQL sequence one batch at a time, so a
    write need not flush (one round trip) just to learn its id; the batch's rows are then inserted
    together. Gaps from unused ids are harmless."""

    def __init__(self, session: Session, size: int) -> None:
        self._session, self._size = session, size
        self._free: dict[str, list[int]] = {}

    def next(self, table: str) -> int:
        free = self._free.setdefault(table, [])
        if not free:
            with self._session.no_autoflush:  # the row waiting for this id must not be flushed without it
                rows = self._session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": self._size})
                free.extend(sorted((r[0] for r in rows), reverse=True))
        return free.pop()


def assign_id(session: Session, row: Any, table: str) -> None:
    """Give ``row`` its primary key: from the batch's reserved ids on PostgreSQL, else by flushing."""
    allocator = session.info.get(IDS_KEY)
    if allocator is None:
        session.flush()
    else:
        row.id = allocator.next(table)

log = logging.getLogger(__name__)
T = TypeVar("T")


class WriteBatcher:
    """Runs ``job(session)`` callables in batches of at most ``max_batch`` per transaction."""

    def __init__(self, db: Database, audit: AuditLog, max_batch: int = 64) -> None:
        self._db = db
        self._audit = audit
        self._max_batch = max_batch
        self._queue: queue.Queue[tuple[Callable[[Session], Any], Future[Any], tuple[int, str] | None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        # Facts that never change once written (e.g. which party ids exist), shared by the batches.
        self.known: dict[str, set[Any]] = {"parties": set()}

    def submit(self, job: Callable[[Session], T], idempotency: tuple[int, str] | None = None) -> T:
        """Run ``job`` in the next batch and return its result once the batch has committed.

        ``idempotency`` (user id, key): the batch loads the stored answers of all its keys in one query
        into ``session.info[IDEMPOTENCY_KEY]`` for the jobs to look up."""
        return self.submit_nowait(job, idempotency).result()

    def submit_nowait(self, job: Callable[[Session], T], idempotency: tuple[int, str] | None = None) -> Future[T]:
        """Queue ``job``; the future resolves once its batch has committed."""
        if self._closed:
            raise RuntimeError("the service is shutting down")
        self._ensure_thread()
        future: Future[T] = Future()
        self._queue.put((job, future, idempotency))
        return future

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="safepassage-writes", daemon=True)
                    self._thread.start()

    def close(self) -> None:
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[Any] = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._run(batch)
                    return
                batch.append(item)
            self._run(batch)

    def _run(self, batch: list[Any]) -> None:
        # Optimistic first: no savepoints, one flush at the end (the audit entries and idempotency
        # records of the whole batch go in one INSERT each). If any write fails, that attempt is rolled
        # back whole and the batch runs again with one savepoint per write, so only the failing ones fail.
        try:
            results = self._attempt(batch, isolate=False)
        except _Abort:
            try:
                results = self._attempt(batch, isolate=True)
            except Exception as exc:  # noqa: BLE001  (the commit failed: nothing of the batch is written)
                results = [(future, None, exc) for _job, future, _key in batch]
        except Exception as exc:  # noqa: BLE001
            results = [(future, None, exc) for _job, future, _key in batch]
        for future, value, error in results:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    def _attempt(self, batch: list[Any], *, isolate: bool) -> list[tuple[Future[Any], Any, BaseException | None]]:
        results: list[tuple[Future[Any], Any, BaseException | None]] = []
        note = None
        with self._db.write_session() as session, session.begin():
            # The chain head is locked once, outside every savepoint, and kept in memory for the batch.
            session.info[HEAD_KEY] = lock_head(session)
            seq_before = session.info[HEAD_KEY]["seq"]
            session.info[KNOWN_KEY] = self.known
            if session.get_bind().dialect.name == "postgresql":
                session.info[IDS_KEY] = IdAllocator(session, len(batch))
            keys = [k for _job, _future, k in batch if k is not None]
            session.info[IDEMPOTENCY_KEY] = {
                (r.user_id, r.key): r
                for r in session.execute(select(IdempotencyRecord).where(tuple_(IdempotencyRecord.user_id, IdempotencyRecord.key).in_(keys))).scalars()
            } if keys else {}
            for job, future, _key in batch:
                if not isolate:
                    try:
                        results.append((future, job(session), None))
                    except Exception as exc:
                        raise _Abort from exc
                    continue
                head_before = dict(session.info[HEAD_KEY])
                try:
                    with session.begin_nested():
                        value = job(session)
                        session.flush()
                    results.append((future, value, None))
                except Exception as exc:  # noqa: BLE001  (handed to the request that sent the job)
                    session.info[HEAD_KEY] = head_before  # its audit entry was rolled back with it
                    results.append((future, None, exc))
            try:
                session.flush()
            except Exception as exc:
                if isolate:
                    raise
                raise _Abort from exc
            head = session.info.pop(HEAD_KEY)
            if head["seq"] != seq_before:  # one signed checkpoint per committed batch
                note = self._audit.store_head(session, head)
        self._audit.publish(note)  # committed: the answers about to be sent carry it
        return results


class _Abort(Exception):
    """A write of an optimistic batch failed: run the batch again, isolating each write."""
