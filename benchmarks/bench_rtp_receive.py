"""What reading RTP costs a SIPREC server per packet: `--sockets` RTP ports, each sent a 20 ms G.711
packet every 20 ms by a separate process, each socket on its own schedule (the packets of all
sockets spread evenly in time, as a hundred independent calls send them). Two ways of reading, in
turns, `--rounds` each, through the same code (`api/sip/rtp_ports`):

* `polled`: callvault's `RtpPortPool`, every port polled together every `POLL_SECONDS`;
* `woken`: each port read as soon as the event loop finds it readable (`loop.add_reader`), the way
  callvault read RTP before.

Reported per way: the receiving process's user and system CPU per packet and its voluntary context
switches (the sender's CPU is not counted). Each round starts on a quiet machine (benchmarks/quiet.py).
Writes benchmarks/results/rtp_receive.json.

    .venv/bin/python benchmarks/bench_rtp_receive.py [--sockets 200] [--seconds 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import socket
import time
from typing import Any

from quiet import Sections, in_turns, medians_of, write_results

from callvault.api.sip import rtp_ports

WAYS = ("polled", "woken")
FIGURES = ("cpu_us_per_packet", "user_us_per_packet", "system_us_per_packet", "voluntary_switches")
CLIENT = "127.0.0.1"
PACKET = b"\x80\x00" + bytes(10) + bytes(160)


def send(ports: list[int], seconds: float, start: Any) -> None:
    """One packet to each port every 20 ms, the ports' packets spread evenly over the 20 ms."""
    start.wait()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gap = 0.02 / len(ports)
    began = time.monotonic()
    for sent in range(round(seconds / gap)):
        due = began + sent * gap
        while time.monotonic() < due:  # a busy wait: the sender's own CPU is not measured
            pass
        sender.sendto(PACKET, (CLIENT, ports[sent % len(ports)]))
    sender.close()


async def receive(way: str, sockets: int, seconds: float) -> dict[str, Any]:
    received = [0]

    def on_datagram(_index: int, _data: bytes, _arrival: float) -> None:
        received[0] += 1

    pool = rtp_ports.RtpPortPool(CLIENT, 30000, 39999)
    receivers = [await pool.open([0], on_datagram, frozenset({CLIENT})) for _ in range(sockets)]
    opened = [receiver for receiver in receivers if receiver is not None]
    ports = [receiver.ports[0] for receiver in opened]
    loop = asyncio.get_running_loop()
    if way == "woken":  # every socket read when readable, by the same reader
        for receiver in opened:
            for reader in receiver._readers:  # the benchmark swaps how they are woken
                reader._poller.remove(reader._sock)
                loop.add_reader(
                    reader._sock.fileno(),
                    lambda r=reader: r.read_waiting(time.time(), time.monotonic()),
                )
    start = multiprocessing.Event()
    sender = multiprocessing.Process(target=send, args=(ports, seconds, start))
    sender.start()
    await asyncio.sleep(0.5)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start.set()
    await asyncio.to_thread(sender.join)
    await asyncio.sleep(0.1)
    after = resource.getrusage(resource.RUSAGE_SELF)
    for receiver in opened:
        if way == "woken":
            for reader in receiver._readers:
                loop.remove_reader(reader._sock.fileno())
                reader._sock.close()
            receiver._readers = []
        receiver.close()
    packets = received[0]
    return {
        "packets": packets,
        "user_us_per_packet": round((after.ru_utime - before.ru_utime) * 1e6 / packets, 2),
        "system_us_per_packet": round((after.ru_stime - before.ru_stime) * 1e6 / packets, 2),
        "cpu_us_per_packet": round(
            (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e6 / packets, 2
        ),
        "voluntary_switches": after.ru_nvcsw - before.ru_nvcsw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sections = Sections()

    def measure(way: str) -> dict[str, Any]:
        state = sections.start(f"{way} round {len(sections.sections) // len(WAYS) + 1}")
        return {**asyncio.run(receive(way, args.sockets, args.seconds)), "valid": state["valid"]}

    runs = in_turns(WAYS, args.rounds, measure)
    summary = medians_of(runs, FIGURES)
    write_results(
        "rtp_receive.json",
        {
            "sockets": args.sockets,
            "seconds": args.seconds,
            "poll_seconds": rtp_ports.POLL_SECONDS,
            "machine_state": sections.report(),
            "summary": summary,
            "runs": runs,
        },
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
