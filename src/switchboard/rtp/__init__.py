"""Sans-I/O media for Switchboard: RTP/RTCP packets, G.711, RFC 4733 DTMF, tones, WAV, sessions,
jitter buffer and mixer.

Nothing here opens a socket, starts a task or reads a clock: bytes and ``now`` go in, events,
datagrams and timer deadlines come out.  The package imports nothing else of Switchboard's.
See ``docs/rtp.md``.
"""
