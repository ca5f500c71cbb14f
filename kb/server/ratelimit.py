"""Per-client rate limits: a token bucket per (client, bucket name), bounded in memory.

One server process keeps its buckets in a dict; the worker processes of `kb serve --workers N`
share theirs through a small memory-mapped file (SharedBuckets), so a client gets the same limit
whichever worker answers it.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import mmap
import os
import re
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb.core import fs
from kb.core.errors import UsageError

RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$", re.I)
UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
UNITS |= {"h": 3600.0, "hour": 3600.0}


@dataclass(frozen=True)
class Rate:
    """`per_second` tokens flow into a bucket holding at most `burst`; 0 means unlimited."""

    per_second: float
    burst: float

    @property
    def unlimited(self) -> bool:
        """True when this rate never limits."""
        return self.per_second <= 0

    def __str__(self) -> str:
        return "off" if self.unlimited else f"{self.per_second:g}/s (burst {self.burst:g})"


def parse_rate(text: str, burst: float | None = None) -> Rate:
    """Parse "10/s", "600/min", "off" or "0" into a Rate; UsageError naming the format otherwise."""
    if text.strip().lower() in ("off", "0", "none", "unlimited"):
        return Rate(0.0, 0.0)
    m = RATE.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"rate limit {text!r}: expected a rate such as 10/s or 600/min, or off")
    per_second = float(m.group(1)) / UNITS[m.group(2).lower()]
    return Rate(per_second, burst if burst is not None else max(1.0, per_second * 3))


class RateLimiter:
    """Token buckets keyed by client; `check` answers 0 (allowed) or the seconds to wait."""

    def __init__(
        self,
        rates: dict[str, Rate],
        *,
        max_clients: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedBuckets | None = None,
    ) -> None:
        self.rates = rates
        self.max_clients = max_clients
        self.clock = clock
        self.shared = shared  # buckets shared with other processes (None: this process's own)
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, bucket: str, client: str, cost: float = 1.0, *, peek: bool = False) -> float:
        """Take `cost` tokens for `client`; return 0.0 when allowed, else seconds until allowed.

        With `peek`, only say whether `cost` tokens are there; take nothing.
        """
        rate = self.rates.get(bucket)
        if rate is None or rate.unlimited:
            return 0.0
        now = self.clock()
        if self.shared is not None:
            with self._lock:  # flock does not exclude threads of one process
                return self.shared.take(f"{bucket}\x00{client}", rate, cost, now, peek=peek)
        key = (bucket, client)
        with self._lock:
            if peek:
                tokens, last = self._buckets.get(key, (rate.burst, now))
                tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
                return 0.0 if tokens >= cost else (cost - tokens) / rate.per_second
            tokens, last = self._buckets.pop(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (cost - tokens) / rate.per_second
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # the least recently seen client
        return wait

    def retry_after(self, wait: float) -> int:
        """Whole seconds for a Retry-After header."""
        return max(1, math.ceil(wait))


class SharedBuckets:
    """Token buckets in a memory-mapped file that several processes update under a file lock.

    The file is a table of slots (key hash, tokens, time of last update), 4-way set-associative:
    a key lives in one of 4 slots picked by its hash; a new key takes the least recently used of
    them. Times are time.monotonic(), which all processes of the machine share.
    """

    SLOT = struct.Struct("<Qdd")
    WAYS = 4

    def __init__(self, path: Path, slots: int = 1 << 16) -> None:
        self.path = path
        self.slots = max(self.WAYS, slots - slots % self.WAYS)
        size = self.slots * self.SLOT.size
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size != size:
                with fs.holding(fd):
                    if os.fstat(fd).st_size != size:
                        os.ftruncate(fd, size)  # new slots are zero: empty
            self._map = mmap.mmap(fd, size)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    @staticmethod
    def create(path: Path, slots: int = 1 << 16) -> SharedBuckets:
        """Make a fresh (empty) table at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return SharedBuckets(path, slots)

    def take(self, key: str, rate: Rate, cost: float, now: float, *, peek: bool = False) -> float:
        """Take `cost` tokens from `key`'s bucket; 0.0 when allowed, else seconds to wait.

        With `peek`, only look: nothing is taken and the table is not written.
        """
        h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1
        first = (h % (self.slots // self.WAYS)) * self.WAYS
        size = self.SLOT.size
        with fs.holding(self._fd):
            chosen, tokens, last = -1, rate.burst, now
            oldest, oldest_at = first, math.inf
            for i in range(first, first + self.WAYS):
                slot_key, slot_tokens, slot_last = self.SLOT.unpack_from(self._map, i * size)
                if slot_key == h:
                    chosen, tokens, last = i, slot_tokens, min(slot_last, now)
                    break
                at = slot_last if slot_key else -math.inf  # empty slots first
                if at < oldest_at:
                    oldest, oldest_at = i, at
            if chosen < 0:
                chosen = oldest
            tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
            if tokens >= cost:
                tokens -= cost
                wait = 0.0
            else:
                wait = (cost - tokens) / rate.per_second
            if peek:
                return wait
            self.SLOT.pack_into(self._map, chosen * size, h, tokens, now)
        return wait

    def close(self) -> None:
        """Unmap the table."""
        self._map.close()
        os.close(self._fd)
