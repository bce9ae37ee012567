"""The SIP listener: callvault as a SIPREC Session Recording Server (RFC 7866), over UDP and TCP."""
