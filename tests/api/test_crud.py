"""CRUD through the API: paging, filters, validation naming the field, unknown fields,
uniqueness, optimistic locking, audit entries, and a database untouched by refused requests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from switchboard.store.models import Agent, AuditEntry
from tests.api.conftest import World


def test_create_read_update_delete_with_audit(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    created = c.post("/skills", json={"name": "french", "description": "French speakers"},
                     headers=h)
    assert created.status_code == 201
    skill = created.json()
    assert skill["version"] == 1 and created.headers["ETag"] == '"1"'
    read = c.get(f"/skills/{skill['id']}", headers=h)
    assert read.json() == skill
    changed = c.patch(f"/skills/{skill['id']}", json={"version": 1, "description": "Français"},
                      headers=h)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["description"] == "Français"
    gone = c.delete(f"/skills/{skill['id']}", headers={**h, "If-Match": '"2"'})
    assert gone.status_code == 204
    assert c.get(f"/skills/{skill['id']}", headers=h).status_code == 404

    audit = c.get("/audit", params={"object_type": "skill"}, headers=h).json()
    actions = [(e["action"], e["actor"]) for e in audit["items"]]
    assert actions == [("delete", "acme-admin"), ("update", "acme-admin"),
                       ("create", "acme-admin")]
    update = audit["items"][1]
    assert update["before"]["description"] == "French speakers"
    assert update["after"]["description"] == "Français"
    assert audit["items"][0]["before"]["version"] == 2 and audit["items"][0]["after"] is None


def test_paging_and_filters(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    for i in range(7):
        assert c.post("/skills", json={"name": f"skill-{i}"}, headers=h).status_code == 201
    page = c.get("/skills", params={"limit": 3, "offset": 3}, headers=h).json()
    assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == 3
    assert [s["name"] for s in page["items"]] == ["skill-3", "skill-4", "skill-5"]
    last = c.get("/skills", params={"limit": 3, "offset": 6}, headers=h).json()
    assert [s["name"] for s in last["items"]] == ["skill-6"]
    one = c.get("/skills", params={"name": "skill-2"}, headers=h).json()
    assert one["total"] == 1 and one["items"][0]["name"] == "skill-2"
    bad = c.get("/skills", params={"limit": 0}, headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "query.limit"
    unknown = c.get("/skills", params={"colour": "red"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["field"] == "query.colour"


def test_validation_names_the_field_and_unknown_fields_are_refused(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    before = world.dump()
    bad_target = c.post("/queues", json={"key": "q1", "sl_target": 2}, headers=h)
    assert bad_target.status_code == 422
    assert bad_target.json()["error"] == "invalid" and bad_target.json()["field"] == "sl_target"
    extra = c.post("/queues", json={"key": "q1", "colour": "red"}, headers=h)
    assert extra.status_code == 422 and extra.json()["field"] == "colour"
    nul = c.post("/skills", json={"name": "ok", "description": "a\x00b"}, headers=h)
    assert nul.status_code == 422 and nul.json()["field"] == "description"
    unknown_skill = c.post("/agents", json={"key": "a1", "extension": "100",
                                            "skills": {"klingon": 3}}, headers=h)
    assert unknown_skill.status_code == 422
    assert unknown_skill.json() == {"error": "unknown_reference", "field": "skills.klingon",
                                    "detail": "no skill 'klingon'"}
    overflow = c.post("/queues", json={"key": "q1", "overflow_after": 30}, headers=h)
    assert overflow.status_code == 422 and overflow.json()["field"] == "overflow_to"
    null = c.post("/skills", json={"name": "x"}, headers=h).json()
    refused = c.patch(f"/skills/{null['id']}", json={"version": 1, "description": None},
                      headers=h)
    assert refused.status_code == 422 and refused.json()["field"] == "description"
    flow = c.post("/ivr-flows", json={"name": "bomb", "source": "a: &x [1]\nb: *x\n"},
                  headers=h)
    assert flow.status_code == 422 and flow.json()["field"] == "source"
    c.delete(f"/skills/{null['id']}", headers=h)
    after = world.dump()
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_duplicate_extension_is_a_conflict_naming_the_field(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    assert c.post("/agents", json={"key": "alice", "extension": "201"}, headers=h
                  ).status_code == 201
    before = world.dump()
    dup = c.post("/agents", json={"key": "bob", "extension": "201"}, headers=h)
    assert dup.status_code == 409
    assert dup.json() == {"error": "duplicate", "field": "extension",
                          "detail": "extension '201' is taken"}
    assert world.dump() == before
    # the same extension in another tenant is fine
    other = c.post("/agents", json={"key": "alice", "extension": "201"},
                   headers=world.b.admin.auth)
    assert other.status_code == 201


def test_optimistic_locking(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    queue = c.post("/queues", json={"key": "support"}, headers=h).json()
    first = c.patch(f"/queues/{queue['id']}", json={"version": 1, "wrap_up": 10}, headers=h)
    assert first.status_code == 200 and first.json()["version"] == 2
    before = world.dump()
    stale = c.patch(f"/queues/{queue['id']}", json={"version": 1, "wrap_up": 99}, headers=h)
    assert stale.status_code == 409
    assert stale.json()["error"] == "version_conflict" and stale.json()["field"] == "version"
    assert "version 2" in stale.json()["detail"]
    stale_etag = c.patch(f"/queues/{queue['id']}", json={"version": 2, "wrap_up": 99},
                         headers={**h, "If-Match": '"1"'})
    assert stale_etag.status_code == 412 and stale_etag.json()["field"] == "If-Match"
    stale_delete = c.delete(f"/queues/{queue['id']}", headers={**h, "If-Match": '"1"'})
    assert stale_delete.status_code == 412
    assert world.dump() == before
    assert c.get(f"/queues/{queue['id']}", headers=h).json()["wrap_up"] == 10


def test_skills_only_change_moves_the_agent_version(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    for name in ("french", "german"):
        c.post("/skills", json={"name": name}, headers=h)
    agent = c.post("/agents", json={"key": "alice", "extension": "201",
                                    "skills": {"french": 3}}, headers=h).json()
    put = c.put(f"/agents/{agent['id']}/skills",
                json={"version": 1, "skills": {"french": 5, "german": 2}}, headers=h)
    assert put.status_code == 200, put.text
    assert put.json()["skills"] == {"french": 5, "german": 2} and put.json()["version"] == 2
    stale = c.put(f"/agents/{agent['id']}/skills", json={"version": 1, "skills": {}},
                  headers=h)
    assert stale.status_code == 409
    with Session(world.engine) as session:
        row = session.get(Agent, agent["id"])
        assert row is not None and row.version == 2 and len(row.skills) == 2


def test_reference_to_another_tenants_object_is_unknown(world: World) -> None:
    c = world.client
    theirs = c.post("/queues", json={"key": "secret-queue"}, headers=world.b.admin.auth).json()
    lists = c.post("/contact-lists", json={"name": "theirs"}, headers=world.b.admin.auth).json()
    before = world.dump()
    h = world.a.admin.auth
    by_key = c.post("/agents", json={"key": "a", "extension": "1", "queues": ["secret-queue"]},
                    headers=h)
    assert by_key.status_code == 422 and by_key.json()["field"] == "queues[0]"
    by_id = c.post("/campaigns", json={"key": "c", "queue_id": theirs["id"],
                                       "list_id": lists["id"]}, headers=h)
    assert by_id.status_code == 422
    assert by_id.json() == {"error": "unknown_reference", "field": "queue_id",
                            "detail": f"no queue {theirs['id']}"}
    assert world.dump() == before


def test_users_passwords_are_hashed_and_never_shown(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    user = c.post("/users", json={"username": "carol", "role": "agent",
                                  "password": "a long enough password"}, headers=h)
    assert user.status_code == 201
    assert "password" not in user.text and "argon2" not in user.text
    with world.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM users WHERE "
                                            "username = 'carol'")).scalar_one()
    assert stored.startswith("$argon2id$")
    short = c.post("/users", json={"username": "dave", "role": "agent", "password": "short"},
                   headers=h)
    assert short.status_code == 422 and short.json()["field"] == "password"
    admin_role = c.post("/users", json={"username": "eve", "role": "admin",
                                        "password": "a long enough password"}, headers=h)
    assert admin_role.status_code == 422 and admin_role.json()["field"] == "role"
    audit = c.get("/audit", params={"object_type": "user"}, headers=h).json()["items"][0]
    assert "password" not in str(audit)


def test_trunk_password_is_write_only(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    trunk = c.post("/trunks", json={"name": "carrier", "host": "sip.example.com",
                                    "password": "hunter2-secret"}, headers=h)
    assert trunk.status_code == 201 and trunk.json()["has_password"] is True
    assert "hunter2" not in trunk.text
    assert "hunter2" not in c.get("/audit", headers=h).text


def test_queue_in_use_cannot_be_deleted(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    queue = c.post("/queues", json={"key": "outbound"}, headers=h).json()
    c.post("/campaigns", json={"key": "spring", "queue_id": queue["id"]}, headers=h)
    refused = c.delete(f"/queues/{queue['id']}", headers=h)
    assert refused.status_code == 409
    assert refused.json()["field"] == "queue_id" and "spring" in refused.json()["detail"]


def test_contacts_are_nested_in_their_list(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    first = c.post("/contact-lists", json={"name": "one"}, headers=h).json()
    second = c.post("/contact-lists", json={"name": "two"}, headers=h).json()
    contact = c.post(f"/contact-lists/{first['id']}/contacts",
                     json={"key": "k1", "number": "+15550100", "custom": {"plan": "gold"}},
                     headers=h)
    assert contact.status_code == 201
    cid = contact.json()["id"]
    dup = c.post(f"/contact-lists/{first['id']}/contacts",
                 json={"key": "k1", "number": "+15550101"}, headers=h)
    assert dup.status_code == 409 and dup.json()["field"] == "key"
    assert c.get(f"/contact-lists/{second['id']}/contacts/{cid}", headers=h).status_code == 404
    deep: dict[str, Any] = {"a": {}}
    node = deep["a"]
    for _ in range(12):
        node["a"] = {}
        node = node["a"]
    too_deep = c.post(f"/contact-lists/{first['id']}/contacts",
                      json={"key": "k2", "number": "+15550102", "custom": deep}, headers=h)
    assert too_deep.status_code == 422 and too_deep.json()["field"] == "custom"


def test_audit_is_per_tenant(world: World) -> None:
    c = world.client
    c.post("/skills", json={"name": "french"}, headers=world.a.admin.auth)
    c.post("/skills", json={"name": "german"}, headers=world.b.admin.auth)
    mine = c.get("/audit", headers=world.a.admin.auth).json()
    assert [e["after"]["name"] for e in mine["items"]] == ["french"]
    assert c.get("/audit", headers=world.a.supervisor.auth).status_code == 403
    with Session(world.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2
