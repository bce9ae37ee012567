"""Transcription cost: real-time factor per channel x word error rate x memory, per setting and language.

The calls are the two-party telephone calls of benchmarks/call_set.py, built from Asterisk's recorded
prompts in English, Spanish and French (turn-taking, so each channel is silent while the other party
speaks, with hold music and line noise). Each setting runs in its own process (so its peak memory is
its own), over every language's call, through callvault's WhisperEngine. Figures per setting:
wall-clock seconds per channel-second of audio
(RTF per channel, 2 cores), CPU seconds per channel-second, peak RSS, and the word error rate of each
language (both channels' words together). English is transcribed as English (callvault's default);
Spanish and French with language detection on, as a client asks for them. A setting is marked invalid
when the machine was busy as it started (benchmarks/quiet.py). Writes benchmarks/results/transcription.json.

    .venv/bin/python benchmarks/bench_transcription.py [--minutes 4] [--settings before,default,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import call_set
import ctranslate2
import faster_whisper
from faster_whisper.vad import VadOptions
from quiet import Sections

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from callvault.transcription.whisper import TELEPHONE_VAD, WhisperEngine
from support.wer import word_error_rate

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Setting:
    beam_size: int
    workers: int
    threads: int
    telephone_vad: bool
    batch_size: int = 0
    note: str = ""


SETTINGS = {
    "before": Setting(5, 1, 2, False, note="the defaults before this change"),
    "beam1": Setting(1, 1, 2, False, note="greedy decoding"),
    "beam1_vad": Setting(1, 1, 2, True, note="+ VAD tuned for telephone turns"),
    "workers": Setting(1, 2, 1, True, note="+ 2 workers of 1 thread, channels at once"),
    "batched_1x2": Setting(1, 1, 2, True, batch_size=8, note="batched pipeline (batch 8), 1 worker x 2"),
    "batched_2x1": Setting(1, 2, 1, True, batch_size=8, note="batched pipeline (batch 8), 2 workers x 1"),
    "default": Setting(1, 2, 1, True, batch_size=4, note="the same with batch 4 (the default)"),
}


def _engine(setting: Setting, cache_dir: Path) -> WhisperEngine:
    return WhisperEngine(
        model_dir=None,
        cache_dir=cache_dir,
        cpu_threads=setting.threads,
        workers=setting.workers,
        beam_size=setting.beam_size,
        vad_options=TELEPHONE_VAD if setting.telephone_vad else VadOptions(),
        batch_size=setting.batch_size,
    )


def run_one(name: str, minutes: float) -> dict[str, Any]:
    """Measure one setting over every language's call, in this process."""
    setting = SETTINGS[name]
    with tempfile.TemporaryDirectory(prefix="bench-transcription-") as tmp:
        work = Path(tmp)
        calls = [call_set.build_call(work / f"{lang}.wav", lang, minutes) for lang in call_set.LANGUAGES]
        engine = _engine(setting, Path(os.environ.get("CALLVAULT_BENCH_MODELS", work / "models")))
        engine.load()
        languages: dict[str, Any] = {}
        wall = cpu = channel_seconds = 0.0
        with RssSampler() as sampler:
            for call in calls:
                started, cpu_started = time.perf_counter(), time.process_time()
                output = engine.transcribe(call.path, detect_language=call.language != "en")
                texts = [transcript.text for transcript in output.transcripts]
                elapsed, used = time.perf_counter() - started, time.process_time() - cpu_started
                wall, cpu, channel_seconds = wall + elapsed, cpu + used, channel_seconds + 2 * call.seconds
                reference = call_set.plain_words(" ".join(call.references))
                heard = call_set.plain_words(" ".join(texts))
                languages[call.language] = {
                    "call_seconds": round(call.seconds, 1),
                    "speech_seconds_per_channel": [round(s, 1) for s in call.speech_seconds],
                    "rtf_per_channel": round(elapsed / (2 * call.seconds), 4),
                    "word_error_rate": round(word_error_rate(reference, heard), 4),
                }
    return {
        "setting": {"name": name, **asdict(setting)},
        "rtf_per_channel": round(wall / channel_seconds, 4),
        "cpu_seconds_per_channel_second": round(cpu / channel_seconds, 4),
        "peak_rss_mib": mib(
            max(sampler.peak_bytes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        ),
        "languages": languages,
    }


class RssSampler:
    """Highest VmRSS seen, sampled every 50 ms from /proc/self/status (Linux)."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, current_rss_bytes())
            self._stop.wait(0.05)


def current_rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def mib(value: float) -> float:
    return round(value / (1 << 20), 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=4.0, help="length of each language's call")
    parser.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated names")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one setting here and print its JSON
    parser.add_argument("--out", type=Path, default=RESULTS / "transcription.json")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.minutes)))
        return
    if why := call_set.missing():
        raise SystemExit(why)
    sections = Sections()
    table = []
    with tempfile.TemporaryDirectory(prefix="bench-models-") as models:
        for name in args.settings.split(","):
            sections.start(name)
            done = subprocess.run(
                [sys.executable, __file__, "--one", name, "--minutes", str(args.minutes)],
                env={**os.environ, "CALLVAULT_BENCH_MODELS": models},
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["valid"] = sections.sections[name]["valid"]
            table.append(row)
            print(json.dumps(row), flush=True)
    result: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "benchmarks/bench_transcription.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "engine": {
            "model": "whisper base (bundled), int8, CPU",
            "ctranslate2": ctranslate2.__version__,
            "faster_whisper": faster_whisper.__version__,
        },
        "calls": f"{args.minutes} min each in {', '.join(call_set.LANGUAGES)}; 8 kHz stereo, two parties",
        "machine_state": sections.report(),
        "table": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
