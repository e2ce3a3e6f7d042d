"""The contact-center core: agents, queues, routing, metrics. Pure, synchronous, no I/O.

The core reads time from a :class:`~switchboard.core.clock.Clock`, acts on calls only through the
:class:`~switchboard.core.ports.CallControl` port and records every change as an event in an
append-only log (:class:`~switchboard.core.log.EventLog`). The same code runs under the simulator
(virtual clock, simulated callers) and under the telephony layer (real clock, real calls).
"""
