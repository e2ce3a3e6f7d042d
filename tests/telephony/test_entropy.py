"""The buffered random source of tags, branches and RTP streams."""

from __future__ import annotations

import os

from switchboard.telephony.entropy import Entropy, entropy


def test_values_have_the_asked_size_and_do_not_repeat() -> None:
    source = Entropy()
    values = [source.bits(80) for _ in range(2000)]  # several 4 KiB draws
    assert all(0 <= v < 2**80 for v in values)
    assert len(set(values)) == len(values)
    assert max(v.bit_length() for v in values) == 80
    assert {source.bits(3) for _ in range(400)} == set(range(8))
    assert len(source.hex(4)) == 8


def test_a_forked_child_draws_its_own_bytes() -> None:
    entropy.take(1)  # the parent holds a buffer
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, entropy.take(16))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 16)
    os.close(read)
    os.close(write)
    assert child != entropy.take(16)  # the parent's next bytes are not the child's
