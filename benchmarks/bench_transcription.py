"""Transcription benchmark: a 10-minute two-party 8 kHz stereo call through the Whisper engine.

Builds the call from the committed speech fixtures (tests/fixtures/speech: one party per channel, turns
alternating with short gaps and an occasional long pause), transcribes it with the bundled Whisper base
(or --model-dir), and reports the real-time factor (processing seconds / audio seconds), peak RSS
(getrusage ru_maxrss and a 50 ms /proc sampler) and the word error rate per channel. Writes
benchmarks/results/transcription.json with the command that made it.

    .venv/bin/python benchmarks/bench_transcription.py [--minutes 10] [--threads 0] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ctranslate2
import faster_whisper
import numpy as np

from callvault.transcription import TranscriptionOutput, WhisperEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.wer import word_error_rate

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "fixtures" / "speech"
RESULTS = Path(__file__).resolve().parent / "results"
RATE = 8000
TURN_GAP_SECONDS = 0.6
LONG_PAUSE_SECONDS = 4.0
LONG_PAUSE_EVERY = 7


@dataclass(frozen=True)
class Line:
    text: str
    samples: np.ndarray  # int16 mono at RATE


def read_mono(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        if wav.getframerate() != RATE or wav.getsampwidth() != 2:
            raise SystemExit(f"{path} is not 8 kHz PCM16")
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return frames.reshape(-1, wav.getnchannels())


def trim_silence(samples: np.ndarray, threshold: int = 300) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def speech_lines() -> dict[str, list[Line]]:
    """Distinct English telephone-band lines per party, cut from the committed fixtures."""
    manifest = json.loads((SPEECH / "manifest.json").read_text())
    parties: dict[str, list[Line]] = {"caller": [], "agent": []}
    dialogue = read_mono(SPEECH / manifest["dialogue_lines_8k"]["file"])[:, 0]
    for line in manifest["dialogue_lines_8k"]["lines"]:
        piece = dialogue[int(line["start"] * RATE) : int(line["end"] * RATE)]
        parties[line["party"]].append(Line(line["text"], trim_silence(piece)))
    english = read_mono(SPEECH / manifest["english_8k"]["file"])[:, 0]
    parties["caller"].append(Line(manifest["english_8k"]["text"], trim_silence(english)))
    call = read_mono(SPEECH / manifest["call_stereo_8k"]["file"])
    caller_text, agent_text = manifest["call_stereo_8k"]["channels"]
    parties["caller"].append(Line(caller_text, trim_silence(call[:, 0])))
    parties["agent"].append(Line(agent_text, trim_silence(call[:, 1])))
    return parties


def turns(parties: dict[str, list[Line]], seconds: float) -> Iterator[tuple[int, Line, float]]:
    """(channel, line, silence after) until ``seconds`` of call: the agent (channel 2) opens."""
    elapsed, turn = 0.0, 0
    while True:
        party = "agent" if turn % 2 == 0 else "caller"
        pool = parties[party]
        line = pool[(turn // 2) % len(pool)]
        gap = LONG_PAUSE_SECONDS if turn % LONG_PAUSE_EVERY == LONG_PAUSE_EVERY - 1 else TURN_GAP_SECONDS
        if elapsed + len(line.samples) / RATE + gap > seconds:
            return
        yield (1 if party == "agent" else 0), line, gap
        elapsed += len(line.samples) / RATE + gap
        turn += 1


def build_call(path: Path, seconds: float) -> tuple[float, list[str]]:
    """Write the stereo call (streamed turn by turn); returns its length and each channel's script."""
    scripts: list[list[str]] = [[], []]
    written = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for channel, line, gap in turns(speech_lines(), seconds):
            block = np.zeros((len(line.samples) + int(gap * RATE), 2), dtype="<i2")
            block[: len(line.samples), channel] = line.samples
            out.writeframes(block.tobytes())
            scripts[channel].append(line.text)
            written += len(block)
        tail = int(seconds * RATE) - written
        if tail > 0:
            out.writeframes(np.zeros((tail, 2), dtype="<i2").tobytes())
            written += tail
    return written / RATE, [" ".join(script) for script in scripts]


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


def transcribe_measured(engine: WhisperEngine, path: Path) -> tuple[TranscriptionOutput, float, int]:
    with RssSampler() as sampler:
        started = time.perf_counter()
        output = engine.transcribe(path)
        elapsed = time.perf_counter() - started
    return output, elapsed, sampler.peak_bytes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated call")
    parser.add_argument(
        "--threads", type=int, default=0, help="CTranslate2 CPU threads (0: all usable cores)"
    )
    parser.add_argument("--model-dir", type=Path, default=None, help="a CTranslate2 Whisper folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "transcription.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-transcription-") as tmp:
        work = Path(tmp)
        call = work / "call.wav"
        audio_seconds, scripts = build_call(call, args.minutes * 60)
        engine = WhisperEngine(model_dir=args.model_dir, cache_dir=work / "models", cpu_threads=args.threads)
        started = time.perf_counter()
        engine.load()
        load_seconds = time.perf_counter() - started
        rss_after_load = current_rss_bytes()
        output, processing_seconds, sampled_peak = transcribe_measured(engine, call)

    result: dict[str, Any] = {
        "command": shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "engine": {
            "model": str(args.model_dir) if args.model_dir else "whisper base (bundled), int8, CPU",
            "cpu_threads": args.threads,
            "ctranslate2": ctranslate2.__version__,
            "faster_whisper": faster_whisper.__version__,
        },
        "audio": {
            "seconds": round(audio_seconds, 1),
            "channels": 2,
            "sample_rate": RATE,
            "format": "wav pcm16",
        },
        "model_load_seconds": round(load_seconds, 2),
        "processing_seconds": round(processing_seconds, 1),
        "real_time_factor": round(processing_seconds / audio_seconds, 3),
        "peak_rss_mib": {
            "ru_maxrss": mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
            "sampled_during_transcription": mib(sampled_peak),
            "after_model_load": mib(rss_after_load),
        },
        "output": {
            "language": output.language,
            "clips": len(output.clips),
            "confidence": [t.confidence for t in output.transcripts],
            "word_error_rate": [
                round(word_error_rate(script, transcript.text), 3)
                for script, transcript in zip(scripts, output.transcripts, strict=True)
            ],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
