"""Klaviyo's official Python SDK (`klaviyo-api`, a dev dependency) against the emulator, as a user would
call it: every response deserializes into the SDK's models, and walks that page the SDK's documented
way (`links.next` passed back as `page_cursor`, the other arguments repeated) return exactly the
emulator's truth.

The SDK (klaviyo_api/wrapper.py::_page_cursor_update) takes a cursor out of a link only when the link
contains "https://": then it sends what follows `page%5Bcursor%5D` up to the next "&", so
`page[cursor]==<cursor>`, leading "=" included, and nothing else of the link. An http:// link is sent
whole as the cursor. Klaviyo's links are https, so these tests serve the emulator over HTTPS (a
throwaway certificate the client trusts) to page as the SDK does in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from klaviyo_api import KlaviyoAPI
from openapi_client.rest import RESTClientObject

from loader.emulator import Emulator, EmulatorServer
from tests.emulator.tls import LocalCertificate, make_certificate
from tests.fixtures.emulator import TEST_CONFIG


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def sdk_client(server: EmulatorServer, api_key: str, ca_file: Path) -> KlaviyoAPI:
    """The SDK pointed at the emulator: `test_host` becomes its Configuration.host (every request's
    base URL). KlaviyoAPI builds its ApiClient, and with it the urllib3 pool, in __post_init__, so the
    CA file set on the Configuration afterwards needs the REST client rebuilt from it."""
    client = KlaviyoAPI(api_key, test_host=server.base_url, max_retries=0)
    assert client.configuration.host == server.base_url
    client.configuration.ssl_ca_cert = str(ca_file)
    client.api_client.rest_client = RESTClientObject(client.configuration)
    return client


@pytest.fixture
def served(certificate: LocalCertificate) -> Iterator[tuple[Emulator, KlaviyoAPI]]:
    emulator = Emulator(TEST_CONFIG)
    with emulator.serve(ssl_context=certificate.server_context()) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        yield emulator, sdk_client(server, emulator.config.api_key, certificate.cert_file)


def walk(call: Callable[..., Any], **arguments: Any) -> tuple[list[Any], int]:
    """(every resource, pages) of a listing, passing each `links.next` back as `page_cursor`."""
    rows: list[Any] = []
    page = call(**arguments)
    pages = 1
    while True:
        rows += page.data
        if not page.links.next:
            return rows, pages
        page = call(**arguments, page_cursor=page.links.next)
        pages += 1


def test_the_sdk_sends_a_cursor_with_a_leading_equals_sign_from_an_https_link():
    """The premise of this module, read off the installed SDK: the value it sends as page[cursor]."""
    sent = KlaviyoAPI._page_cursor_update(lambda **kwargs: kwargs["page_cursor"])
    https = "https://a.klaviyo.com/api/events/?filter=x&page%5Bsize%5D=5&page%5Bcursor%5D=abc_-123"
    assert sent(page_cursor=https) == "=abc_-123"
    assert sent(page_cursor="https://h/api/events/?page%5Bcursor%5D=abc&sort=x") == "=abc"
    http = "http://127.0.0.1:1/api/events/?page%5Bcursor%5D=abc"
    assert sent(page_cursor=http) == "http://127.0.0.1:1/api/events/?page[cursor]=abc"  # whole link


def test_get_accounts_and_get_account(served):
    emulator, client = served
    listing = client.Accounts.get_accounts()
    (account,) = listing.data
    assert account.id == emulator.account_id
    contact = account.attributes.contact_information
    assert contact.organization_name == f"Emulator Store {emulator.account_id}"
    assert contact.street_address.city == "Boston" and account.attributes.timezone == "America/New_York"
    single = client.Accounts.get_account(emulator.account_id)
    assert single.data.id == emulator.account_id and single.data.attributes == account.attributes


def test_get_metrics_are_the_truth(served):
    emulator, client = served
    metrics, pages = walk(client.Metrics.get_metrics)
    truth = emulator.truth.metrics()
    assert pages == 1 and [m.id for m in metrics] == [m["id"] for m in truth]
    assert [m.attributes.name for m in metrics] == [m["attributes"]["name"] for m in truth]
    shopify, _ = walk(client.Metrics.get_metrics, filter="equals(integration.name,'Shopify')")
    assert [m.id for m in shopify] == [m["id"] for m in truth
                                       if m["attributes"]["integration"]["name"] == "Shopify"]


def test_get_profiles_with_subscriptions_walk_the_truth(served):
    emulator, client = served
    profiles, pages = walk(client.Profiles.get_profiles, additional_fields_profile=["subscriptions"],
                           page_size=7)
    truth = emulator.truth.profiles(("subscriptions",))
    assert pages == -(-len(truth) // 7) and len(truth) == 120
    assert [p.id for p in profiles] == [p["id"] for p in truth]
    for got, want in zip(profiles, truth, strict=True):
        assert got.attributes.email == want["attributes"]["email"]
        marketing = got.attributes.subscriptions.email.marketing
        assert marketing.consent == want["attributes"]["subscriptions"]["email"]["marketing"]["consent"]
    by_updated, _ = walk(client.Profiles.get_profiles, sort="-updated", page_size=50)
    assert sorted(p.id for p in by_updated) == sorted(p["id"] for p in truth)


@pytest.mark.parametrize("sort", ["datetime", "-datetime"])
def test_get_events_with_a_filter_walk_the_truth(served, sort):
    emulator, client = served
    metric_id = emulator.truth.metrics()[1]["id"]  # Received Email, the most frequent
    every = emulator.truth.events()
    since = datetime.fromisoformat(every[len(every) // 4]["attributes"]["datetime"])
    until = since + timedelta(days=200)
    window = (f"equals(metric_id,\"{metric_id}\"),greater-or-equal(datetime,{since.isoformat()}),"
              f"less-than(datetime,{until.isoformat()})")
    events, pages = walk(client.Events.get_events, filter=window, sort=sort, page_size=20)
    truth = emulator.truth.events(since=since, until=until, metric_ids=[metric_id])
    if sort.startswith("-"):
        truth = truth[::-1]
    assert pages > 3 and len(truth) > 60
    assert [e.id for e in events] == [e["id"] for e in truth]
    assert all(e.relationships.metric.data.id == metric_id for e in events)
    first = events[0].attributes
    assert first.datetime_ == datetime.fromisoformat(truth[0]["attributes"]["datetime"])
    assert first.event_properties == truth[0]["attributes"]["event_properties"]


def test_get_events_with_includes_deserialize(served):
    emulator, client = served
    page = client.Events.get_events(include=["metric", "profile"], page_size=100)
    # the SDK's model keeps `included` as plain dicts (List[Dict[str, Any]])
    assert len(page.data) == 100 and {i["type"] for i in page.included} == {"metric", "profile"}
    profile_ids = {e.relationships.profile.data.id for e in page.data}
    assert profile_ids == {i["id"] for i in page.included if i["type"] == "profile"}
    assert emulator.stats.as_dict()["statuses"] == {"200": 1}


def test_get_flows_actions_and_messages_walk_the_truth(served):
    """Flows, their actions and messages deserialize into the SDK's models (its 2026-10-15 flow shapes
    are 2026-07-15's; its campaigns are not: 2026-10-15 campaigns carry a `definition` instead, so the
    campaign endpoints are checked against the 2026-07-15 OpenAPI files only)."""
    emulator, client = served
    truth = emulator.truth
    flows, _ = walk(client.Flows.get_flows, page_size=2)
    assert sorted(f.id for f in flows) == sorted(f["id"] for f in truth.flows()
                                                 if not f["attributes"]["archived"])
    for flow in flows:
        actions, _ = walk(client.Flows.get_actions_for_flow, id=flow.id, page_size=2)
        assert [a.id for a in actions] == [a["id"] for a in truth.flow_actions()[flow.id]]
        for action in actions:
            messages, _ = walk(client.Flows.get_flow_action_messages, id=action.id)
            assert sorted(m.id for m in messages) == sorted(m["id"] for m in truth.flow_messages()[action.id])


def test_get_events_with_attributions_deserialize(served):
    emulator, client = served
    page = client.Events.get_events(include=["attributions"], page_size=1000)
    attributions = [i for i in page.included if i["type"] == "attribution"]
    credited = {e.id for e in page.data if e.relationships.attributions is not None
                and e.relationships.attributions.data}
    assert attributions and credited == {a["relationships"]["event"]["data"]["id"] for a in attributions}
    assert credited <= set(emulator.truth.attributions())
