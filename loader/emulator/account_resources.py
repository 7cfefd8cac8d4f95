"""The account resource of `GET /api/accounts` and `GET /api/accounts/{id}` (one account per key)."""

from __future__ import annotations

from typing import Any

from loader.emulator.config import EmulatorConfig
from loader.emulator.resources import sparse

# fields[account]: the spec lists dotted paths, and only those are accepted
ACCOUNT_FIELDS = ("contact_information", "contact_information.default_sender_email",
                  "contact_information.default_sender_name", "contact_information.organization_name",
                  "contact_information.street_address", "contact_information.street_address.address1",
                  "contact_information.street_address.address2", "contact_information.street_address.city",
                  "contact_information.street_address.country", "contact_information.street_address.region",
                  "contact_information.street_address.zip", "contact_information.website_url", "id",
                  "industry", "locale", "preferred_currency", "public_api_key", "test_account", "timezone")


def render_account(config: EmulatorConfig, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    account_id = config.effective_account_id
    return {
        "type": "account",
        "id": account_id,
        "attributes": sparse(config.account_attributes(), fields),
        "links": {"self": f"{base}/api/accounts/{account_id}/"},
    }
