"""SIPREC (RFC 7866) recording-server protocol: SIP messages, SDP, recording metadata, digest auth."""
