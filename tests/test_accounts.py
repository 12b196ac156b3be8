"""Several seller accounts in one config: [[amazon.accounts]] resolved, checked, and their
credentials read from each account's own environment variables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from stockguard.core.accounts import DEFAULT_ACCOUNT, accounts, find_account
from stockguard.core.config import load_settings, parse_settings
from stockguard.core.errors import ConfigError

TWO = """
[amazon]
endpoint = "http://127.0.0.1:9"
max_retries = 3

[[amazon.accounts]]
name = "export-na"
seller_id = "A1NA"
marketplaces = ["US", "CA", "MX"]

[[amazon.accounts]]
name = "export-eu"
seller_id = "A1EU"
marketplaces = ["UK", "A1PA6795UKMFR9"]
credentials = "EU_MAIN"
endpoint = "http://127.0.0.1:10"
"""


def test_without_a_list_the_amazon_table_is_the_one_default_account() -> None:
    settings = parse_settings({"amazon": {"seller_id": "A1", "marketplace": "JP"}})
    (only,) = accounts(settings)
    assert (only.name, only.amazon.seller_id, only.region) == (DEFAULT_ACCOUNT, "A1", "FE")
    assert [m.code for m in only.marketplaces] == ["JP"]
    assert find_account(settings, None) is not None


def test_each_account_has_its_marketplaces_endpoint_and_shared_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stockguard.toml"
    path.write_text(TWO, encoding="utf-8")
    monkeypatch.setenv("STOCKGUARD_EXPORT_NA_LWA_CLIENT_ID", "na-id")
    monkeypatch.setenv("STOCKGUARD_EXPORT_NA_LWA_CLIENT_SECRET", "na-secret")
    monkeypatch.setenv("STOCKGUARD_EXPORT_NA_REFRESH_TOKEN", "na-token")
    monkeypatch.setenv("STOCKGUARD_EU_MAIN_LWA_CLIENT_ID", "eu-id")
    na, eu = accounts(load_settings(path))
    assert [m.code for m in na.marketplaces] == ["US", "CA", "MX"]
    assert [m.code for m in eu.marketplaces] == ["UK", "DE"]
    assert (na.region, eu.region) == ("NA", "EU")
    assert (na.amazon.seller_id, na.amazon.marketplace, na.amazon.max_retries) == ("A1NA", "US", 3)
    assert (na.amazon.endpoint, eu.amazon.endpoint) == ("http://127.0.0.1:9", "http://127.0.0.1:10")
    assert (na.secrets.lwa_client_id, na.secrets.refresh_token) == ("na-id", "na-token")
    assert (eu.secrets.lwa_client_id, eu.secrets.refresh_token) == ("eu-id", "")
    shown = repr(na) + repr(na.secrets) + repr(load_settings(path))
    assert "na-secret" not in shown
    assert "na-token" not in shown


@pytest.mark.parametrize(
    ("accounts_toml", "message"),
    [
        ('name = "na"\nmarketplaces = ["US", "UK"]', "span regions EU, NA"),
        ('name = "na"\nmarketplaces = ["XX"]', "unknown marketplace 'XX'"),
        ('name = "na"\nmarketplaces = []', "marketplaces is empty"),
        ('name = "North America"\nmarketplaces = ["US"]', "#1: name 'North America'"),
        ('name = "na"\nmarketplaces = ["US"]\nregion = "NA"', "unknown key 'region'"),
    ],
)
def test_a_bad_account_is_refused_naming_it(accounts_toml: str, message: str) -> None:
    raw = tomllib.loads(f"[[amazon.accounts]]\n{accounts_toml}\n")
    with pytest.raises(ConfigError, match=message):
        accounts(parse_settings(raw))


def test_two_accounts_may_not_share_a_name() -> None:
    one = {"name": "na", "marketplaces": ["US"]}
    with pytest.raises(ConfigError, match="#2: the name 'na' is used by two accounts"):
        accounts(parse_settings({"amazon": {"accounts": [one, one]}}))


def test_an_account_is_found_by_name() -> None:
    raw = {"amazon": {"accounts": [{"name": "na", "marketplaces": ["US"]},
                                   {"name": "fe", "marketplaces": ["JP", "AU"]}]}}  # fmt: skip
    settings = parse_settings(raw)
    assert find_account(settings, "fe").region == "FE"
    with pytest.raises(ConfigError, match=r"several seller accounts are configured \(na, fe\)"):
        find_account(settings, None)
    with pytest.raises(ConfigError, match="unknown seller account 'eu' \\(known: na, fe\\)"):
        find_account(settings, "eu")


def test_missing_account_credentials_name_the_accounts_own_variables() -> None:
    from stockguard.core.amazon.account import library_credentials
    from stockguard.core.config import AccountSettings, read_account_secrets

    account = AccountSettings(name="export-na", marketplaces=("US",))
    secrets = read_account_secrets(account, {"STOCKGUARD_EXPORT_NA_LWA_CLIENT_ID": "id"})
    with pytest.raises(ConfigError) as refused:
        library_credentials(secrets)
    assert str(refused.value) == (
        "Amazon credentials missing: set STOCKGUARD_EXPORT_NA_LWA_CLIENT_SECRET, "
        "STOCKGUARD_EXPORT_NA_REFRESH_TOKEN in the environment "
        "(STOCKGUARD_EXPORT_NA_LWA_CLIENT_ID set; all three are needed)"
    )


def test_a_pool_has_one_planner_label_per_account() -> None:
    from stockguard.core.domain import PoolKey

    assert PoolKey("MUG-1").label == "MUG-1"  # the default account: the stored schedules' key
    assert PoolKey("MUG-1", "export-fe").label == "export-fe::MUG-1"
    assert PoolKey("MUG-1", "export-fe").label != PoolKey("MUG-1", "export-na").label
