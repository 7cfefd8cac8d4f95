"""Campaign, campaign-message, flow, flow-action and flow-message resources (revision 2026-07-15 shapes:
messages and actions carry a `definition`), and attribution resources, as the API serves them."""

from __future__ import annotations

from typing import Any

from loader.emulator.marketing import (
    Campaign,
    CampaignMessage,
    Flow,
    FlowAction,
    FlowMessage,
    Marketing,
    MessageRef,
)
from loader.emulator.resources import iso, sparse

# fields[...] (top-level names; a dotted name keeps the nested subset)
CAMPAIGN_FIELDS = ("archived", "audiences", "created_at", "id", "name", "scheduled_at", "send_options",
                   "send_strategy", "send_time", "status", "tracking_options", "updated_at")
CAMPAIGN_MESSAGE_FIELDS = ("created_at", "definition", "send_times", "updated_at")
FLOW_FIELDS = ("archived", "created", "id", "name", "status", "trigger_type", "updated")
FLOW_ACTION_FIELDS = ("created", "definition", "updated")
FLOW_MESSAGE_FIELDS = ("channel", "created", "definition", "updated")


def _rel(base: str, kind: str, oid: str, name: str, data: Any) -> dict[str, Any]:
    return {"data": data, "links": {"self": f"{base}/api/{kind}/{oid}/relationships/{name}/",
                                    "related": f"{base}/api/{kind}/{oid}/{name}/"}}


def strip_links(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without its `links` and its relationships' `links` (the truth's form)."""
    out = {k: v for k, v in resource.items() if k != "links"}
    if "relationships" in out:
        out["relationships"] = {name: {k: v for k, v in rel.items() if k != "links"}
                                for name, rel in out["relationships"].items()}
    return out


def _strategy(c: Campaign) -> dict[str, Any]:
    if c.send_us is None and c.scheduled_us is None:
        return {"method": "immediate"}
    return {"method": "static", "datetime": iso(c.send_us if c.send_us is not None else c.scheduled_us),
            "options": {"is_local": False}}


def _tracking(channel: str) -> dict[str, Any] | None:
    if channel == "email":
        return {"add_tracking_params": False, "custom_tracking_params": None, "is_tracking_clicks": True,
                "is_tracking_opens": True}
    if channel == "sms":
        return {"add_tracking_params": False, "custom_tracking_params": None}
    return None


def render_campaign(c: Campaign, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    attributes = {
        "name": c.name,
        "status": c.status,
        "archived": c.archived,
        "audiences": {"included": list(c.audiences), "excluded": []},
        "send_options": {"use_smart_sending": True},
        "tracking_options": _tracking(c.channel),
        "send_strategy": _strategy(c),
        "created_at": iso(c.created_us),
        "scheduled_at": iso(c.scheduled_us),
        "updated_at": iso(c.updated_us),
        "send_time": iso(c.send_us),
    }
    messages = [{"type": "campaign-message", "id": m.id} for m in c.messages]
    return {
        "type": "campaign",
        "id": c.id,
        "attributes": sparse(attributes, fields),
        "relationships": {"campaign-messages": _rel(base, "campaigns", c.id, "campaign-messages", messages),
                          "tags": _rel(base, "campaigns", c.id, "tags", [])},
        "links": {"self": f"{base}/api/campaigns/{c.id}/"},
    }


def message_definition(c: Campaign, m: CampaignMessage, mk: Marketing) -> dict[str, Any]:
    if m.channel == "email":
        return {"channel": "email", "label": m.label, "content": {
            "subject": m.subject, "preview_text": m.preview_text, "from_email": mk.sender_email,
            "from_label": mk.sender_name, "reply_to_email": None, "cc_email": None, "bcc_email": None}}
    if m.channel == "sms":
        return {"channel": "sms", "content": {"body": m.body, "media_url": None},
                "render_options": {"shorten_links": True, "add_org_prefix": True, "add_info_link": True,
                                   "add_opt_out_language": False}}
    return {"channel": "mobile_push", "notification_type": "standard",
            "content": {"title": m.label, "body": m.body, "dynamic_image": None, "action_buttons": None},
            "kv_pairs": None, "options": {"on_open": {"type": "open_app"}, "badge": {"display": False},
                                          "play_sound": False}}


def render_campaign_message(c: Campaign, m: CampaignMessage, mk: Marketing, base: str,
                            fields: list[str] | None = None) -> dict[str, Any]:
    send = c.send_us if c.send_us is not None else c.scheduled_us
    attributes = {
        "definition": message_definition(c, m, mk),
        "send_times": [] if send is None else [{"datetime": iso(send), "is_local": False}],
        "created_at": iso(m.created_us),
        "updated_at": iso(m.updated_us),
    }
    relationships = {"campaign": _rel(base, "campaign-messages", m.id, "campaign",
                                      {"type": "campaign", "id": c.id})}
    if m.channel == "email":
        relationships["template"] = _rel(base, "campaign-messages", m.id, "template",
                                         {"type": "template", "id": f"T{m.id[-5:]}"})
    return {"type": "campaign-message", "id": m.id, "attributes": sparse(attributes, fields),
            "relationships": relationships, "links": {"self": f"{base}/api/campaign-messages/{m.id}/"}}


def render_flow(f: Flow, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    attributes = {"name": f.name, "status": f.status, "archived": f.archived, "created": iso(f.created_us),
                  "updated": iso(f.updated_us), "trigger_type": f.trigger_type}
    actions = [{"type": "flow-action", "id": a.id} for a in f.actions]
    return {"type": "flow", "id": f.id, "attributes": sparse(attributes, fields),
            "relationships": {"flow-actions": _rel(base, "flows", f.id, "flow-actions", actions),
                              "tags": _rel(base, "flows", f.id, "tags", [])},
            "links": {"self": f"{base}/api/flows/{f.id}/"}}


def flow_message_definition(m: FlowMessage, mk: Marketing) -> dict[str, Any]:
    if m.channel == "email":
        return {"id": m.id, "name": m.name, "from_email": mk.sender_email, "from_label": mk.sender_name,
                "reply_to_email": None, "cc_email": None, "bcc_email": None, "subject_line": m.subject,
                "preview_text": m.preview_text, "template_id": f"T{m.id[-5:]}", "smart_sending_enabled": True,
                "transactional": False, "add_tracking_params": False, "custom_tracking_params": None,
                "additional_filters": None}
    return {"id": m.id, "name": m.name, "body": m.body, "image_id": None, "dynamic_image": None,
            "shorten_links": True, "include_contact_card": False, "add_org_prefix": True,
            "add_info_link": True, "add_opt_out_language": False, "smart_sending_enabled": True,
            "sms_quiet_hours_enabled": True,
            "transactional": False, "add_tracking_params": False, "custom_tracking_params": None,
            "template_id": None, "additional_filters": None}


def action_definition(f: Flow, a: FlowAction, mk: Marketing) -> dict[str, Any]:
    position = next(i for i, x in enumerate(f.actions) if x.id == a.id)
    following = f.actions[position + 1].id if position + 1 < len(f.actions) else None
    if a.type == "time-delay":
        data: dict[str, Any] = {"unit": "days", "value": a.delay_days, "secondary_value": None,
                                "timezone": "profile"}
    else:
        # an A/B test's second message is a variation; data.message is the first one
        data = {"message": flow_message_definition(a.messages[0], mk) if a.messages else None,
                "status": a.status}
    return {"id": a.id, "type": a.type, "links": {"next": following}, "data": data}


def render_flow_action(f: Flow, a: FlowAction, mk: Marketing, base: str,
                       fields: list[str] | None = None) -> dict[str, Any]:
    attributes = {"created": iso(a.created_us), "updated": iso(a.updated_us),
                  "definition": action_definition(f, a, mk)}
    messages = [{"type": "flow-message", "id": m.id} for m in a.messages]
    return {"type": "flow-action", "id": a.id, "attributes": sparse(attributes, fields),
            "relationships": {"flow": _rel(base, "flow-actions", a.id, "flow", {"type": "flow", "id": f.id}),
                              "flow-messages": _rel(base, "flow-actions", a.id, "flow-messages", messages)},
            "links": {"self": f"{base}/api/flow-actions/{a.id}/"}}


def render_flow_message(a: FlowAction, m: FlowMessage, mk: Marketing, base: str,
                        fields: list[str] | None = None) -> dict[str, Any]:
    attributes = {"channel": m.channel, "created": iso(m.created_us), "updated": iso(m.updated_us),
                  "definition": flow_message_definition(m, mk)}
    relationships = {"flow-action": _rel(base, "flow-messages", m.id, "flow-action",
                                         {"type": "flow-action", "id": a.id})}
    if m.channel == "email":
        relationships["template"] = _rel(base, "flow-messages", m.id, "template",
                                         {"type": "template", "id": f"T{m.id[-5:]}"})
    return {"type": "flow-message", "id": m.id, "attributes": sparse(attributes, fields),
            "relationships": relationships, "links": {"self": f"{base}/api/flow-messages/{m.id}/"}}


def render_attribution(attribution_id: str, event_id: str, engaged_id: str, ref: MessageRef,
                       base: str) -> dict[str, Any]:
    """An attribution: the credited event, the engagement event and its campaign (message) or flow
    (message); the other side's relationships have `data: null`. No attributes (as the spec)."""
    def one(name: str, kind: str, oid: str | None) -> dict[str, Any]:
        data = None if oid is None else {"type": kind, "id": oid}
        return _rel(base, "attributions", attribution_id, name, data)

    is_flow = ref.flow_id is not None
    return {
        "type": "attribution",
        "id": attribution_id,
        "relationships": {
            "event": one("event", "event", event_id),
            "attributed-event": one("attributed-event", "event", engaged_id),
            "campaign": one("campaign", "campaign", ref.campaign_id),
            "campaign-message": one("campaign-message", "campaign-message", None if is_flow else ref.id),
            "flow": one("flow", "flow", ref.flow_id),
            "flow-message": one("flow-message", "flow-message", ref.id if is_flow else None),
            "flow-message-variation": one("flow-message-variation", "flow-message", None),
        },
        "links": {"self": f"{base}/api/attributions/{attribution_id}/"},
    }
