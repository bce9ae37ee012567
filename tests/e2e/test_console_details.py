"""What a browser check of the console found, each in a real browser (Playwright + Debian's Chromium):
the waveform cursor at `?t=` before playing, the clock at the end, accessible names that contain the
visible labels, focus after a wrong password, a live call that ends, and a page that runs under its
Content-Security-Policy without a violation."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from support.audio_files import write_wav
from support.server import LiveServer

pytestmark = pytest.mark.slow


def _recording_page(server: LiveServer, tmp_path: Path, seconds: float) -> str:
    wav = write_wav(tmp_path / f"{uuid.uuid4()}.wav", seconds=seconds, sample_rate=8000, channels=2)
    created = server.ingest(f"c-{uuid.uuid4()}", wav, {"direction": "inbound"})
    call, recording = created["callId"], created["recordingId"]
    return f"{server.url}/ui/accounts/{server.account_id}/calls/{call}/recordings/{recording}"


def test_the_waveform_cursor_shows_t_before_playing_even_when_the_audio_got_there_first(
    page: Any, console_server: LiveServer, tmp_path: Path
) -> None:
    url = _recording_page(console_server, tmp_path, seconds=20.0)
    held: list[Any] = []
    page.route(
        re.compile(r".*/peaks$"), lambda route: held.append(route)
    )  # the waveform waits until the audio has seeked
    page.goto(f"{url}?t=10")
    page.wait_for_function("() => document.getElementById('player').currentTime === 10")
    for _ in range(600):  # the page asked for its peaks at once; a minute at most on a busy machine
        if held:
            break
        page.wait_for_timeout(100)
    held[0].continue_()
    page.wait_for_selector("#waveform[data-ready=true]")
    page.wait_for_function(
        "() => parseFloat(document.querySelector('#waveform > div').shadowRoot"
        ".querySelector('.cursor').style.left) > 0"
    )
    left = page.evaluate(
        "parseFloat(document.querySelector('#waveform > div').shadowRoot.querySelector('.cursor').style.left)"
    )
    assert left == pytest.approx(50.0, abs=1.0)  # 10 s of 20 s, before anyone pressed play
    assert page.locator("#clock").inner_text() == "0:10 / 0:20"


def test_the_clock_ends_at_the_length_it_shows(page: Any, console_server: LiveServer, tmp_path: Path) -> None:
    page.goto(_recording_page(console_server, tmp_path, seconds=2.6))
    page.wait_for_function("() => document.getElementById('player').readyState > 0")
    assert page.locator("#clock").inner_text() == "0:00 / 0:03"
    page.locator("#forward").click()  # +5 s: to the end
    page.wait_for_function("() => document.getElementById('player').ended")
    assert page.locator("#clock").inner_text() == "0:03 / 0:03"


def test_accessible_names_contain_the_visible_labels(
    page: Any, console_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url = _recording_page(console_server, tmp_path, seconds=2.0)
    page.goto(url)
    for visible in ("−5 s", "+5 s", "▶ Play"):
        button = page.locator("button", has_text=visible)
        expect(button).to_have_accessible_name(re.compile("^" + re.escape(visible)))
    page.goto(f"{console_server.url}/ui")
    id_button = page.locator("#recordings button.id").first
    shown = id_button.evaluate(
        "b => [...b.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join('')"
    )
    assert shown.startswith("r-") and "…" in shown  # the short id is what the button shows
    expect(id_button).to_have_accessible_name(re.compile("^" + re.escape(shown.strip())))


def test_after_a_wrong_password_focus_is_on_the_password(browser: Any, console_server: LiveServer) -> None:
    context = browser.new_context()
    signing_in = context.new_page()
    try:
        signing_in.goto(f"{console_server.url}/ui/login")
        assert signing_in.evaluate("document.activeElement.id") == "username"
        signing_in.get_by_label("User name").fill(console_server.username)
        signing_in.get_by_label("Password").fill("not-the-password")
        signing_in.get_by_role("button", name="Sign in").click()
        signing_in.wait_for_selector("#signin-error")
        assert signing_in.evaluate("document.activeElement.id") == "password"
        assert signing_in.get_by_label("User name").input_value() == console_server.username
    finally:
        context.close()


def test_the_recording_page_runs_under_its_content_security_policy(
    page: Any, console_server: LiveServer, tmp_path: Path
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(_recording_page(console_server, tmp_path, seconds=2.0))
    page.wait_for_selector("#waveform[data-ready=true]")
    height = page.evaluate(
        "getComputedStyle(document.querySelector('#waveform > div').shadowRoot"
        ".querySelector('.canvases')).minHeight"
    )
    assert height == "56px"  # wavesurfer's own <style> (its nonce allowed by the CSP) applied
    page.keyboard.press("k")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.2")
    assert refused == []


def test_the_live_page_shows_a_call_that_ended_and_links_its_recording(
    page: Any, console_server: LiveServer
) -> None:
    rate = 8000
    audio = np.random.default_rng(11).integers(-9000, 9000, size=3 * rate, dtype=np.int16)
    with CallsClient(
        console_server.url, console_server.username, console_server.password, console_server.account_id
    ) as calls:
        call_id = str(calls.create_call("+15558880011", "+15558880012")["callId"])
        calls.start_recording(call_id)
        page.goto(f"{console_server.url}/ui/live")
        row = page.locator(f'#live-calls tr[data-call-id="{call_id}"]')
        row.get_by_role("button", name=re.compile("Pause recording")).click()
        row.get_by_role("button", name=re.compile("Resume recording")).click()
        page.wait_for_function("() => document.getElementById('live-status').textContent.includes('resumed')")
        with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
            stream.send_audio({"inbound": audio})
            stream.stop()
        [recording] = calls.wait_for_recordings(call_id)
        calls.hang_up(call_id)
    ended = page.locator(f'#ended-calls li[data-call-id="{call_id}"]')
    link = ended.get_by_role("link", name=re.compile("Open the recording"))
    link.wait_for(timeout=60_000)
    assert "has ended" in page.locator("#live-status").inner_text()
    assert link.get_attribute("href") == (
        f"/ui/accounts/{console_server.account_id}/calls/{call_id}/recordings/{recording['recordingId']}"
    )
    link.click()
    page.wait_for_selector("#waveform[data-ready=true]")
