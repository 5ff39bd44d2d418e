"""The job kit's read-ahead (omsportal.jobs.pipeline): items in order from a producer thread, bounded, its errors
raised in the caller, its generator closed in its own thread when the caller stops early."""

from __future__ import annotations

import threading

import pytest

from omsportal.jobs.pipeline import read_ahead


def test_the_items_come_in_order_from_another_thread():
    threads = []

    def source():
        for i in range(50):
            threads.append(threading.current_thread())
            yield i

    with read_ahead(source(), depth=2) as items:
        assert list(items) == list(range(50))
    assert set(threads) == {threads[0]} and threads[0] is not threading.current_thread()


def test_the_producer_runs_at_most_depth_items_ahead():
    made = []
    seen = []

    def source():
        for i in range(20):
            made.append(i)
            yield i

    with read_ahead(source(), depth=3) as items:
        for item in items:
            seen.append(item)
            if item == 5:
                break
    # Items put on the queue: at most depth beyond the ones taken, plus the one in the producer's hands.
    assert seen == [0, 1, 2, 3, 4, 5]
    assert len(made) <= len(seen) + 3 + 1


def test_an_error_of_the_producer_is_raised_in_the_caller_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("bad record")

    got = []
    with pytest.raises(ValueError, match="bad record"), read_ahead(source()) as items:
        for item in items:
            got.append(item)
    assert got == [1, 2]


def test_leaving_early_stops_the_producer_and_closes_its_generator():
    closed = threading.Event()

    def source():
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    with pytest.raises(RuntimeError), read_ahead(source(), depth=2) as items:
        for item in items:
            if item == 3:
                raise RuntimeError("the SQL side failed")
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
