"""The home's organization (shared by every local service that has organization features: CloudTrail
organization trails, AWS Config organization aggregators and conformance packs)."""

from __future__ import annotations

from typing import Any, NamedTuple


class LocalOrganization(NamedTuple):  # not a dataclass: creating one costs ~1 ms of start-up
    """[design choice] Every local account of one home is in one organization, managed by the home's default
    account; its id is ``o-`` + 10 characters [a-z0-9] derived from the management account id (deterministic)."""

    organization_id: str
    management_account: str
    accounts: tuple[str, ...]


def organization_id_for(management_account: str) -> str:
    import hashlib

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(f"awsmon-organization:{management_account}".encode()).digest()
    return "o-" + "".join(alphabet[b % 36] for b in digest[:10])


def local_organization(home: Any) -> LocalOrganization | None:
    """The home's organization (None for a home without accounts)."""
    accounts = tuple(home.account_ids())
    management = home.default_account() or (accounts[0] if accounts else None)
    if management is None:
        return None
    if management not in accounts:
        accounts = tuple(sorted((*accounts, management)))
    return LocalOrganization(organization_id_for(management), management, accounts)
