"""Outbound and follow-up resources: contact lists and contacts, campaigns, disposition codes,
do-not-call entries, callbacks; and webhooks."""

from __future__ import annotations

from typing import Any

from switchboard.api.errors import Conflict, Invalid
from switchboard.api.schemas import outbound as so
from switchboard.api.schemas import webhooks as sw
from switchboard.api.services.crud import Resource, assign
from switchboard.api.services.scope import TenantScope
from switchboard.api.services.webhooks import is_private_url
from switchboard.store import models as m
from switchboard.store.models import Role

__all__ = ["CALLBACKS", "CAMPAIGNS", "CONTACTS", "CONTACT_LISTS", "DISPOSITIONS", "DNC",
           "WEBHOOKS"]

MANAGERS = frozenset({Role.ADMIN, Role.TENANT_ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.TENANT_ADMIN, Role.SUPERVISOR})
MEMBERS = frozenset(Role)


def _ref(scope: TenantScope, values: dict[str, Any], field: str, model: type[Any],
         what: str) -> int | None:
    value = values[field]
    return None if value is None else int(scope.ref(model, value, field=field, what=what).id)


# ---------------------------------------------------------------------------------- lists


def _apply_list(scope: TenantScope, row: m.ContactList, values: dict[str, Any],
                creating: bool) -> bool:
    assign(row, values, ("name",))
    if "fields" in values:
        if len(set(values["fields"])) != len(values["fields"]):
            raise Invalid("a field is listed twice", field="fields")
        row.fields = list(values["fields"])
    return False


def _list_in_use(scope: TenantScope, row: m.ContactList) -> None:
    campaign = scope.by(m.Campaign, m.Campaign.list_id, row.id)
    if campaign is not None:
        raise Conflict(f"campaign {campaign.key!r} uses this list", field="list_id",
                       error="in_use")


CONTACT_LISTS: Resource[m.ContactList] = Resource(
    name="contact_list", path="/contact-lists", model=m.ContactList,
    public=so.ContactListPublic, create=so.ContactListCreate, update=so.ContactListUpdate,
    filters=so.ContactListQuery, present=so.ContactListPublic.model_validate,
    apply=_apply_list, unique=("name",), read_roles=SUPERVISORS, before_delete=_list_in_use)


def _apply_contact(scope: TenantScope, row: m.Contact, values: dict[str, Any],
                   creating: bool) -> bool:
    assign(row, values, ("key", "number", "name", "timezone", "custom", "status"))
    return False


CONTACTS: Resource[m.Contact] = Resource(
    name="contact", path="/contact-lists/{contact_list_id}/contacts", model=m.Contact,
    public=so.ContactPublic, create=so.ContactCreate, update=so.ContactUpdate,
    filters=so.ContactQuery, present=so.ContactPublic.model_validate, apply=_apply_contact,
    read_roles=MEMBERS, write_roles=SUPERVISORS)
"""Nested under a list (its own router checks the list and the key's uniqueness in it)."""


# ---------------------------------------------------------------------------------- campaigns


def _apply_campaign(scope: TenantScope, row: m.Campaign, values: dict[str, Any],
                    creating: bool) -> bool:
    assign(row, values, ("key", "name", "mode", "caller_id", "active", "dial_ratio",
                         "max_abandon_rate", "max_attempts", "retry_after", "calling_hours"))
    if "queue_id" in values:
        row.queue_id = _ref(scope, values, "queue_id", m.Queue, "queue")
    if "list_id" in values:
        row.list_id = _ref(scope, values, "list_id", m.ContactList, "contact list")
    return False


CAMPAIGNS: Resource[m.Campaign] = Resource(
    name="campaign", path="/campaigns", model=m.Campaign, public=so.CampaignPublic,
    create=so.CampaignCreate, update=so.CampaignUpdate, filters=so.CampaignQuery,
    present=so.CampaignPublic.model_validate, apply=_apply_campaign, unique=("key",),
    read_roles=SUPERVISORS)


# ---------------------------------------------------------------------------------- codes


def _apply_disposition(scope: TenantScope, row: m.DispositionCode, values: dict[str, Any],
                       creating: bool) -> bool:
    assign(row, values, ("code", "label", "success", "resolved"))
    if "campaign_id" in values:
        row.campaign_id = _ref(scope, values, "campaign_id", m.Campaign, "campaign")
    return False


DISPOSITIONS: Resource[m.DispositionCode] = Resource(
    name="disposition", path="/dispositions", model=m.DispositionCode,
    public=so.DispositionPublic, create=so.DispositionCreate, update=so.DispositionUpdate,
    filters=so.DispositionQuery, present=so.DispositionPublic.model_validate,
    apply=_apply_disposition, unique=("code",), read_roles=MEMBERS)


# ---------------------------------------------------------------------------------- DNC


def _apply_dnc(scope: TenantScope, row: m.DncEntry, values: dict[str, Any],
               creating: bool) -> bool:
    assign(row, values, ("number", "source", "expires_at"))
    return False


DNC: Resource[m.DncEntry] = Resource(
    name="dnc_entry", path="/dnc", model=m.DncEntry, public=so.DncPublic,
    create=so.DncCreate, update=so.DncUpdate, filters=so.DncQuery,
    present=so.DncPublic.model_validate, apply=_apply_dnc, unique=("number",),
    read_roles=MEMBERS, write_roles=MEMBERS)
"""Agents may add a number when a customer asks not to be called again."""


# ---------------------------------------------------------------------------------- callbacks


def _apply_callback(scope: TenantScope, row: m.Callback, values: dict[str, Any],
                    creating: bool) -> bool:
    assign(row, values, ("number", "due_at", "call_id", "status"))
    if "queue_id" in values:
        row.queue_id = _ref(scope, values, "queue_id", m.Queue, "queue")
    if "agent_id" in values:
        row.agent_id = _ref(scope, values, "agent_id", m.Agent, "agent")
    return False


CALLBACKS: Resource[m.Callback] = Resource(
    name="callback", path="/callbacks", model=m.Callback, public=so.CallbackPublic,
    create=so.CallbackCreate, update=so.CallbackUpdate, filters=so.CallbackQuery,
    present=so.CallbackPublic.model_validate, apply=_apply_callback, read_roles=MEMBERS,
    write_roles=MEMBERS)


# ---------------------------------------------------------------------------------- webhooks


def _apply_webhook(scope: TenantScope, row: m.Webhook, values: dict[str, Any],
                   creating: bool) -> bool:
    if "url" in values and is_private_url(values["url"]) and not scope.allow_private_urls:
        raise Invalid("the URL names a local or private address", field="url")
    assign(row, values, ("url", "secret", "active"))
    if "event_types" in values:
        row.event_types = sorted(set(values["event_types"]))
    return False


WEBHOOKS: Resource[m.Webhook] = Resource(
    name="webhook", path="/webhooks", model=m.Webhook, public=sw.WebhookPublic,
    create=sw.WebhookCreate, update=sw.WebhookUpdate, filters=sw.WebhookQuery,
    present=sw.WebhookPublic.model_validate, apply=_apply_webhook, read_roles=MANAGERS)
