"""Read ahead in a thread: a bulk job's Python parsing beside its SQL [the list upload, the INFORM load].

A file job spends its time in two places that can overlap: Python reads, checks and formats records (one core, the
GIL), and PostgreSQL stores and checks the previous batch (COPY and the set-based statements wait on the socket
without holding the GIL). :func:`read_ahead` runs a generator of batches in a producer thread and hands its items
to the caller's thread through a bounded queue (memory stays flat whatever the file size, with room for the
producer to parse a few batches ahead):

    with read_ahead(batches(reader), name="upload-1") as items:
        for item in items:
            cursor.copy_expert(..., io.StringIO(item.text))   # the next batch is being parsed meanwhile

The producer must touch no database connection (Django's connections are per thread: it would work outside the
job's transaction). An exception of the producer (a file refused whole, a limit) is raised in the caller's thread
where the next item would have come; leaving the block early (an error of the SQL side) stops the producer after
the batch it is making, and its generator is closed in its own thread (its files and ``with`` blocks end there).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
DEFAULT_DEPTH = 4


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _produce(source: Iterable, out: queue.Queue, stop: threading.Event) -> None:
    iterator = iter(source)
    try:
        for item in iterator:
            out.put(item)
            if stop.is_set():
                return
        out.put(_DONE)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        out.put(_Failure(exc))
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


def _consume(items: queue.Queue) -> Iterator:
    while True:
        item = items.get()
        if item is _DONE:
            return
        if isinstance(item, _Failure):
            raise item.exc
        yield item


@contextlib.contextmanager
def read_ahead(source: Iterable[T], *, depth: int = DEFAULT_DEPTH, name: str = "read-ahead") -> Iterator[Iterator[T]]:
    """The items of ``source``, made in a producer thread at most ``depth`` ahead of the caller (see the module)."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    producer = threading.Thread(target=_produce, args=(source, items, stop), name=name, daemon=True)
    producer.start()
    try:
        yield _consume(items)
    finally:
        stop.set()
        while producer.is_alive():  # unblock a producer waiting on a full queue, then let it finish
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.1)
        producer.join()
