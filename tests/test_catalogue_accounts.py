"""The catalogue's optional ``account`` column against the configured seller accounts: each
row's account is named or implied, and a wrong one refuses the row naming file, line and
account (never a listing pushed through another seller's credentials)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import Engine

from stockguard.cli.catalogue.accounts import CatalogueAccounts
from stockguard.cli.catalogue.importer import import_listings_file, parse_listings_text
from stockguard.core.clock import ManualClock
from stockguard.core.config import parse_settings
from stockguard.core.domain import DEFAULT_ACCOUNT, ListingKey
from stockguard.core.store.listings import find_listings, get_listing

TWO = """
[[amazon.accounts]]
name = "export-na"
seller_id = "A1NA"
marketplaces = ["US", "CA"]

[[amazon.accounts]]
name = "export-fe"
seller_id = "A1FE"
marketplaces = ["JP"]
"""
HEADER = "sku,marketplace,asin,handling_days,default_quantity,source,account\n"
ROW = "{sku},{market},,2,1,https://shop.test/{sku},{account}\n"


def two() -> CatalogueAccounts:
    return CatalogueAccounts.of(parse_settings(tomllib.loads(TWO)))


def rows(*cells: tuple[str, str, str]) -> str:
    return HEADER + "".join(ROW.format(sku=s, market=m, account=a) for s, m, a in cells)


def test_rows_name_their_account_and_wrong_ones_are_refused_by_file_line_and_account() -> None:
    text = rows(
        ("A-1", "US", "export-na"),
        ("A-1", "JP", "export-fe"),  # the same SKU in the other account: its own listing
        ("B-2", "US", "export-eu"),
        ("C-3", "JP", "export-na"),
        ("D-4", "CA", ""),
    )
    parsed = parse_listings_text(text, "cat.csv", accounts=two())
    assert [(i.key.account, i.sku, i.marketplace) for i in parsed.listings] == [
        ("export-na", "A-1", "US"),
        ("export-fe", "A-1", "JP"),
    ]
    assert parsed.errors == [
        "cat.csv:4: unknown seller account 'export-eu' (configured: export-na, export-fe)"
        " (sku B-2)",
        "cat.csv:5: marketplace JP is not one of account 'export-na''s marketplaces (US, CA)"
        " (sku C-3)",
        "cat.csv:6: no account named; several seller accounts are configured "
        "(export-na, export-fe) (sku D-4)",
    ]


def test_without_the_column_a_row_is_the_only_accounts() -> None:
    text = (
        "sku,marketplace,asin,handling_days,default_quantity,source\nA-1,US,,2,1,https://s.test/a\n"
    )
    default = parse_listings_text(text, "cat.csv")
    assert [i.key.account for i in default.listings] == [DEFAULT_ACCOUNT]
    one = CatalogueAccounts.of(
        parse_settings({"amazon": {"accounts": [{"name": "solo", "marketplaces": ["US"]}]}})
    )
    assert [i.key.account for i in parse_listings_text(text, "c", accounts=one).listings] == [
        "solo"
    ]
    assert parse_listings_text(rows(("A-1", "US", "other")), "c.csv").errors == [
        "c.csv:2: unknown seller account 'other' (configured: default) (sku A-1)"
    ]


def test_the_same_sku_in_two_accounts_is_stored_as_two_listings(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(rows(("A-1", "US", "export-na"), ("A-1", "JP", "export-fe")), "utf-8")
    now = ManualClock().now()
    report = import_listings_file(db, path, now, accounts=two())
    assert (report.good, report.errors, report.saved.inserted) == (2, [], 2)
    again = import_listings_file(db, path, now, accounts=two())
    assert (again.saved.inserted, again.saved.updated) == (0, 2)
    assert get_listing(db, ListingKey.of("A-1", "JP", "export-fe")) is not None
    assert get_listing(db, ListingKey.of("A-1", "JP", "export-na")) is None
    assert [i.account for i in find_listings(db, account="export-na")] == ["export-na"]
