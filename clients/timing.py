"""Time as the vendor clients and their polls see it: a monotonic clock for budgets and deadlines,
the wall clock for vendors' reset times (epoch seconds, HTTP dates), and sleep.

Everything that waits takes a ``Clock``; ``DEFAULT`` is the system's, and tests put a virtual
one in its place so an hour of rate limits and outages runs in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


SYSTEM = Clock()
# Read at call time (never bound as a default argument), so a test can swap it for a virtual clock.
DEFAULT = SYSTEM


def default() -> Clock:
    return DEFAULT
