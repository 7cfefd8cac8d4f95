"""The marketing objects of an account: campaigns (with their messages) and flows (actions, messages).

Small (tens of objects), so plain frozen dataclasses in tuples, replaced on growth. Every object keeps
its creation index (the tie of its sort keys); deleted objects stay in the tuples flagged `deleted` (they
vanish from every listing). `refs` is the append-only registry of sent messages that engagement events
name (`EventStore.msg` indexes it), so growth never changes what an existing event says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from loader.emulator import catalog, hashing

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class MessageRef:
    """A message as engagement events name it: `$message` (and `$flow`), subject and name as sent."""

    id: str
    channel: str  # "email" or "sms"
    campaign_id: str | None
    flow_id: str | None
    subject: str
    name: str


@dataclass(frozen=True)
class CampaignMessage:
    index: int
    id: str
    channel: str
    label: str
    subject: str
    preview_text: str
    body: str  # sms / push body
    created_us: int
    updated_us: int
    ref: int = -1  # MessageRef index once sent


@dataclass(frozen=True)
class Campaign:
    index: int
    id: str
    channel: str
    name: str
    status: str
    archived: bool
    created_us: int
    updated_us: int
    scheduled_us: int | None
    send_us: int | None
    audiences: tuple[str, ...]
    messages: tuple[CampaignMessage, ...]
    deleted: bool = False


@dataclass(frozen=True)
class FlowMessage:
    index: int
    id: str
    channel: str
    name: str
    subject: str
    preview_text: str
    body: str
    created_us: int
    updated_us: int
    ref: int = -1


@dataclass(frozen=True)
class FlowAction:
    index: int
    id: str
    type: str  # send-email, send-sms, time-delay
    status: str  # data.status of send actions; the flow's status for the others (filter/sort only)
    created_us: int
    updated_us: int
    delay_days: int
    messages: tuple[FlowMessage, ...]


@dataclass(frozen=True)
class Flow:
    index: int
    id: str
    name: str
    status: str  # live, manual, draft
    archived: bool
    trigger_type: str
    created_us: int
    updated_us: int
    actions: tuple[FlowAction, ...]
    deleted: bool = False
    version: int = 1


@dataclass(frozen=True)
class Marketing:
    campaigns: tuple[Campaign, ...] = ()
    flows: tuple[Flow, ...] = ()
    refs: tuple[MessageRef, ...] = ()
    sender_name: str = "Emulator Store"
    sender_email: str = "contact@example.com"
    n_campaign_messages: int = 0
    n_actions: int = 0
    n_flow_messages: int = 0

    def sendable(self, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """(start instants ascending, MessageRef indexes) of the messages of `channel` that send now:
        those of sent campaigns (from their send time) and of live send actions of live flows (from
        their creation); deleted objects send nothing."""
        pairs: list[tuple[int, int]] = []
        for c in self.campaigns:
            if not c.deleted and c.status == "Sent" and c.send_us is not None:
                pairs += [(c.send_us, m.ref) for m in c.messages if m.ref >= 0 and m.channel == channel]
        for f in self.flows:
            if f.deleted or f.status != "live":
                continue
            for a in f.actions:
                if a.status == "live":
                    pairs += [(m.created_us, m.ref) for m in a.messages
                              if m.ref >= 0 and m.channel == channel]
        pairs.sort()
        return (np.array([p[0] for p in pairs], dtype=np.int64),
                np.array([p[1] for p in pairs], dtype=np.int32))


class _Ids:
    """Ids of marketing objects from the id seed and each object's creation index: campaigns and
    campaign messages 26-character ULID-like, flows and flow messages 6 base62 characters, flow actions
    8 digits (Klaviyo's shapes)."""

    def __init__(self, ids_seed: int) -> None:
        self.seed = ids_seed

    def campaign(self, i: int) -> str:
        return str(hashing.profile_ids(np.array([i]), None, self.seed * 101 + 11)[0])

    def campaign_message(self, i: int) -> str:
        return str(hashing.profile_ids(np.array([i]), None, self.seed * 101 + 13)[0])

    def flow(self, i: int) -> str:
        codes = hashing.encode(hashing.mix(np.array([i]), self.seed * 101 + 17), hashing.BASE62, 6)
        return str(hashing.to_strings(codes)[0])

    def flow_message(self, i: int) -> str:
        codes = hashing.encode(hashing.mix(np.array([i]), self.seed * 101 + 19), hashing.BASE62, 6)
        return str(hashing.to_strings(codes)[0])

    def action(self, i: int) -> str:
        prefix = 10 * (1 + self.seed % 9) + int(hashing.mix(np.array([0]), self.seed * 101 + 23)[0]) % 10
        return f"{prefix}{i:06d}"


def _s(us: int) -> int:
    return int(us) // US * US


class _Builder:
    """Creates objects and their message refs; `rng` draws their times and content."""

    def __init__(self, mk: Marketing, seed: int, ids_seed: int, generation: int) -> None:
        self.campaigns = list(mk.campaigns)
        self.flows = list(mk.flows)
        self.refs = list(mk.refs)
        self.mk = mk
        self.ids = _Ids(ids_seed)
        self.rng = np.random.default_rng([seed, 0x6D6B74, generation])
        self.n_cm, self.n_actions, self.n_fm = mk.n_campaign_messages, mk.n_actions, mk.n_flow_messages
        self.org = mk.sender_name

    def done(self) -> Marketing:
        return replace(self.mk, campaigns=tuple(self.campaigns), flows=tuple(self.flows),
                       refs=tuple(self.refs), n_campaign_messages=self.n_cm, n_actions=self.n_actions,
                       n_flow_messages=self.n_fm)

    def ref(self, ref: MessageRef) -> int:
        self.refs.append(ref)
        return len(self.refs) - 1

    # campaigns
    def campaign(self, status: str, created: int, scheduled: int | None, send: int | None, updated: int,
                 archived: bool = False) -> Campaign:
        i = len(self.campaigns)
        channel = catalog.CAMPAIGN_CHANNELS[i % len(catalog.CAMPAIGN_CHANNELS)]
        theme = catalog.CAMPAIGN_THEMES[(i + int(self.rng.integers(0, 3))) % len(catalog.CAMPAIGN_THEMES)]
        name = f"{theme} {i + 1:03d}" + {"sms": " (SMS)", "mobile_push": " (Push)"}.get(channel, "")
        cid = self.ids.campaign(i)
        subject = catalog.SUBJECTS[int(self.rng.integers(0, len(catalog.SUBJECTS)))]
        body = catalog.SMS_BODIES[i % len(catalog.SMS_BODIES)].format(org=self.org, theme=theme, n=i + 1)
        message = CampaignMessage(self.n_cm, self.ids.campaign_message(self.n_cm), channel, name, subject,
                                  f"{theme}: picked for you", body, created, updated)
        self.n_cm += 1
        if status == "Sent" and channel in ("email", "sms"):
            sent = subject if channel == "email" else body
            message = replace(message, ref=self.ref(MessageRef(message.id, channel, cid, None, sent, name)))
        audiences = tuple(str(x) for x in hashing.to_strings(hashing.encode(
            hashing.mix(np.array([i % 3, 3 + i % 2]), self.ids.seed * 101 + 29), hashing.BASE62, 6)))
        campaign = Campaign(i, cid, channel, name, status, archived, _s(created), _s(updated),
                            None if scheduled is None else _s(scheduled), None if send is None else _s(send),
                            audiences[:1 + i % 2], (message,))
        self.campaigns.append(campaign)
        return campaign

    # flows
    def flow_message(self, channel: str, flow: str, flow_id: str, k: int, created: int, live: bool,
                     version: int = 1) -> FlowMessage:
        i = self.n_fm
        self.n_fm += 1
        subject = catalog.SUBJECTS[(i + k) % len(catalog.SUBJECTS)]
        suffix = "" if version == 1 else f" v{version}"
        name = f"{flow} {'Email' if channel == 'email' else 'SMS'} #{k + 1}{suffix}"
        body = catalog.SMS_BODIES[(i + 1) % len(catalog.SMS_BODIES)].format(org=self.org, theme=flow, n=i + 1)
        message = FlowMessage(i, self.ids.flow_message(i), channel, name, subject + suffix,
                              f"{flow}: a note for you", body, _s(created), _s(created))
        if live:
            message = replace(message, ref=self.ref(MessageRef(
                message.id, channel, None, flow_id, message.subject if channel == "email" else body, name)))
        return message

    def action(self, kind: str, status: str, flow: str, flow_id: str, k: int, created: int,
               n_messages: int = 1) -> FlowAction:
        i = self.n_actions
        self.n_actions += 1
        messages: tuple[FlowMessage, ...] = ()
        if kind.startswith("send-"):
            channel = "email" if kind == "send-email" else "sms"
            messages = tuple(self.flow_message(channel, flow, flow_id, k + j, created, status == "live")
                             for j in range(n_messages))
        return FlowAction(i, self.ids.action(i), kind, status, _s(created), _s(created), 1 + i % 3, messages)

    def flow(self, status: str, archived: bool, created: int, updated: int, n_actions: int) -> Flow:
        i = len(self.flows)
        name, trigger = catalog.FLOW_TEMPLATES[i % len(catalog.FLOW_TEMPLATES)]
        if i >= len(catalog.FLOW_TEMPLATES):
            name = f"{name} {i // len(catalog.FLOW_TEMPLATES) + 1}"
        fid = self.ids.flow(i)
        action_status = {"live": "live", "manual": "manual"}.get(status, "draft")
        actions: list[FlowAction] = []
        sends = 0
        for a in range(n_actions):
            if a % 2 == 1:
                actions.append(self.action("time-delay", action_status, name, fid, a, created))
                continue
            # flow 1 (of every 5) sends SMS first; the others email, their second send SMS in flow 2
            sms = (i % 5 == 1 and sends == 0) or (i % 5 == 2 and sends == 1)
            actions.append(self.action("send-sms" if sms else "send-email", action_status, name, fid, a,
                                       created, 2 if (i + sends) % 3 == 2 else 1))
            sends += 1
        flow = Flow(i, fid, name, status, archived, trigger, _s(created), _s(updated), tuple(actions))
        self.flows.append(flow)
        return flow


def build(seed: int, ids_seed: int, n_campaigns: int, n_flows: int, anchor_us: int, history_days: int,
          sender_name: str, sender_email: str) -> Marketing:
    """The initial campaigns and flows: flows from before the event history (so every engagement
    event has a message to name), campaigns created over it, most sent, a few draft, cancelled,
    scheduled (in the future) or archived."""
    b = _Builder(Marketing(sender_name=sender_name, sender_email=sender_email), seed, ids_seed, 0)
    start = anchor_us - history_days * DAY_US
    for i in range(n_flows):
        status, archived = [("live", False), ("live", False), ("live", False), ("manual", False),
                            ("draft", True)][i % 5]
        created = start - 60 * DAY_US + i * 3 * DAY_US
        updated = min(created + int(b.rng.integers(1, 40)) * DAY_US, anchor_us - DAY_US)
        b.flow(status, archived, created, updated, 3 + int(b.rng.integers(0, 4)))
    span = max(anchor_us - 4 * DAY_US - start, DAY_US)
    for i in range(n_campaigns):
        created = _s(start + int(b.rng.random() * span))
        if n_campaigns >= 3 and i == n_campaigns - 1:
            b.campaign("Scheduled", anchor_us - 2 * DAY_US, anchor_us - DAY_US, anchor_us + 3 * DAY_US,
                       anchor_us - DAY_US)
        elif i % 6 == 5:
            b.campaign("Draft", created, None, None, created + 2 * HOUR_US)
        elif i % 11 == 7:
            b.campaign("Cancelled", created, created + DAY_US, None, created + DAY_US + HOUR_US)
        else:
            send = created + DAY_US + HOUR_US
            b.campaign("Sent", created, created + DAY_US, send, send + 2 * HOUR_US, archived=i % 5 == 1)
    return b.done()


def _live(items: list, k: int, rng: np.random.Generator) -> list[int]:
    """Up to k positions of not-deleted items, drawn without replacement, ascending."""
    alive = [i for i, item in enumerate(items) if not item.deleted]
    if not alive or k <= 0:
        return []
    return sorted(int(x) for x in rng.choice(alive, size=min(k, len(alive)), replace=False))


@dataclass(frozen=True)
class MarketingGrowth:
    new_campaigns: int = 0
    edited_campaigns: int = 0
    archived_campaigns: int = 0
    deleted_campaigns: int = 0
    new_flows: int = 0
    edited_flows: int = 0
    deleted_flows: int = 0


def grow(mk: Marketing, g: MarketingGrowth, seed: int, ids_seed: int, generation: int, since_us: int,
         now_us: int) -> Marketing:
    """Campaigns and flows after a growth at `now_us` (the previous one was at `since_us`). New objects
    are created at `since_us` (a new campaign is sent a quarter of the way to now, so the events of the
    same growth can name it) and updated now; edits, archiving and new flow versions move `updated`/
    `updated_at` to now; deletions make objects vanish."""
    b = _Builder(mk, seed, ids_seed, generation)
    now = _s(now_us)
    t0 = _s(min(since_us, now_us))
    for i in _live(b.campaigns, g.edited_campaigns, b.rng):
        c = b.campaigns[i]
        version = c.name.count("(edited") + 1
        messages = tuple(replace(m, label=f"{m.label} (edited {version})", updated_us=now)
                         for m in c.messages)
        b.campaigns[i] = replace(c, name=f"{c.name} (edited {version})", updated_us=now, messages=messages)
    candidates = [c for c in b.campaigns if not c.deleted and not c.archived]
    for c in sorted(candidates, key=lambda c: (c.created_us, c.index))[:g.archived_campaigns]:
        b.campaigns[c.index] = replace(c, archived=True, updated_us=now)
    for i in _live(b.campaigns, g.deleted_campaigns, b.rng):
        b.campaigns[i] = replace(b.campaigns[i], deleted=True)
    for _ in range(g.new_campaigns):
        b.campaign("Sent", t0, t0, t0 + (now - t0) // 4, now)
    for i in _live(b.flows, g.edited_flows, b.rng):
        b.flows[i] = _new_version(b, b.flows[i], now)
    for i in _live(b.flows, g.deleted_flows, b.rng):
        b.flows[i] = replace(b.flows[i], deleted=True)
    for _ in range(g.new_flows):
        b.flow("live", False, t0, now, 3 + int(b.rng.integers(0, 4)))
    return b.done()


def _new_version(b: _Builder, flow: Flow, now: int) -> Flow:
    """A new version of a flow: every action and message is updated (messages get a new subject, named
    with the version; live ones a new ref), and a new send-email action with one message is appended."""
    version = flow.version + 1
    actions = []
    for a in flow.actions:
        messages = []
        for m in a.messages:
            subject = f"{m.subject.split(' v')[0]} v{version}"
            name = f"{m.name.split(' v')[0]} v{version}"
            edited = replace(m, subject=subject, name=name, updated_us=now)
            if a.status == "live" and flow.status == "live":
                sent = subject if m.channel == "email" else m.body
                edited = replace(edited, ref=b.ref(MessageRef(m.id, m.channel, None, flow.id, sent, name)))
            messages.append(edited)
        actions.append(replace(a, updated_us=now, messages=tuple(messages)))
    status = {"live": "live", "manual": "manual"}.get(flow.status, "draft")
    actions.append(b.action("send-email", status, flow.name, flow.id, len(actions), now))
    return replace(flow, updated_us=now, actions=tuple(actions), version=version)
