"""Tenant isolation: walk EVERY operation of the OpenAPI document as users of tenant ``acme``
against the objects of tenant ``globex``, and check that nothing crosses.

For each operation the path parameters name globex's objects (its queue, agent, call, token,
contact, delivery ...) and the body refers to globex's objects wherever the schema has a
reference. The walk asserts, for every response: no 2xx on an operation aimed at a globex
object; no globex name, key or number anywhere in a response; and, at the end, that every row
globex owns is exactly as before. A new route that the walk does not know fails the test (the
walk covers the document, not a list kept by hand). The live feed is checked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.websockets import WebSocketDisconnect

from switchboard.api.services.scope import owned
from switchboard.store import models as m
from switchboard.store.models import Base
from tests.api.conftest import Actor, Objects, World, populate, unique_name

B_MARKERS = ("zzb", "globex", "+19990", "Globex")
"""Strings that only globex's data contains."""

QUERIES: dict[str, dict[str, Any]] = {
    "list_agents": {"key": "zzb-agent"}, "list_queues": {"key": "zzb-support"},
    "list_skills": {"name": "zzb-skill"}, "list_ivr_flows": {"name": "zzb-main"},
    "list_dids": {"number": "+199900100"}, "list_trunks": {"name": "zzb-carrier"},
    "list_campaigns": {"key": "zzb-campaign"}, "list_dispositions": {"code": "zzb-sale"},
    "list_dnc": {"number": "+199900300"}, "list_callbacks": {"number": "+199900400"},
    "list_users": {"username": "globex-agent"}, "list_audit": {"actor": "globex-admin"},
    "list_interactions": {"caller": "+18880001"}, "list_tenants": {"slug": "globex"},
}
"""Filters naming globex's objects: the answer must be empty (or refused)."""


def bodies(b: Objects, a: Objects) -> dict[str, dict[str, Any]]:
    """A valid body for each operation, pointing at globex's objects where it can."""
    bk, bi = b.keys, b.ids
    return {
        "login": {"username": "globex-admin", "password": "not the password"},
        "create_my_token": {"name": "mine"},
        "create_tenant": {"slug": unique_name("t")},
        "update_tenant": {"version": 1, "name": "taken over"},
        "create_user": {"username": unique_name("u"), "role": "agent",
                        "password": "a long enough password"},
        "update_user": {"version": 1, "email": "x@example.com"},
        "create_user_token": {"name": "stolen"},
        "create_skill": {"name": unique_name("s")},
        "update_skill": {"version": 1, "description": "changed"},
        "create_agent": {"key": unique_name("a"), "extension": "5555",
                         "skills": {bk["skill"]: 3}, "queues": [bk["queue"]]},
        "update_agent": {"version": 1, "name": "changed"},
        "put_agent_skills": {"version": 1, "skills": {}},
        "create_queue": {"key": unique_name("q"), "overflow_after": 10,
                         "overflow_to": bk["queue"]},
        "update_queue": {"version": 1, "name": "changed"},
        "create_ivr_flow": {"name": unique_name("f"), "source": "greeting: hi\n"},
        "update_ivr_flow": {"version": 1, "source": "greeting: changed\n"},
        "create_did": {"number": "+17770001", "entry_kind": "queue", "entry": bk["queue"],
                       "trunk_id": bi["trunk"]},
        "update_did": {"version": 1, "entry_kind": "queue", "entry": a.keys["queue"]},
        "create_trunk": {"name": unique_name("t"), "host": "sip.example.org"},
        "update_trunk": {"version": 1, "host": "evil.example.org"},
        "create_contact_list": {"name": unique_name("l")},
        "update_contact_list": {"version": 1, "name": "changed"},
        "create_contact": {"key": unique_name("c"), "number": "+17770002"},
        "update_contact": {"name": "changed"},
        "create_campaign": {"key": unique_name("c"), "queue_id": bi["queue"],
                            "list_id": bi["contact_list"]},
        "update_campaign": {"version": 1, "queue_id": a.ids["queue"]},
        "create_disposition": {"code": unique_name("d"), "campaign_id": bi["campaign"]},
        "update_disposition": {"version": 1, "label": "changed"},
        "create_dnc_entry": {"number": "+17770003"},
        "update_dnc_entry": {"source": "changed"},
        "create_callback": {"number": "+17770004", "queue_id": bi["queue"],
                            "agent_id": bi["agent"]},
        "update_callback": {"status": "cancelled"},
        "create_webhook": {"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"},
        "update_webhook": {"version": 1, "url": "http://127.0.0.1:9/stolen"},
        "agent_pause": {"reason": "lunch"},
        "agent_force_state": {"state": "logged_out"},
        "call_answer": {"agent_id": bi["agent"]},
        "call_transfer": {"queue_id": bi["queue"]},
        "call_disposition": {"code": bk["disposition"], "agent_id": bi["agent"]},
        "call_note": {"text": "peeking"},
        "call_monitor": {"mode": "listen"},
    }


def path_values(world: World, b: Objects) -> dict[str, Any]:
    """Globex's object for each path parameter name."""
    with world.engine.connect() as connection:
        token_id = connection.execute(sa.select(m.ApiToken.id).where(
            m.ApiToken.user_id == world.b.agent.user_id)).scalar_one()
    values: dict[str, Any] = {f"{name}_id": value for name, value in b.ids.items()}
    values.update(token_id=token_id, call_id="b-call-1", dnc_entry_id=b.ids["dnc_entry"])
    return values


def globex_rows(world: World) -> dict[str, list[Any]]:
    """Every row globex owns, table by table."""
    tid = world.b.tenant_id
    out: dict[str, list[Any]] = {}
    with world.engine.connect() as connection:
        for mapper in Base.registry.mappers:
            model = mapper.class_
            try:
                where = owned(model, tid, "globex")
            except TypeError:
                continue
            rows = connection.execute(sa.select(model.__table__).where(where)).all()
            out[model.__tablename__] = sorted((tuple(r) for r in rows), key=repr)
        out["tenant"] = [tuple(connection.execute(
            sa.select(m.Tenant.__table__).where(m.Tenant.id == tid)).one())]
        for table, column, parent in (("agent_skills", "agent_id", m.Agent),
                                      ("agent_queues", "agent_id", m.Agent),
                                      ("queue_skills", "queue_id", m.Queue)):
            ids = sa.select(parent.id).where(parent.tenant_id == tid)
            t = Base.metadata.tables[table]
            rows = connection.execute(sa.select(t).where(t.c[column].in_(ids))).all()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
def two_tenants(world: World) -> Iterator[tuple[World, Objects, Objects]]:
    """Both tenants populated; a live call ringing globex's agent; a delivery and an
    interaction of globex's."""
    world.state.webhooks.enqueue()  # the dispatcher starts following the log here
    a = populate(world, world.a, "aa", "5551")
    b = populate(world, world.b, "zzb", "9990")
    c = world.client
    assert c.post(f"/agents/{b.ids['agent']}/login", headers=world.b.agent.auth
                  ).status_code == 200
    assert c.post(f"/agents/{a.ids['agent']}/login", headers=world.a.agent.auth
                  ).status_code == 200
    centers = world.state.centers
    assert centers is not None
    with centers.lock:
        center = centers.center("globex")
        center.call_arrived("b-call-0", caller="+18880001", tenant="globex")
        center.enqueue("b-call-0", "zzb-support")
    assert c.post("/calls/b-call-0/answer", json={}, headers=world.b.agent.auth
                  ).status_code == 200
    assert c.post("/calls/b-call-0/hangup", headers=world.b.agent.auth).status_code == 200
    with centers.lock:
        center.call_arrived("b-call-1", caller="+18880001", tenant="globex")
        center.enqueue("b-call-1", "zzb-support")  # rings globex's agent (wrap-up is 0)
        assert center.calls["b-call-1"].agent_id == "zzb-agent"
    world.state.update_interactions()
    assert world.state.webhooks.enqueue() > 0
    with world.engine.connect() as connection:
        delivery = connection.execute(sa.select(m.WebhookDelivery.id).where(
            m.WebhookDelivery.webhook_id == b.ids["webhook"])).scalars().first()
    assert delivery is not None
    b.ids["delivery"] = delivery
    yield world, a, b


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _leaks(text: str, sent: Any = None) -> list[str]:
    """Globex markers in ``text`` that the request did not send itself (an error may echo
    the value it refuses; that reveals nothing)."""
    for echoed in sorted(_strings(sent), key=len, reverse=True):
        text = text.replace(json.dumps(echoed)[1:-1], "").replace(echoed, "")
    return [marker for marker in B_MARKERS if marker in text]


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "root"])
def test_every_route_stays_in_its_tenant(two_tenants: tuple[World, Objects, Objects],
                                         role: str) -> None:
    world, a, b = two_tenants
    c = world.client
    actor: Actor = world.root if role == "root" else getattr(world.a, role)
    headers = {**actor.auth, **({"X-Tenant": "acme"} if role == "root" else {})}
    spec = c.get("/openapi.json").json()
    body_for = bodies(b, a)
    params = path_values(world, b)
    if role == "root":
        # A platform admin manages every tenant by design: on /tenants it works on a scratch
        # tenant of its own; everywhere else X-Tenant: acme must keep it in acme.
        scratch = c.post("/tenants", json={"slug": "scratch"}, headers=world.root.auth)
        params["tenant_id"] = scratch.json()["id"]
    before = globex_rows(world)
    walked: set[tuple[str, str]] = set()
    problems: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            op = operation["operationId"]
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            url = path.format(**{n: params[n] for n in names})
            body = body_for.get(op) if "requestBody" in operation else None
            if "requestBody" in operation and body is None:
                problems.append(f"{method.upper()} {path}: no body known for {op}")
                continue
            platform = role == "root" and path.startswith("/tenants")
            query = QUERIES.get(op, {}) if method == "get" and not platform else {}
            response = c.request(method.upper(), url, json=body, params=query,
                                 headers=headers)
            walked.add((method, path))
            where = f"{method.upper()} {url} as {role}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code} {response.text[:200]}")
            if platform:
                continue
            if leaked := _leaks(response.text, [body, query]):
                problems.append(f"{where}: response shows {leaked}: {response.text[:300]}")
            aimed = bool(names) and path not in ("/auth/tokens/{token_id}",)
            if aimed and response.status_code < 400:
                problems.append(f"{where}: {response.status_code} on globex's object")
            if query and response.status_code == 200:
                total = response.json().get("total")
                if total:
                    problems.append(f"{where}: filter on globex's data found {total}")
    assert not problems, "\n".join(problems)
    assert walked == {(meth, p) for p, ops in spec["paths"].items() for meth in ops}
    assert globex_rows(world) == before


def test_live_feed_stays_in_its_tenant(two_tenants: tuple[World, Objects, Objects]) -> None:
    world, a, b = two_tenants
    c = world.client
    centers = world.state.centers
    assert centers is not None
    with c.websocket_connect("/ws/events", headers=world.a.supervisor.auth) as feed:
        hello = feed.receive_json()
        assert hello["type"] == "hello" and hello["tenant"] == "acme"
        # globex's activity first, then a sentinel in acme: the sentinel must be the first
        # event the acme supervisor receives.
        assert c.post(f"/agents/{b.ids['agent']}/pause", json={"reason": "zzb-break"},
                      headers=world.b.agent.auth).status_code == 200
        with centers.lock:
            centers.center("globex").call_arrived("b-call-2", caller="+18880002",
                                                  tenant="globex")
        centers.flush()
        assert c.post(f"/agents/{a.ids['agent']}/pause", json={"reason": "sentinel"},
                      headers=world.a.agent.auth).status_code == 200
        seen = []
        while True:
            message = feed.receive_json()
            seen.append(message)
            if message["type"] == "event" and message["event"].get("reason") == "sentinel":
                break
        text = json.dumps(seen)
        assert not _leaks(text), text
        assert all(msg["tenant"] == "acme" for msg in seen)
    # an acme user asking for globex's feed is refused at the handshake
    with pytest.raises(WebSocketDisconnect) as refused, \
            c.websocket_connect("/ws/events?tenant=globex", headers=world.a.supervisor.auth):
        pass
    assert refused.value.code == 1008
