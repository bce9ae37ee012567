"""`callvault search`: the transcripts of an account, searched from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from callvault.domain.records import Recording, TranscriptionRequest
from callvault.store import recordings_repo
from callvault.store.database import MetadataStore

WHEN = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
REQUEST = TranscriptionRequest(base_url="http://127.0.0.1")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", *args], capture_output=True, text=True, timeout=180
    )


def _transcribed(store: MetadataStore, name: str, account: str, text: str) -> None:
    with store.write() as conn:
        recordings_repo.insert_recording(
            conn,
            Recording(
                recording_id=f"r-{name}",
                account_id=account,
                call_id=f"c-{name}",
                channels=1,
                start_time=WHEN,
                duration_seconds=12.0,
                file_format="wav",
                status="complete",
                created_at=WHEN,
                from_number="+15550001111",
                to_number="+15550002222",
            ),
        )
        recordings_repo.put_transcription_request(conn, account, f"r-{name}", f"t-{name}", REQUEST, WHEN)
        recordings_repo.finish_transcription(
            conn,
            f"t-{name}",
            status="available",
            completed_time=WHEN,
            language="en",
            error=None,
            result={
                "clips": [
                    {
                        "speaker": 0,
                        "start": 0.0,
                        "end": 4.0,
                        "text": "Hello, thanks for calling.",
                        "confidence": 1,
                    },
                    {"speaker": 0, "start": 65.5, "end": 70.0, "text": text, "confidence": 1},
                ]
            },
        )


def test_search_prints_the_best_matches_as_a_table_or_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = MetadataStore(f"sqlite:///{data / 'callvault.sqlite3'}")
    store.upgrade_schema()
    _transcribed(store, "refund", "9900000", "I would like a refund for the broken phone.")
    _transcribed(store, "elsewhere", "9900001", "A refund, please.")
    _transcribed(store, "other", "9900000", "Where is my parcel?")
    store.dispose()

    table = _cli("search", "refunds", "--account", "9900000", "--data-dir", str(data))
    assert table.returncode == 0, table.stderr
    assert "r-refund" in table.stdout and "1:05" in table.stdout and "refund" in table.stdout
    assert "r-elsewhere" not in table.stdout and "r-other" not in table.stdout

    as_json = _cli("search", "refund", "--account", "9900000", "--json", "--data-dir", str(data))
    [line] = as_json.stdout.splitlines()
    found = json.loads(line)
    assert found["recordingId"] == "r-refund" and found["clipStartTime"] == 65.5 and found["channel"] == 1

    none = _cli("search", "weasels", "--account", "9900000", "--data-dir", str(data))
    assert none.returncode == 0 and "No transcript" in none.stdout
    bad = _cli("search", '""', "--account", "9900000", "--data-dir", str(data))
    assert bad.returncode == 1 and "at least one word" in bad.stderr
