"""The console in a real browser (Playwright + Debian's Chromium) against a real server: sign in, find a
call by a word spoken in it (real speech, real transcription), play from a transcript clip, delete,
pause a live call, a phone-sized screen, and a POST without its CSRF token."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from support.asterisk_sounds import ensure_sounds, transcript, write_call
from support.console import browser_sign_in
from support.needs import unavailable
from support.receiver import WebhookReceiver
from support.server import LiveServer

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 740}
# Where screenshots go when asked for (CALLVAULT_SCREENSHOTS=dir); otherwise the test's tmp dir.
SCREENSHOTS = os.environ.get("CALLVAULT_SCREENSHOTS")


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css.split("rgb", 1)[1])[:3])
    return red, green, blue


def _contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    def luminance(rgb: tuple[int, int, int]) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _transcribed_call(
    server: LiveServer, tmp_path: Path, caller: str, agent: str, callback_url: str | None = None
) -> dict[str, Any]:
    """A stereo call (agent first, then the caller) from Asterisk prompts, ingested and transcribed."""
    why_not = ensure_sounds()
    if why_not:
        unavailable(f"no real speech: {why_not}")
    call_id = f"c-{uuid.uuid4()}"
    wav = write_call(tmp_path / f"{call_id}.wav", caller=[(3.0, caller)], agent=[(0.3, agent)])
    created = server.ingest(
        call_id, wav, {"from": "+15557770001", "to": "+15557770002", "direction": "inbound"}
    )
    path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    with server.client() as client:
        body = {"callbackUrl": callback_url} if callback_url else {}
        assert client.post(f"{path}/transcription", json=body).status_code == 204
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = (client.get(path).json().get("transcription") or {}).get("status")
            if status == "available":
                return created
            assert status in ("processing", None), status
            time.sleep(0.5)
    raise AssertionError(f"no transcript within 300 s:\n{server.log()[-2000:]}")


def test_sign_in_find_by_a_spoken_word_seek_from_a_clip_then_delete(
    page: Any, console_server: LiveServer, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    from playwright.sync_api import expect

    spoken = transcript("tt-weasels")  # "Weasels have eaten our phone system"
    word = spoken.split()[0].lower()
    wanted = _transcribed_call(
        console_server,
        tmp_path,
        caller="tt-weasels",
        agent="queue-thankyou",
        callback_url=webhook_receiver.url("/transcribed"),
    )
    webhook_receiver.wait_for(1, timeout=30)
    other = _transcribed_call(console_server, tmp_path, caller="demo-thanks", agent="auth-thankyou")

    page.get_by_label("Words spoken in the call").fill(word)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*q=" + word))
    rows = page.locator("#recordings tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(f'[data-copy="{wanted["recordingId"]}"]').count() == 1
    assert word in rows.first.locator("mark").first.inner_text().lower()
    assert other["recordingId"] not in page.content()
    _shot(page, tmp_path, "search-results")

    rows.first.locator("a").first.click()
    page.wait_for_selector("#waveform[data-ready=true]")
    hit = page.locator("button.clip.hit")
    assert hit.count() == 1 and word in hit.inner_text().lower()
    expect(hit).to_have_accessible_name(re.compile("^" + re.escape(" ".join(hit.inner_text().split()))))
    outline, background = hit.evaluate(
        "b => [getComputedStyle(b).boxShadow, getComputedStyle(b).backgroundColor]"
    )
    assert _contrast(_rgb(outline), _rgb(background)) >= 3.0, (outline, background)  # WCAG 1.4.11
    assert page.locator("button.clip").count() >= 2  # the agent's clip and the caller's
    _shot(page, tmp_path, "recording")

    start = float(hit.get_attribute("data-start"))
    assert start >= 2.5  # the caller speaks from the third second
    hit.click()
    page.wait_for_function(f"() => Math.abs(document.getElementById('player').currentTime - {start}) < 0.5")
    assert "current" in (hit.get_attribute("class") or "")
    page.keyboard.press("ArrowRight")  # keyboard seeking: five seconds on
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {start} + 3")

    deliveries = page.locator(".deliveries li")
    page.reload()  # the webhook was delivered meanwhile
    assert "transcriptionAvailable" in deliveries.first.inner_text()
    assert "delivered (HTTP 200)" in deliveries.first.inner_text()

    page.get_by_role("button", name="Delete recording").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r".*/ui\?.*deleted="))
    assert wanted["recordingId"] not in page.locator("#recordings").inner_html()
    assert "deleted" in page.locator(".notice").inner_text()
    with console_server.client() as client:
        gone = client.get(
            f"/accounts/{console_server.account_id}/calls/{wanted['callId']}/recordings/{wanted['recordingId']}"
        )
    assert gone.status_code == 404


def test_pausing_a_live_call_from_the_live_page_cuts_the_recording(
    page: Any, console_server: LiveServer, tmp_path: Path
) -> None:
    rate = 8000
    audio = np.random.default_rng(7).integers(-9000, 9000, size=10 * rate, dtype=np.int16)
    with CallsClient(
        console_server.url, console_server.username, console_server.password, console_server.account_id
    ) as calls:
        call_id = str(calls.create_call("+15558880001", "+15558880002")["callId"])
        calls.start_recording(call_id)
        page.goto(f"{console_server.url}/ui/live")
        row = page.locator(f'#live-calls tr[data-call-id="{call_id}"]')
        row.get_by_role("button", name=re.compile("Pause recording")).wait_for()
        assert row.locator(".badge").inner_text() == "recording"
        with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
            stream.send_audio({"inbound": audio[: 3 * rate]})
            assert stream.mark() == 3.0
            row.get_by_role("button", name=re.compile("Pause recording")).click()
            row.get_by_role("button", name=re.compile("Resume recording")).wait_for()
            assert calls.get_call(call_id)["recordingState"] == "paused"
            _shot(page, tmp_path, "live-paused")
            stream.send_audio({"inbound": audio[3 * rate : 5 * rate]})
            assert stream.mark() == 5.0
            row.get_by_role("button", name=re.compile("Resume recording")).click()
            row.get_by_role("button", name=re.compile("Pause recording")).wait_for()
            stream.send_audio({"inbound": audio[5 * rate :]})
            stream.stop()
        [recording] = calls.wait_for_recordings(call_id)
        calls.hang_up(call_id)
    assert recording["duration"] == "PT8S"  # ten seconds sent, two of them paused
    page.wait_for_function(f"() => !document.querySelector('#live-calls tr[data-call-id=\"{call_id}\"]')")


def test_a_phone_sized_screen_has_no_horizontal_scroll(
    browser: Any, console_server: LiveServer, wav_file: Path, tmp_path: Path
) -> None:
    created = console_server.ingest(
        f"c-{uuid.uuid4()}", wav_file, {"from": "+15559990001", "to": "+15559990002", "tag": "x" * 120}
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        browser_sign_in(phone, console_server)
        recording_page = (
            f"/ui/accounts/{console_server.account_id}/calls/{created['callId']}"
            f"/recordings/{created['recordingId']}"
        )
        for path in ("/ui", recording_page, "/ui/live", "/ui?q=nothing+matches+this"):
            phone.goto(f"{console_server.url}{path}")
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        phone.goto(f"{console_server.url}/ui")
        _shot(phone, tmp_path, "phone-list")
    finally:
        context.close()


def test_a_post_without_its_csrf_token_is_refused(
    page: Any, console_server: LiveServer, wav_file: Path
) -> None:
    created = console_server.ingest(f"c-{uuid.uuid4()}", wav_file, {})
    action = (
        f"{console_server.url}/ui/accounts/{console_server.account_id}/calls/{created['callId']}"
        f"/recordings/{created['recordingId']}/delete"
    )
    # The signed-in browser's own cookies go with these requests; only the token is missing or wrong.
    assert page.request.post(action, form={}).status == 403
    assert page.request.post(action, form={"csrf_token": "forged.token"}).status == 403
    assert page.request.post(action, headers={"X-CSRF-Token": ""}).status == 403
    with console_server.client() as client:
        still = client.get(
            f"/accounts/{console_server.account_id}/calls/{created['callId']}/recordings/{created['recordingId']}"
        )
    assert still.status_code == 200
