"""Random values for tags, branches and RTP streams, from the OS's CSPRNG in 4 KiB draws.

Every call needs a few: a To tag, Via branches, an RTP stream's SSRC, first sequence number
and timestamp. One ``getrandom`` system call per 4 KiB instead of one per value.
"""

from __future__ import annotations

import os
import secrets


class Entropy:
    """Bytes from :func:`secrets.token_bytes`, drawn 4 KiB at a time and handed out once."""

    __slots__ = ("_buffer", "_pos")

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0

    def reset(self) -> None:
        """Forget the buffered bytes (a forked child must not reuse its parent's)."""
        self._buffer, self._pos = b"", 0

    def take(self, size: int) -> bytes:
        """``size`` fresh random bytes."""
        if self._pos + size > len(self._buffer):
            self._buffer, self._pos = secrets.token_bytes(4096), 0
        chunk = self._buffer[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def hex(self, size: int) -> str:
        """``size`` random bytes as lower-case hex."""
        return self.take(size).hex()

    def bits(self, count: int) -> int:
        """A random integer of ``count`` bits."""
        return int.from_bytes(self.take((count + 7) // 8), "big") >> (-count % 8)


entropy = Entropy()
"""The process's buffer (reset in a forked child)."""
os.register_at_fork(after_in_child=entropy.reset)
