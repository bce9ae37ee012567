"""Console page weight: bytes transferred (as the browser counts them: headers + encoded bodies) to
load the recordings list and a recording's page with an empty cache, in Debian's Chromium driven by
Playwright, against a real `callvault serve` holding a transcribed two-channel call. Also saves
screenshots. Writes benchmarks/results/console.json with the command that made it.

    .venv/bin/python benchmarks/bench_console.py [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from playwright.sync_api import sync_playwright

from support.console import browser_sign_in
from support.server import LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
CHROMIUM = Path("/usr/bin/chromium")
CALL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech" / "call_stereo_8k.wav"


def transcribed_call(server: LiveServer) -> dict[str, Any]:
    created = server.ingest(
        f"c-{uuid.uuid4()}", CALL, {"from": "+19195551234", "to": "+19195554321", "direction": "inbound"}
    )
    path = f"/accounts/{server.account_id}/calls/{created['callId']}/recordings/{created['recordingId']}"
    with server.client() as client:
        client.post(f"{path}/transcription", json={})
        while (client.get(path).json().get("transcription") or {}).get("status") != "available":
            time.sleep(0.5)
    return created


def weigh(context: Any, url: str, ready: str) -> dict[str, Any]:
    """Load `url` in a fresh page (the context's cache is off) and add up what came over the wire."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    types: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"]))
    )
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    by_type: dict[str, int] = {}
    for request_id, size in sizes.items():
        kind = types.get(request_id, "Other")
        by_type[kind] = by_type.get(kind, 0) + size
    total = sum(by_type.values())
    without_media = total - by_type.get("Media", 0)
    page.close()
    return {
        "requests": len(sizes),
        "kb_total": round(total / 1024, 1),
        "kb_without_audio": round(without_media / 1024, 1),
        "kb_by_type": {k: round(v / 1024, 1) for k, v in sorted(by_type.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium (the e2e tests install it too)")
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            created = transcribed_call(server)
            for i in range(24):  # a list page with some rows in it
                server.ingest(f"c-{uuid.uuid4()}", CALL, {"from": f"+1919555{i:04d}", "to": "+19195554321"})
            recording = (
                f"{server.url}/ui/accounts/{server.account_id}/calls/{created['callId']}"
                f"/recordings/{created['recordingId']}"
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                sign_in_page = context.new_page()
                browser_sign_in(sign_in_page, server)
                sign_in_page.close()
                results = {
                    "list": weigh(context, f"{server.url}/ui", "#recordings tbody tr"),
                    "recording": weigh(context, recording, "#waveform[data-ready=true]"),
                }
                if args.screenshots:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    shots = {
                        "desktop-list": (f"{server.url}/ui", {"width": 1280, "height": 900}),
                        "desktop-recording": (recording, {"width": 1280, "height": 900}),
                        "phone-recording": (recording, {"width": 375, "height": 740}),
                        "phone-search": (f"{server.url}/ui?q=order", {"width": 375, "height": 740}),
                    }
                    for name, (url, viewport) in shots.items():
                        page = context.new_page()
                        page.set_viewport_size(viewport)
                        page.goto(url, wait_until="networkidle")
                        page.screenshot(path=str(args.screenshots / f"{name}.png"), full_page=True)
                        page.close()
                browser.close()
        finally:
            server.stop()
    output = {
        "command": shlex.join([".venv/bin/python", "benchmarks/bench_console.py", *sys.argv[1:]]),
        "what": "bytes transferred (headers + encoded bodies) loading each console page with an empty cache",
        "browser": "Debian chromium via Playwright",
        **results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console.json").write_text(json.dumps(output, indent=2) + "\n")
    print(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
