"""Media migration (services/media_migration.py) copies what rows name, including the original audio
a redacted recording keeps."""

from __future__ import annotations

from pathlib import Path

from callvault.domain.records import Recording
from callvault.domain.timefmt import utcnow
from callvault.media.files import FileBlobStore
from callvault.services.media_migration import migrate_media
from callvault.store import recordings_repo
from callvault.store.database import MetadataStore


def test_a_redacted_recordings_kept_original_is_migrated_too(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.upgrade_schema()
    source, target = FileBlobStore(tmp_path / "old"), FileBlobStore(tmp_path / "new")
    redacted = source.write(source.new_key(".wav"), [b"RIFF redacted"])
    original = source.write(source.new_key(".wav"), [b"RIFF original"])
    recording = Recording(
        recording_id="r-1",
        account_id="1",
        call_id="c-1",
        channels=1,
        start_time=utcnow(),
        duration_seconds=1.0,
        file_format="wav",
        status="complete",
        created_at=utcnow(),
        media_key=redacted.key,
        media_size=redacted.size,
        media_sha256=redacted.sha256,
        original_media_key=original.key,
        original_media_size=original.size,
        original_media_sha256=original.sha256,
    )
    with store.write() as conn:
        recordings_repo.insert_recording(conn, recording)
    report = migrate_media(store, source, target, source_url=str(source.root), target_url=str(target.root))
    assert report.copied == 2
    assert b"".join(target.open(original.key)) == b"RIFF original"
    assert b"".join(target.open(redacted.key)) == b"RIFF redacted"
    store.dispose()
