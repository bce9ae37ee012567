"""/metrics has what an operator graphs and alerts on, and can be protected."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from support.errors import assert_error_body
from support.server import ServerFactory


def _samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def test_metrics_need_the_token_or_the_user_and_show_the_operators_numbers(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = server_factory(
        tmp_path / "data",
        env_overrides={"CALLVAULT_METRICS_TOKEN": "scrape-secret", "CALLVAULT_METRICS_USER": "tester"},
    )
    url = f"{server.url}/metrics"
    assert_error_body(httpx.get(url, timeout=60), 401, "authentication-error")
    assert_error_body(
        httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=60), 401, "authentication-error"
    )
    created = server.ingest("c-metrics", wav_file, {})
    assert (
        httpx.get(
            f"{server.url}/api/v2/accounts/{server.account_id}/recordings",
            auth=("tester", "nope"),
            timeout=60,
        ).status_code
        == 401
    )
    by_token = httpx.get(url, headers={"Authorization": "Bearer scrape-secret"}, timeout=60)
    assert by_token.status_code == 200
    assert httpx.get(url, auth=server.auth, timeout=60).status_code == 200
    samples = _samples(by_token.text)
    size = wav_file.stat().st_size
    assert created["recordingId"]
    assert samples["callvault_recordings"] == 1
    assert samples["callvault_recording_bytes"] == size
    assert samples["callvault_ingest_bytes_total"] == size
    assert samples["callvault_failed_logins_total"] >= 1
    assert samples["callvault_live_calls"] == 0
    assert samples["callvault_media_streams_open"] == 0
    for family in (
        "callvault_transcription_latency_seconds_count",
        "callvault_transcription_real_time_factor_count",
        "callvault_http_requests_total{method=GET,route=/metrics,status=401}",
    ):
        assert family in samples, family
    server.stop()


def test_queue_age_and_webhook_outcomes_by_kind(server_factory: ServerFactory, tmp_path: Path) -> None:
    server = server_factory(tmp_path / "data", env_overrides={"CALLVAULT_RUN_WORKERS": "false"})
    with server.client() as client:
        created = client.post(
            f"/accounts/{server.account_id}/calls",
            json={
                "from": "+1555",
                "to": "+1556",
                "applicationId": "a",
                "answerUrl": "http://127.0.0.1:9/answer",
            },
        )
        assert created.status_code == 201, created.text
        server.db_execute(
            "INSERT INTO webhook_attempts (job_id, event_type, url, number, started_at, duration_ms, "
            "outcome) VALUES (1, 'recordingAvailable', 'http://x', 1, '2030-01-01 00:00:00', 1.0, 'failed')"
        )
        samples = _samples(client.get("/metrics").text)
    assert samples["callvault_jobs{kind=answer,state=queued}"] == 1
    assert samples["callvault_job_oldest_queued_seconds{kind=answer}"] >= 0
    assert samples["callvault_webhook_attempts_total{event_type=recordingAvailable,outcome=failed}"] == 1
    assert samples["callvault_live_calls"] == 1
    server.stop()
