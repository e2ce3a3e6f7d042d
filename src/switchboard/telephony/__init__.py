"""Telephony: the asyncio shells around the sans-I/O SIP and RTP packages, the registrar, the
B2BUA and the media engine; implements the core's CallControl over real calls."""
