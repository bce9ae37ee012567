"""What operators graph and alert on, as Prometheus metrics (served by the API's /metrics).

Two kinds: numbers the database holds for every process at once (recordings and bytes stored, the
job queue's depth and oldest age by kind, webhook attempts by outcome, live calls), read when
/metrics is scraped; and what this process saw (ingest bytes, failed sign-ins, transcription time
and real-time factor, media streams open), counted as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from callvault.domain.timefmt import utcnow
from callvault.store import governance_repo, jobs_repo, operations_repo
from callvault.store.database import MetadataStore

_LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)
_RTF_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)


class Telemetry:
    """One process's metrics registry; thread-safe (prometheus_client's metrics are)."""

    def __init__(self, store: MetadataStore, failed_logins: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.ingest_bytes = Counter(
            "callvault_ingest_bytes",
            "Media bytes stored through ingest by this process",
            registry=self.registry,
        )
        self.transcription_latency = Histogram(
            "callvault_transcription_latency_seconds",
            "From a transcription's request to its result, for transcriptions this process ran",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.transcription_rtf = Histogram(
            "callvault_transcription_real_time_factor",
            "Speech engine seconds per second of audio, for transcriptions this process ran",
            buckets=_RTF_BUCKETS,
            registry=self.registry,
        )
        self.retention_removed = Counter(
            "callvault_retention_removed",
            "Recordings whose metadata row, media or transcript retention removed in this process",
            labelnames=["stage"],
            registry=self.registry,
        )
        self.media_streams_open = Gauge(
            "callvault_media_streams_open", "Media WebSockets open on this process", registry=self.registry
        )
        self.registry.register(_StoredNumbers(store, failed_logins))

    def observe_transcription(
        self, latency_seconds: float, engine_seconds: float, audio_seconds: float
    ) -> None:
        self.transcription_latency.observe(max(latency_seconds, 0.0))
        if audio_seconds > 0:
            self.transcription_rtf.observe(engine_seconds / audio_seconds)


class _StoredNumbers(Collector):
    """Read at each scrape: the database's numbers (shared by every process) and failed sign-ins."""

    def __init__(self, store: MetadataStore, failed_logins: Callable[[], int]) -> None:
        self._store = store
        self._failed_logins = failed_logins

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self._store.read() as conn:
            count, size = operations_repo.recordings_stored(conn)
            by_state = jobs_repo.count_by_state(conn)
            oldest = operations_repo.oldest_queued_by_kind(conn)
            attempts = operations_repo.webhook_attempts_by_outcome(conn)
            live_calls = operations_repo.live_calls(conn)
            holds = governance_repo.active_hold_count(conn)
        yield GaugeMetricFamily("callvault_recordings", "Recordings stored", value=count)
        yield GaugeMetricFamily(
            "callvault_recording_bytes", "Media bytes the stored recordings name", value=size
        )
        jobs = GaugeMetricFamily("callvault_jobs", "Jobs by kind and state", labels=["kind", "state"])
        for (kind, state), number in sorted(by_state.items()):
            jobs.add_metric([kind, state], number)
        yield jobs
        age = GaugeMetricFamily(
            "callvault_job_oldest_queued_seconds", "Age of the oldest queued job by kind", labels=["kind"]
        )
        for kind, created in sorted(oldest.items()):
            age.add_metric([kind], max((now - created).total_seconds(), 0.0))
        yield age
        deliveries = CounterMetricFamily(
            "callvault_webhook_attempts",
            "Webhook delivery attempts by event type and outcome",
            labels=["event_type", "outcome"],
        )
        for (event_type, outcome), number in sorted(attempts.items()):
            deliveries.add_metric([event_type, outcome], number)
        yield deliveries
        yield GaugeMetricFamily("callvault_live_calls", "Calls in progress", value=live_calls)
        yield GaugeMetricFamily("callvault_legal_holds_active", "Legal holds in force", value=holds)
        yield CounterMetricFamily(
            "callvault_failed_logins",
            "Wrong user names or passwords seen by this process",
            value=self._failed_logins(),
        )
