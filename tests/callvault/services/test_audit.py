"""The access log's writer and its chain (services/audit.py, services/access_log.py) on a real SQLite
file and a real PostgreSQL database: nothing queued is lost on close, several writers on one database
make one chain, and `verify` finds an edited, removed, reordered or truncated entry and a forged anchor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from callvault.domain.audit import GENESIS_HASH, AccessEntry, ActorKind, entry_hash
from callvault.domain.timefmt import utcnow
from callvault.services import access_log
from callvault.services.audit import AuditLog, record
from callvault.services.audit_signing import AnchorSigner
from callvault.store import audit_repo
from callvault.store.audit_repo import EntryFilter
from callvault.store.database import MetadataStore
from support import postgres
from support.needs import unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'callvault.sqlite3'}"
        made = MetadataStore(url)
        made.upgrade_schema()
        yield made
        made.dispose()
        return
    if postgres.server_url() is None:
        unavailable(postgres.why_not())
    with postgres.fresh_database() as url:
        made = MetadataStore(url)
        made.upgrade_schema()
        yield made
        made.dispose()


def _entry(n: int, account: str = "9900000") -> AccessEntry:
    return AccessEntry(
        at=utcnow(),
        actor=f"user-{n % 3}",
        actor_kind=ActorKind.USER,
        action="download",
        result="206",
        account_id=account,
        address="127.0.0.1",
        recording_id=f"r-{n % 5}",
        call_id="c-1",
        detail={"range": f"bytes={n}-", "path": "/accounts/9900000/calls/c-1/recordings/r/media"},
    )


def _log(store: MetadataStore, tmp_path: Path, **kwargs: object) -> AuditLog:
    return AuditLog(store, AnchorSigner(tmp_path / "audit-signing.key"), **kwargs)  # type: ignore[arg-type]


def _verify(store: MetadataStore, tmp_path: Path) -> access_log.ChainReport:
    return access_log.verify(store, tmp_path / "audit-signing.key")


def _filled(store: MetadataStore, tmp_path: Path, count: int = 20) -> access_log.ChainReport:
    audit = _log(store, tmp_path)
    for n in range(count):
        audit.record(_entry(n))
    audit.close()
    report = _verify(store, tmp_path)
    assert report.ok, report.problems
    assert (report.entries, report.anchors) == (count, 1)
    return report


def test_close_writes_every_queued_entry_and_signs_the_head(store: MetadataStore, tmp_path: Path) -> None:
    audit = _log(store, tmp_path)
    for n in range(3000):
        audit.record(_entry(n))
    audit.close()

    report = _verify(store, tmp_path)
    assert report.ok, report.problems
    assert (report.entries, report.anchors, report.last_seq) == (3000, 1, 3000)
    assert (tmp_path / "audit-signing.key").stat().st_mode & 0o777 == 0o600


def test_a_full_queue_makes_recorders_wait_and_loses_nothing(store: MetadataStore, tmp_path: Path) -> None:
    """With room for 3 entries, four threads recording 150 each keep meeting a full queue."""
    audit = _log(store, tmp_path, queue_size=3)

    def feed(offset: int) -> None:
        for n in range(150):
            audit.record(_entry(offset + n))

    threads = [threading.Thread(target=feed, args=(1000 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    audit.close()

    report = _verify(store, tmp_path)
    assert report.ok, report.problems
    assert report.entries == 600


def test_an_entry_after_a_quiet_spell_is_written_without_waiting_for_close(
    store: MetadataStore, tmp_path: Path
) -> None:
    audit = _log(store, tmp_path)
    try:
        for n in range(2):
            audit.record(_entry(n))
            written = audit.written
            for _ in range(200):  # 10 s at most; the writer's linger is 0.05 s
                if audit.written > written:
                    break
                time.sleep(0.05)
            assert audit.written == n + 1
    finally:
        audit.close()


def test_several_writers_on_one_database_make_one_chain(store: MetadataStore, tmp_path: Path) -> None:
    """Each writer has its own engine (as each process would) and is fed by several threads."""
    writers = [_log(MetadataStore(store.url), tmp_path, anchor_seconds=0.05) for _ in range(3)]

    def feed(audit: AuditLog, offset: int) -> None:
        for n in range(300):
            audit.record(_entry(offset + n))

    threads = [
        threading.Thread(target=feed, args=(audit, 1000 * i + 100 * j))
        for i, audit in enumerate(writers)
        for j in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for audit in writers:
        audit.close()

    report = _verify(store, tmp_path)
    assert report.ok, report.problems
    assert report.entries == 3 * 2 * 300
    assert report.anchors >= 1


def test_the_one_call_api_for_other_features(store: MetadataStore, tmp_path: Path) -> None:
    audit = _log(store, tmp_path)
    record(audit, actor="alice", action="hold", account_id="9900000", recording_id="r-9", reason="lawsuit 12")
    audit.close()

    (found,) = access_log.find(store, EntryFilter(account_id="9900000")).entries
    assert (found.entry.actor, found.entry.action, found.entry.detail) == (
        "alice",
        "hold",
        {"reason": "lawsuit 12"},
    )


def test_text_the_database_cannot_hold_is_kept_readable(store: MetadataStore, tmp_path: Path) -> None:
    audit = _log(store, tmp_path)
    record(audit, actor="eve\x00" + "x" * 500, action="sign-in-failed", address="::1", path="/a\x00b")
    audit.close()

    (found,) = access_log.find(store, EntryFilter()).entries
    assert found.entry.actor.startswith("eve\ufffd") and len(found.entry.actor) == 128
    assert found.entry.detail == {"path": "/a\ufffdb"}
    assert _verify(store, tmp_path).ok


def _execute(store: MetadataStore, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_an_edited_entry_fails_verification(store: MetadataStore, tmp_path: Path) -> None:
    _filled(store, tmp_path)
    _execute(store, "UPDATE access_log SET actor = 'nobody' WHERE seq = 7")

    report = _verify(store, tmp_path)
    assert not report.ok
    assert any("entry 7 was altered" in problem for problem in report.problems), report.problems


def test_a_removed_entry_fails_verification(store: MetadataStore, tmp_path: Path) -> None:
    _filled(store, tmp_path)
    _execute(store, "DELETE FROM access_log WHERE seq = 5")

    assert "entries 5..5 are missing (removed)" in _verify(store, tmp_path).problems


def test_reordered_entries_fail_verification(store: MetadataStore, tmp_path: Path) -> None:
    """Swap two entries' positions (seq), each keeping its own hashes."""
    _filled(store, tmp_path)
    _execute(
        store,
        "UPDATE access_log SET seq = -1 WHERE seq = 3",
        "UPDATE access_log SET seq = 3 WHERE seq = 4",
        "UPDATE access_log SET seq = 4 WHERE seq = -1",
    )

    problems = _verify(store, tmp_path).problems
    assert any("entry 3 does not follow entry 2" in problem for problem in problems), problems


def test_entries_removed_from_the_end_fail_verification(store: MetadataStore, tmp_path: Path) -> None:
    _filled(store, tmp_path)
    _execute(store, "DELETE FROM access_log WHERE seq > 17")

    problems = _verify(store, tmp_path).problems
    assert any("the chain's head names entry 20 but the log ends at entry 17" in p for p in problems), (
        problems
    )
    assert any("entry 20 was signed at" in p for p in problems), problems


def test_a_rewritten_chain_is_caught_by_its_signed_anchor(store: MetadataStore, tmp_path: Path) -> None:
    """Whoever can write the database recomputes every hash after an edit, and the head: only the
    signature of the head, made with a key that is not in the database, shows it."""
    _filled(store, tmp_path)
    with store.read() as conn:
        entries = list(audit_repo.all_entries(conn, up_to=20))
    prev = GENESIS_HASH
    with store.engine.begin() as conn:
        for stored in entries:
            entry = stored.entry._replace(actor="nobody") if stored.seq == 2 else stored.entry
            digest = entry_hash(stored.seq, entry, prev)
            conn.execute(
                text(
                    "UPDATE access_log SET actor = :actor, prev_hash = :prev, entry_hash = :h WHERE seq = :s"
                ),
                {"actor": entry.actor, "prev": prev, "h": digest, "s": stored.seq},
            )
            prev = digest
        conn.execute(text("UPDATE access_log_head SET entry_hash = :h"), {"h": prev})

    problems = _verify(store, tmp_path).problems
    assert len(problems) == 1 and problems[0].startswith("entry 20 differs from the one signed at"), problems


def test_a_forged_anchor_fails_verification(store: MetadataStore, tmp_path: Path) -> None:
    _filled(store, tmp_path)
    _execute(store, "UPDATE access_log_anchors SET signature = 'AAAA' || substr(signature, 5)")

    problems = _verify(store, tmp_path).problems
    assert any("the signature does not match" in problem for problem in problems), problems


def test_an_anchor_of_an_unknown_key_is_reported(store: MetadataStore, tmp_path: Path) -> None:
    _filled(store, tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()

    problems = access_log.verify(store, other / "audit-signing.key").problems
    assert any("not trusted" in problem for problem in problems), problems
