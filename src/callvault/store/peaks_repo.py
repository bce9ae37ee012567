"""SQL for cached waveform peaks: one small row per recording, removed with the recording's media."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from callvault.domain.timefmt import utcnow
from callvault.domain.waveform import WaveformPeaks
from callvault.store.tables import waveform_peaks


def _peaks_of(account_id: str, recording_id: str) -> Any:
    return (waveform_peaks.c.account_id == account_id) & (waveform_peaks.c.recording_id == recording_id)


def get_peaks(conn: Connection, account_id: str, recording_id: str) -> WaveformPeaks | None:
    row = conn.execute(select(waveform_peaks).where(_peaks_of(account_id, recording_id))).first()
    if row is None:
        return None
    return WaveformPeaks.from_bytes(row.channels, row.peaks_per_channel, row.duration_seconds, row.peaks)


def put_peaks(conn: Connection, account_id: str, recording_id: str, peaks: WaveformPeaks) -> None:
    """Store the peaks unless another request stored them first (the same media gives the same peaks)."""
    if get_peaks(conn, account_id, recording_id) is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                insert(waveform_peaks).values(
                    account_id=account_id,
                    recording_id=recording_id,
                    channels=peaks.channels,
                    peaks_per_channel=peaks.peaks_per_channel,
                    duration_seconds=peaks.duration_seconds,
                    peaks=peaks.to_bytes(),
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        pass  # stored by a concurrent request in the meantime


def delete_peaks(conn: Connection, account_id: str, recording_id: str) -> None:
    conn.execute(delete(waveform_peaks).where(_peaks_of(account_id, recording_id)))
