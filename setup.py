"""Build hook for the one optional build step: compiling the hot modules with mypyc.

``pip install .`` (or ``pip wheel .``) with ``SWITCHBOARD_MYPYC=1`` compiles the contact-center
core, the simulator and the SIP stack to C extensions with mypyc (mypy's compiler: the same
type annotations, checked strictly, become native code). Nothing else changes: the same Python
source, the same tests (``make test`` runs the core, simulator, SIP and telephony tests
against the compiled build too). It needs
mypy and a C compiler at build time, so build without isolation:
``SWITCHBOARD_MYPYC=1 pip install --no-build-isolation .``. Without the variable, the package
is pure Python, as in development (``pip install -e .``).
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = [
    "src/switchboard/core/agents.py",
    "src/switchboard/core/center.py",
    "src/switchboard/core/clock.py",
    "src/switchboard/core/errors.py",
    "src/switchboard/core/events.py",
    "src/switchboard/core/log.py",
    "src/switchboard/core/metrics.py",
    "src/switchboard/core/ports.py",
    "src/switchboard/core/queues.py",
    "src/switchboard/core/routing.py",
    "src/switchboard/sim/distributions.py",
    "src/switchboard/sim/engine.py",
    "src/switchboard/sip/_grammar.py",
    "src/switchboard/sip/auth.py",
    "src/switchboard/sip/checks.py",
    "src/switchboard/sip/dialog.py",
    "src/switchboard/sip/errors.py",
    "src/switchboard/sip/headers.py",
    "src/switchboard/sip/message.py",
    "src/switchboard/sip/parser.py",
    "src/switchboard/sip/refer.py",
    "src/switchboard/sip/replaces.py",
    "src/switchboard/sip/sdp.py",
    "src/switchboard/sip/session_timer.py",
    "src/switchboard/sip/timers.py",
    "src/switchboard/sip/transaction.py",
    "src/switchboard/sip/uri.py",
    "src/switchboard/sip/values.py",
    "src/switchboard/telephony/dispatch.py",
    "src/switchboard/telephony/entropy.py",
    "src/switchboard/telephony/guard.py",
    "src/switchboard/telephony/media.py",
    "src/switchboard/telephony/session_timers.py",
    "src/switchboard/telephony/switch.py",
    "src/switchboard/telephony/ua.py",
    "src/switchboard/telephony/udp.py",
]
"""Modules compiled with SWITCHBOARD_MYPYC=1: the core, the simulator's engine, the sans-I/O
SIP stack (every module of ``switchboard.sip``: parser, transactions, dialogs, SDP, auth) and
the telephony modules every call goes through (the UDP endpoint, the transports' dispatch, the
user agent, the switch, the source guard, the random source, the media ports, the session
timers; the listeners in transport.py stay interpreted: they subclass asyncio's protocols, and
a test subclasses the transport)."""


def ext_modules() -> list[object]:
    if os.environ.get("SWITCHBOARD_MYPYC", "").lower() not in ("1", "true", "yes"):
        return []
    from mypyc.build import mypycify

    return list(mypycify(COMPILED, opt_level="3"))


setup(ext_modules=ext_modules())
