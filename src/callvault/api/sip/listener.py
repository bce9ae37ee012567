"""The SIP listener a process runs, built from its settings (``CALLVAULT_SIP_*``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from callvault.api.sip.rtp_ports import RtpPortPool, parse_port_range
from callvault.api.sip.server import SipServer
from callvault.services.container import Services
from callvault.services.siprec import SiprecCalls
from callvault.settings import Settings

__all__ = ["ListenPlan", "build_sip_server", "plan_listener"]


@dataclass(frozen=True)
class ListenPlan:
    host: str
    port: int
    rtp_ports: tuple[int, int]
    media_address: str
    udp: bool
    tcp: bool


def plan_listener(settings: Settings, listen: str) -> ListenPlan:
    """Where and how to listen; ValueError with the reason when the settings cannot work."""
    host, sep, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"the SIP listen address must be HOST:PORT, got {listen!r}")
    media_address = settings.sip_media_address or host
    try:
        unspecified = ipaddress.ip_address(media_address).is_unspecified
    except ValueError:
        raise ValueError(f"the SIP media address must be an IP address, got {media_address!r}") from None
    if unspecified:
        raise ValueError(
            f"listening on {host}: set CALLVAULT_SIP_MEDIA_ADDRESS to the address SIPREC clients send RTP to"
        )
    transports = settings.sip_transports.split(",")
    return ListenPlan(
        host,
        int(port),
        parse_port_range(settings.sip_rtp_ports),
        media_address,
        "udp" in transports,
        "tcp" in transports,
    )


def build_sip_server(services: Services, listen: str) -> SipServer:
    settings = services.settings
    plan = plan_listener(settings, listen)
    return SipServer(
        SiprecCalls(services),
        host=plan.host,
        port=plan.port,
        media_address=plan.media_address,
        rtp_ports=RtpPortPool(plan.host, *plan.rtp_ports),
        realm=settings.sip_realm,
        media_timeout=settings.sip_media_timeout,
        jitter_delay=settings.sip_jitter_buffer,
        udp=plan.udp,
        tcp=plan.tcp,
    )
