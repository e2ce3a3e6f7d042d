"""Mixing 8 kHz int16 frames for conferences, barge-in, whisper and silent monitoring.

Every leg of a bridge is both a talker (its frame goes in) and a listener (a frame comes out).
Who hears whom is a matrix: ``audible[listener]`` is the set of talkers that listener hears
(never itself).  :func:`mix_for_listeners` computes every listener's frame in one matrix product
of the 0/1 matrix and the stacked talker frames (int64, so nothing overflows), then saturates to
int16, so that loud talkers clip instead of wrapping around.

Supervisor modes for a call between ``caller`` and ``agent``:

* :func:`monitor` - the supervisor hears both; nobody hears the supervisor.
* :func:`whisper` - the supervisor hears both; only the agent hears the supervisor (coaching).
* :func:`barge`   - a three-way conference: everybody hears everybody else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .g711 import check_pcm

__all__ = ["barge", "conference", "mix", "mix_for_listeners", "monitor", "whisper"]

Pcm = npt.NDArray[np.int16]


def mix(frames: Sequence[npt.ArrayLike], gains: Sequence[float] | None = None) -> Pcm:
    """Sum equal-length int16 frames (optionally scaled by ``gains``), saturating to int16."""
    if not frames:
        raise ValueError("nothing to mix")
    arrays = [check_pcm(f) for f in frames]
    if len({a.size for a in arrays}) != 1:
        raise ValueError(f"frames must have equal lengths, got {[a.size for a in arrays]}")
    stacked = np.stack(arrays).astype(np.int64)
    if gains is None:
        total = stacked.sum(axis=0)
    else:
        if len(gains) != len(frames):
            raise ValueError(f"{len(gains)} gains for {len(frames)} frames")
        total = np.round(np.asarray(gains, dtype=np.float64) @ stacked).astype(np.int64)
    out: Pcm = np.clip(total, -32768, 32767).astype(np.int16)
    return out


def mix_for_listeners(
    frames: Mapping[str, npt.ArrayLike],
    audible: Mapping[str, Collection[str]],
    *,
    frame_samples: int = 160,
) -> dict[str, Pcm]:
    """Each listener's frame: the saturated sum of the talkers it hears.

    A talker missing from ``frames`` (no packet this tick) counts as silence.  A listener
    never hears itself even if listed.  Every frame must be ``frame_samples`` long.
    """
    talkers = sorted({t for heard in audible.values() for t in heard} | set(frames))
    index = {name: i for i, name in enumerate(talkers)}
    stacked = np.zeros((len(talkers), frame_samples), dtype=np.int64)
    for name, frame in frames.items():
        samples = check_pcm(frame)
        if samples.size != frame_samples:
            raise ValueError(f"frame of {name!r} has {samples.size} samples, not {frame_samples}")
        stacked[index[name]] = samples
    listeners = list(audible)
    matrix = np.zeros((len(listeners), len(talkers)), dtype=np.int64)
    for row, listener in enumerate(listeners):
        for talker in audible[listener]:
            if talker != listener:
                matrix[row, index[talker]] = 1
    mixed = np.clip(matrix @ stacked, -32768, 32767).astype(np.int16)
    return {listener: mixed[row] for row, listener in enumerate(listeners)}


def conference(legs: Collection[str]) -> dict[str, set[str]]:
    """Everybody hears everybody else."""
    return {leg: set(legs) - {leg} for leg in legs}


def monitor(caller: str, agent: str, supervisor: str) -> dict[str, set[str]]:
    """Silent monitoring: the supervisor listens, unheard."""
    return {caller: {agent}, agent: {caller}, supervisor: {caller, agent}}


def whisper(caller: str, agent: str, supervisor: str) -> dict[str, set[str]]:
    """Whisper (coaching): the agent hears caller and supervisor; the caller hears only the
    agent; the supervisor hears both."""
    return {caller: {agent}, agent: {caller, supervisor}, supervisor: {caller, agent}}


def barge(caller: str, agent: str, supervisor: str) -> dict[str, set[str]]:
    """Barge-in: a three-way conference."""
    return conference((caller, agent, supervisor))
