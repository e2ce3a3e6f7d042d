"""Prometheus metrics of the SIP server: messages, drops by reason, calls, registrations.

Scrapes run on the API's worker threads while the SIP server mutates its tables on the event
loop: counters are plain integers (a racy read is at worst one scrape behind), and the tables
are copied before they are walked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from switchboard.telephony.server import Server


class TelephonyCollector(Collector):
    """Reads the server's counters at scrape time (nothing on the hot path)."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        transport = self.server.transport
        stats = transport.stats
        messages = CounterMetricFamily("switchboard_sip_messages",
                                       "SIP messages received and sent", labels=["direction"])
        messages.add_metric(["received"], stats.received)
        messages.add_metric(["sent"], stats.sent)
        yield messages
        drops = CounterMetricFamily("switchboard_sip_dropped",
                                    "SIP messages dropped or refused, by reason",
                                    labels=["reason"])
        drops.add_metric(["malformed_answered"], stats.rejected)
        drops.add_metric(["malformed_unanswerable"], stats.dropped_malformed)
        drops.add_metric(["flood"], stats.dropped_flood)
        drops.add_metric(["blocked_source"], stats.dropped_blocked)
        drops.add_metric(["send_error"], stats.send_errors)
        drops.add_metric(["transaction_cap"], self.server.ua.refused_overload)
        drops.add_metric(["stray_response"], self.server.ua.stray_responses)
        yield drops
        switch = self.server.switch
        calls = CounterMetricFamily("switchboard_sip_switch", "Call handling counters",
                                    labels=["counter"])
        for f in fields(switch.stats):
            calls.add_metric([f.name], getattr(switch.stats, f.name))
        yield calls
        now = self.server.ua.now()
        registered = GaugeMetricFamily("switchboard_sip_registered_users",
                                       "Users with a live registration")
        live = 0
        for _ in range(3):  # the loop may change the table while we copy it
            try:
                live = sum(1 for aor in list(switch.location.aors())
                           if switch.location.lookup(aor, now))
                break
            except RuntimeError:
                continue
        registered.add_metric([], live)
        yield registered
        legs = GaugeMetricFamily("switchboard_sip_call_legs", "Call legs with a dialog up")
        legs.add_metric([], switch.active_calls())
        yield legs
