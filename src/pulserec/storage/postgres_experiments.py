"""The experiment side of :class:`~pulserec.storage.postgres.PostgresStore`: its secrets, the
experiments, the impressions they served and the events that followed them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pulserec.core.types import Event, ExperimentRecord, Impression
from pulserec.storage import postgres_schema as sql
from pulserec.storage import postgres_tombstones as tombstones
from pulserec.storage import rows as convert
from pulserec.storage.base import Admit
from pulserec.storage.changelog import EXPERIMENT, IMPRESSIONS
from pulserec.storage.postgres_core import PostgresCore


class PostgresExperiments(PostgresCore):
    """Secrets, experiments and impressions, each write one logged transaction."""

    # -- experiments ----------------------------------------------------------------------------
    def secret(self, name: str) -> bytes:
        key = f"secret:{name}"
        with self._transaction() as write:
            write.cursor.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                (key, secrets.token_bytes(32).hex()),
            )
            row = write.cursor.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        assert row is not None  # inserted above or by another process
        return bytes.fromhex(str(row[0]))

    def experiments(self) -> list[ExperimentRecord]:
        return [convert.experiment_from_row(r) for r in self._rows(sql.EXPERIMENTS)]

    def create_experiment(self, record: ExperimentRecord, admit: Admit) -> ExperimentRecord | None:
        with self._transaction() as write:
            rows = write.cursor.execute(sql.EXPERIMENTS).fetchall()
            stored = [convert.experiment_from_row(r) for r in rows]
            if any(e.id == record.id for e in stored):
                return None
            admitted = admit(stored)
            write.cursor.execute(sql.INSERT_EXPERIMENT, convert.experiment_row(admitted))
            self._log(write, EXPERIMENT, {"id": admitted.id})
        return admitted

    def stop_experiment(self, experiment_id: str, at: float) -> ExperimentRecord | None:
        with self._transaction() as write:
            write.cursor.execute(sql.STOP_EXPERIMENT, (at, experiment_id))
            if write.cursor.rowcount:
                self._log(write, EXPERIMENT, {"id": experiment_id})
            row = write.cursor.execute(sql.EXPERIMENT, (experiment_id,)).fetchone()
        return convert.experiment_from_row(row) if row else None

    def append_impressions(self, impressions: Sequence[Impression]) -> None:
        if not impressions:
            return
        names = ("id", "experiment", "variant", "user_id", "timestamp", "items", "teams", "took_ms")
        with self._transaction() as write:
            dead = tombstones.dead(write.cursor, self._tomb_key, [i.user_id for i in impressions])
            kept = [convert.impression_row(i) for i in impressions if i.user_id not in dead]
            if not kept:
                return
            columns = list(zip(*kept, strict=True))
            write.cursor.execute(
                sql.INSERT_IMPRESSIONS, dict(zip(names, map(list, columns), strict=True))
            )
            if write.cursor.rowcount:
                self._log(write, IMPRESSIONS, {"count": write.cursor.rowcount})

    def impressions(self, experiment_id: str) -> list[Impression]:
        rows = self._rows(sql.IMPRESSIONS_OF, (experiment_id,))
        return [convert.impression_from_row(r) for r in rows]

    def user_impressions(self, user_id: str) -> list[Impression]:
        rows = self._rows(sql.USER_IMPRESSIONS, (user_id,))
        return [convert.impression_from_row(r) for r in rows]

    def experiment_events(self, experiment_id: str, since: float) -> list[Event]:
        rows = self._rows(sql.EXPERIMENT_EVENTS, (experiment_id, since))
        return [convert.event_from_row(r) for r in rows]
