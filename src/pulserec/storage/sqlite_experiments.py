"""The experiment side of :class:`~pulserec.storage.sqlite.SqliteStore`: its secrets, the
experiments, the impressions they served and the events that followed them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pulserec.core.types import Event, ExperimentRecord, Impression
from pulserec.storage import rows as convert
from pulserec.storage import sqlite_schema as sql
from pulserec.storage import sqlite_tombstones as tombstones
from pulserec.storage.base import Admit
from pulserec.storage.changelog import EXPERIMENT, IMPRESSIONS
from pulserec.storage.sqlite_core import SqliteCore


class SqliteExperiments(SqliteCore):
    """Secrets, experiments and impressions, each write one logged transaction."""

    def secret(self, name: str) -> bytes:
        key = f"secret:{name}"
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, secrets.token_bytes(32).hex())
            )
            (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return bytes.fromhex(value)

    def experiments(self) -> list[ExperimentRecord]:
        rows = self._reader().execute(sql.EXPERIMENTS).fetchall()
        return [convert.experiment_from_row(r) for r in rows]

    def create_experiment(self, record: ExperimentRecord, admit: Admit) -> ExperimentRecord | None:
        with self._transaction() as conn:
            stored = [convert.experiment_from_row(r) for r in conn.execute(sql.EXPERIMENTS)]
            if any(e.id == record.id for e in stored):
                return None
            admitted = admit(stored)
            conn.execute(sql.INSERT_EXPERIMENT, convert.experiment_row(admitted))
            self._log(conn, EXPERIMENT, {"id": admitted.id})
        return admitted

    def stop_experiment(self, experiment_id: str, at: float) -> ExperimentRecord | None:
        with self._transaction() as conn:
            if conn.execute(sql.STOP_EXPERIMENT, (at, experiment_id)).rowcount:
                self._log(conn, EXPERIMENT, {"id": experiment_id})
            row = conn.execute(sql.EXPERIMENT, (experiment_id,)).fetchone()
        return convert.experiment_from_row(row) if row else None

    def append_impressions(self, impressions: Sequence[Impression]) -> None:
        if not impressions:
            return
        with self._transaction() as conn:
            dead = tombstones.dead(conn, self._tomb_key, [i.user_id for i in impressions])
            kept = [convert.impression_row(i) for i in impressions if i.user_id not in dead]
            before = conn.total_changes
            conn.executemany(sql.INSERT_IMPRESSION, kept)
            if conn.total_changes > before:
                self._log(conn, IMPRESSIONS, {"count": conn.total_changes - before})

    def impressions(self, experiment_id: str) -> list[Impression]:
        rows = self._reader().execute(sql.IMPRESSIONS_OF, (experiment_id,)).fetchall()
        return [convert.impression_from_row(r) for r in rows]

    def user_impressions(self, user_id: str) -> list[Impression]:
        rows = self._reader().execute(sql.USER_IMPRESSIONS, (user_id,)).fetchall()
        return [convert.impression_from_row(r) for r in rows]

    def experiment_events(self, experiment_id: str, since: float) -> list[Event]:
        rows = self._reader().execute(sql.EXPERIMENT_EVENTS, (experiment_id, since)).fetchall()
        return [convert.event_from_row(r) for r in rows]
