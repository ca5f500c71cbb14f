"""Per-client rate limits: a token bucket per (client, bucket name), bounded in memory."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kb.errors import UsageError

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
    ) -> None:
        self.rates = rates
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, bucket: str, client: str, cost: float = 1.0) -> float:
        """Take `cost` tokens for `client`; return 0.0 when allowed, else seconds until allowed."""
        rate = self.rates.get(bucket)
        if rate is None or rate.unlimited:
            return 0.0
        now = self.clock()
        key = (bucket, client)
        with self._lock:
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
