"""`callvault call simulate`: drive a whole live call through the public API and show its recording."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from callvault.cli.common import console, fail, out
from callvault.cli.simulate import CallsClient, SimulationError, SimulationPlan, simulate_call
from callvault.media.decode import AudioDecodeError, audio_duration

app = typer.Typer(help="Live calls.", no_args_is_help=True)


def _duration(path: Path) -> float:
    try:
        return audio_duration(path)
    except AudioDecodeError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _check_choices(file_format: str, codec: str, pause_at: float | None, resume_at: float | None) -> None:
    if file_format not in ("wav", "mp3"):
        fail(f"--format must be wav or mp3, not {file_format!r}")
    if codec not in ("pcmu", "l16"):
        fail(f"--codec must be pcmu or l16, not {codec!r}")
    if resume_at is not None and (pause_at is None or resume_at <= pause_at):
        fail("--resume-at needs a --pause-at before it")


@app.command("simulate")
def simulate(
    account: str = typer.Option(..., "--account", help="Account id"),
    from_: str = typer.Option(..., "--from", help="Calling number"),
    to: str = typer.Option(..., "--to", help="Called number"),
    inbound: Path = typer.Option(..., "--inbound", exists=True, dir_okay=False, help="The caller's audio"),
    outbound: Path = typer.Option(None, "--outbound", exists=True, dir_okay=False, help="The agent's audio"),
    multichannel: bool = typer.Option(False, "--multichannel", help="Inbound and outbound on 2 channels"),
    file_format: str = typer.Option("wav", "--format", help="Recording format: wav or mp3"),
    pause_at: float = typer.Option(None, "--pause-at", min=0, help="Pause the recording at S seconds"),
    resume_at: float = typer.Option(None, "--resume-at", min=0, help="Resume it at S seconds"),
    speed: float = typer.Option(1.0, "--speed", min=0, help="Times real time (0: as fast as possible)"),
    codec: str = typer.Option("pcmu", "--codec", help="Stream audio/PCMU 8 kHz (pcmu) or audio/L16 16 kHz"),
    tag: str = typer.Option(None, "--tag", help="Tag of the call and the recording"),
    url: str = typer.Option("http://127.0.0.1:8080", "--url", envvar="CALLVAULT_URL"),
    username: str = typer.Option(..., "--username", envvar="CALLVAULT_USERNAME"),
    password: str = typer.Option(..., "--password", envvar="CALLVAULT_PASSWORD"),
) -> None:
    """Create a call, record it while streaming the audio files, then print the recording's metadata."""
    _check_choices(file_format, codec, pause_at, resume_at)
    total = max(_duration(inbound), _duration(outbound) if outbound else 0.0)
    plan = SimulationPlan(
        account_id=account,
        from_=from_,
        to=to,
        inbound=inbound,
        outbound=outbound,
        multichannel=multichannel,
        file_format="mp3" if file_format == "mp3" else "wav",
        pause_at=pause_at,
        resume_at=resume_at,
        speed=speed,
        codec="l16" if codec == "l16" else "pcmu",
        tag=tag,
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:.1f} s"),
    )
    try:
        with (
            CallsClient(url, username, password, account) as client,
            Progress(*columns, TimeRemainingColumn(), console=console) as progress,
        ):
            task = progress.add_task("streaming the call", total=total)
            recording = simulate_call(client, plan, lambda seconds: progress.advance(task, seconds))
    except SimulationError as exc:
        fail(str(exc))
        return
    except (httpx.HTTPError, OSError) as exc:
        fail(f"cannot reach callvault at {url}: {exc}")
        return
    out.print_json(json.dumps(recording))
