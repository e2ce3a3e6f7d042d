"""Run a center on a durable log forever, printing each acknowledged event id (crash tests).

Usage: ``python crash_writer.py <database url>``. The parent kills it with SIGKILL mid-way.
A line ``<id>`` is written to stdout after the append of event ``<id>`` has returned.
"""

from __future__ import annotations

import os
import random
import sys

from switchboard.core.agents import Agent
from switchboard.core.center import CallState, ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.events import AgentState, Event
from switchboard.core.queues import QueueConfig
from switchboard.store.db import create_engine
from switchboard.store.eventlog import DurableEventLog

AGENTS = ("a1", "a2", "a3", "a4")
QUEUE = QueueConfig(queue_id="sales", tenant="acme", ring_timeout=3, wrap_up=2, max_wait=30)


class QuietPort:
    """A CallControl that does nothing: the driver reads the center's state instead."""

    def answer(self, call_id: str) -> None: ...
    def play(self, call_id: str, prompt: str) -> None: ...
    def ring_agent(self, call_id: str, agent_id: str) -> None: ...
    def stop_ringing(self, call_id: str, agent_id: str) -> None: ...
    def bridge(self, call_id: str, agent_id: str) -> None: ...
    def hold(self, call_id: str) -> None: ...
    def resume(self, call_id: str) -> None: ...
    def originate(self, call_id: str, number: str, agent_id: str) -> None: ...
    def hang_up(self, call_id: str) -> None: ...


def build_center(log: DurableEventLog, clock: VirtualClock) -> ContactCenter:
    """The center of the crash tests (also used by the test to rebuild)."""
    center = ContactCenter(clock=clock, port=QuietPort(), sink=log)
    center.add_queue(QUEUE)
    for agent_id in AGENTS:
        center.add_agent(Agent(agent_id, queues=("sales",)))
    return center


class Driver:
    """Random traffic on a center: arrivals, answers, holds, hang-ups, pauses, dispositions."""

    def __init__(self, center: ContactCenter, clock: VirtualClock, seed: int = 7) -> None:
        self.center = center
        self.clock = clock
        self.rng = random.Random(seed)
        self.prefix = f"{os.getpid()}-"  # call ids unique across runs on the same log
        self.n = 0
        for agent_id in AGENTS:
            center.login(agent_id)

    def tick(self) -> None:
        """One second of traffic."""
        center, rng = self.center, self.rng
        self.clock.advance(1.0)
        center.handle_timer(self.clock.now())
        if rng.random() < 0.6:
            self.n += 1
            call_id = f"{self.prefix}c{self.n}"
            center.call_arrived(call_id, caller=f"+1555{self.n % 40:04d}", tenant="acme")
            center.enqueue(call_id, "sales")
        for call_id, call in list(center.calls.items()):
            if call.state is CallState.RINGING and rng.random() < 0.7:
                center.offer_answered(call_id, call.agent_id)
            elif call.state is CallState.TALKING:
                r = rng.random()
                if r < 0.15:
                    center.hold(call_id)
                elif r < 0.4:
                    center.agent_hung_up(call_id)
                elif r < 0.55:
                    center.caller_hung_up(call_id)
            elif call.state is CallState.ON_HOLD and rng.random() < 0.5:
                center.resume(call_id)
            elif call.state is CallState.QUEUED and rng.random() < 0.05:
                center.caller_hung_up(call_id)
        for agent in center.agents.values():
            if agent.state is AgentState.PAUSED and rng.random() < 0.5:
                center.ready(agent.agent_id)
            elif agent.state is AgentState.WRAP_UP and rng.random() < 0.1:
                center.disposition(agent.call_id, agent.agent_id, "done", resolved=True)


def main(url: str) -> None:
    log = DurableEventLog(create_engine(url), tenant="acme")

    def acknowledge(_event: Event) -> None:
        os.write(1, f"{log.last_id}\n".encode())

    log.subscribe(acknowledge)
    clock = VirtualClock(1000.0)
    driver = Driver(build_center(log, clock), clock)
    while True:
        driver.tick()


if __name__ == "__main__":
    main(sys.argv[1])
