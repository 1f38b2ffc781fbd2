"""A generator run in a Python thread of its own, its items handed over through a queue.

DuckDB pulls an Arrow stream from its own (non-Python) threads, giving each pull a
fresh Python thread state: per-thread state of the libraries that produce the items
(pyproj's PROJ context, GDAL's error handler, an open GDAL dataset) would not survive
from one pull to the next.  ``in_own_thread`` keeps the whole production in one Python
thread, a few items ahead of the consumer; the producer's error is raised to the
consumer, and a consumer that stops early stops the producer (its generator is closed
in its own thread).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

T = TypeVar("T")
_POLL = 0.1  # seconds between checks that the consumer still wants items


def in_own_thread(
    make: Callable[[], Generator[T, None, None]], depth: int = 2, name: str = "landclean-reader"
) -> Iterator[T]:
    """The items of ``make()``, produced in a new thread at most ``depth`` ahead."""
    box: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                box.put((kind, value), timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            items = make()
            try:
                for item in items:
                    if not put("item", item):
                        return
            finally:
                items.close()
            put("end", None)
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "item":
                yield value  # type: ignore[misc]
            elif kind == "end":
                return
            else:
                assert isinstance(value, BaseException)
                raise value
    finally:
        stop.set()
        thread.join()
