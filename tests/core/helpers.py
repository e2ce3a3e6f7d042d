"""A recording CallControl and a small center factory for core tests."""

from __future__ import annotations

from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.events import Event
from switchboard.core.log import EventLog
from switchboard.core.queues import QueueConfig


class RecordingPort:
    """Implements CallControl by writing down each command, for assertions on outcomes."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []

    def answer(self, call_id: str) -> None:
        self.commands.append(("answer", call_id))

    def play(self, call_id: str, prompt: str) -> None:
        self.commands.append(("play", call_id, prompt))

    def ring_agent(self, call_id: str, agent_id: str) -> None:
        self.commands.append(("ring", call_id, agent_id))

    def stop_ringing(self, call_id: str, agent_id: str) -> None:
        self.commands.append(("stop_ringing", call_id, agent_id))

    def bridge(self, call_id: str, agent_id: str) -> None:
        self.commands.append(("bridge", call_id, agent_id))

    def hold(self, call_id: str) -> None:
        self.commands.append(("hold", call_id))

    def resume(self, call_id: str) -> None:
        self.commands.append(("resume", call_id))

    def originate(self, call_id: str, number: str, agent_id: str) -> None:
        self.commands.append(("originate", call_id, number, agent_id))

    def hang_up(self, call_id: str) -> None:
        self.commands.append(("hang_up", call_id))


class Rig:
    """A center on a virtual clock with a recording port and an in-memory log."""

    def __init__(self, *queues: QueueConfig) -> None:
        self.clock = VirtualClock()
        self.port = RecordingPort()
        self.log = EventLog()
        self.center = ContactCenter(clock=self.clock, port=self.port, sink=self.log)
        for q in queues or (QueueConfig(queue_id="sales"),):
            self.center.add_queue(q)

    def agent(self, agent_id: str, *queues: str, login: bool = True, **skills: int) -> Agent:
        agent = self.center.add_agent(
            Agent(agent_id, queues=queues or ("sales",), skills=skills or None)
        )
        if login:
            self.center.login(agent_id)
        return agent

    def call(self, call_id: str, queue_id: str = "sales", **kwargs: object) -> None:
        self.center.call_arrived(call_id, caller=f"+1555{call_id}")
        self.center.enqueue(call_id, queue_id, **kwargs)  # type: ignore[arg-type]

    def advance(self, seconds: float) -> None:
        """Move the clock forward, firing the center's timers on the way, in order."""
        end = self.clock.now() + seconds
        while (t := self.center.get_timer()) is not None and t <= end:
            self.clock.advance_to(max(t, self.clock.now()))
            self.center.handle_timer(t)
        self.clock.advance_to(end)

    def events(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.log if isinstance(e, kind)]
