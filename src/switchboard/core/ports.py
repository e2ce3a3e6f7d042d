"""The ports through which the core acts on the world and records what happened.

:class:`CallControl` is implemented twice: by the telephony layer over real SIP/RTP calls, and by
the simulator over simulated callers and agents. :class:`EventSink` receives every event before
it takes effect; the in-memory :class:`~switchboard.core.log.EventLog` is one, the store's durable
log another.
"""

from __future__ import annotations

from typing import Protocol

from switchboard.core.events import Event


class EventSink(Protocol):
    """Receives each event, in order, before the core acts on it."""

    def append(self, event: Event) -> None:
        """Record ``event``. Raising here stops the core from acting on it."""
        ...


class CallControl(Protocol):
    """What the core can ask of a call. Calls and agents are named by their string ids.

    Every method returns at once; outcomes come back as calls on the
    :class:`~switchboard.core.center.ContactCenter` (``offer_answered``, ``caller_hung_up`` ...).
    """

    def answer(self, call_id: str) -> None:
        """Answer an inbound call (for an IVR or a queue's music)."""
        ...

    def play(self, call_id: str, prompt: str) -> None:
        """Play a prompt (announcement, position in queue, music) to the caller."""
        ...

    def ring_agent(self, call_id: str, agent_id: str) -> None:
        """Offer the call to the agent: ring the agent's phone or desktop."""
        ...

    def stop_ringing(self, call_id: str, agent_id: str) -> None:
        """Withdraw an offer (RONA, or the caller hung up while it rang)."""
        ...

    def bridge(self, call_id: str, agent_id: str) -> None:
        """Connect the caller with the agent who answered."""
        ...

    def hold(self, call_id: str) -> None:
        """Put the caller on hold (music on hold)."""
        ...

    def resume(self, call_id: str) -> None:
        """Take the caller off hold."""
        ...

    def originate(self, call_id: str, number: str, agent_id: str) -> None:
        """Place an outbound call to ``number`` on behalf of ``agent_id`` (callbacks, preview)."""
        ...

    def hang_up(self, call_id: str) -> None:
        """End the call."""
        ...
