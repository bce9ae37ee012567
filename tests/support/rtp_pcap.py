"""RTP streams for tests: packetise audio as PCMU RTP and write it as a pcap SIPp can replay
(``play_pcap_audio``: SIPp keeps each packet's destination port offset from the lowest one, so
leg 2 addressed to port +2 reaches the second stream of callvault's answer)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callvault.media.audio import mulaw_encode

FRAME = 160  # 20 ms at 8 kHz
BASE_PORT = 40000


@dataclass(frozen=True)
class TimedPacket:
    time: float
    port_offset: int
    data: bytes


def rtp_packet(seq: int, timestamp: int, ssrc: int, payload: bytes, payload_type: int = 0) -> bytes:
    return struct.pack("!BBHII", 0x80, payload_type, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def leg_packets(
    segments: list[tuple[float, np.ndarray]],
    *,
    port_offset: int,
    ssrc: int,
    seq0: int = 1000,
    ts0: int = 50000,
) -> list[TimedPacket]:
    """PCMU packets for `segments` of (start second, int16 audio of whole 20 ms frames): sequence
    numbers run on across segments and the RTP timestamp follows the start times, as a sender's
    clock does across a hold."""
    packets: list[TimedPacket] = []
    seq = seq0
    for start, audio in segments:
        assert len(audio) % FRAME == 0, "segments must be whole 20 ms frames"
        for index in range(len(audio) // FRAME):
            offset = round(start * 8000) + index * FRAME
            payload = mulaw_encode(audio[index * FRAME : (index + 1) * FRAME])
            packets.append(
                TimedPacket(offset / 8000, port_offset, rtp_packet(seq, ts0 + offset, ssrc, payload))
            )
            seq += 1
    return packets


def write_pcap(path: Path, packets: list[TimedPacket]) -> None:
    """An Ethernet/IPv4/UDP capture of `packets`, in time order, from 10.0.0.1 to 10.0.0.2."""
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for packet in sorted(packets, key=lambda p: (p.time, p.port_offset)):
            udp = struct.pack(
                "!HHHH", 30000 + packet.port_offset, BASE_PORT + packet.port_offset, 8 + len(packet.data), 0
            )
            ip = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(packet.data), 0, 0, 64, 17, 0,
                bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]),
            )  # fmt: skip
            frame = b"\x00" * 12 + b"\x08\x00" + ip + udp + packet.data
            seconds = int(packet.time)
            f.write(
                struct.pack("<IIII", seconds, round((packet.time - seconds) * 1e6), len(frame), len(frame))
            )
            f.write(frame)
