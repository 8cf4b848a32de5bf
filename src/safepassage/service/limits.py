"""Sign-in rate limits: per account and per client address, with a delay that grows with every failure.

After ``free_failures`` failed sign-ins for an account (or ``free_failures * address_factor`` from one
client address), the next attempt must wait ``2 ** (failures - free_failures)`` seconds, capped at
``max_delay_s``; an attempt made earlier gets 429 with ``Retry-After`` without any password being
hashed or the database being touched. A successful sign-in clears the account's count (not the
address's). Counts live in memory, per instance, and are forgotten after ``max_delay_s`` of quiet.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["SignInLimiter"]


@dataclass
class _Record:
    failures: int = 0
    not_before: float = 0.0
    last: float = 0.0


class SignInLimiter:
    """Thread-safe failure counts keyed by ``("account", name)`` and ``("address", ip)``."""

    def __init__(self, free_failures: int = 5, max_delay_s: float = 900.0, address_factor: int = 4, max_keys: int = 100_000) -> None:
        self.free_failures, self.max_delay_s, self.address_factor, self.max_keys = free_failures, max_delay_s, address_factor, max_keys
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        self._lock = threading.Lock()
        self._now = time.monotonic

    def _keys(self, account: str, address: str) -> list[tuple[tuple[str, str], int]]:
        return [(("account", account.strip().lower()[:100]), self.free_failures), (("address", address), self.free_failures * self.address_factor)]

    def retry_after(self, account: str, address: str) -> int:
        """Seconds to wait before this attempt may be made (0: go ahead)."""
        now = self._now()
        with self._lock:
            waits = [record.not_before - now for key, _free in self._keys(account, address) if (record := self._records.get(key))]
        wait = max(waits, default=0.0)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, account: str, address: str) -> None:
        now = self._now()
        with self._lock:
            for key, free in self._keys(account, address):
                record = self._records.pop(key, None) or _Record()
                if now - record.last > self.max_delay_s:
                    record = _Record()
                record.failures += 1
                record.last = now
                if record.failures >= free:
                    record.not_before = now + min(self.max_delay_s, 2.0 ** (record.failures - free))
                self._records[key] = record  # most recent last
            while len(self._records) > self.max_keys:
                self._records.popitem(last=False)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._records.pop(("account", account.strip().lower()[:100]), None)
