"""The SIP listener a process runs, built from its settings (``CALLVAULT_SIP_*``)."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass

from callvault.api.sip.rtp_ports import RtpPortPool, parse_port_range
from callvault.api.sip.server import SipServer
from callvault.api.sip.transport import ConnectionLimits
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
    tls: tuple[int, ssl.SSLContext] | None = None


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
        _tls(settings),
    )


def _tls(settings: Settings) -> tuple[int, ssl.SSLContext] | None:
    if settings.sip_tls_port is None:
        return None
    if settings.sip_tls_cert is None or settings.sip_tls_key is None:
        raise ValueError("SIP over TLS needs CALLVAULT_SIP_TLS_CERT and CALLVAULT_SIP_TLS_KEY")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.sip_tls_cert, settings.sip_tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load the SIP TLS certificate and key: {exc}") from None
    return settings.sip_tls_port, context


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
        session_threads=settings.sip_session_threads,
        media_timeout=settings.sip_media_timeout,
        max_hold=settings.sip_max_hold,
        max_session_length=settings.max_live_session_seconds,
        jitter_delay=settings.sip_jitter_buffer,
        connections=ConnectionLimits(
            max_connections=settings.sip_max_connections,
            max_per_address=settings.sip_max_connections_per_address,
            message_timeout=settings.sip_message_timeout,
            idle_timeout=settings.sip_idle_timeout,
        ),
        udp=plan.udp,
        tcp=plan.tcp,
        tls=plan.tls,
    )
