"""Data is never console markup: every command that prints data through Rich, with markup in it.

A SKU ``[/x]`` once crashed `listings show`, `plan` and `why` (``MarkupError``); a supplier
page saying ``[/x] 在庫切れ`` made `sync --once` push its 0 and then die printing it (exit 1);
a buyer's return comment ``[/b]`` broke `returns list`. Each runs here through the real root
(``run_guarded``) on the live world, and must print the data exactly as it reads.
"""

from __future__ import annotations

import ast
import mailbox
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.engine import test_cli_engine
from tests.engine.conftest import HOST_A, HOST_B, LiveWorld, build_live
from tests.engine.test_cli_engine import Invoke
from tests.suppliers.test_fetch import LocalServer, send

stockguard = test_cli_engine.stockguard  # `stockguard ARGS` in this process, on `live` below

SKU = "[/x]"
CATALOGUE = {
    SKU: ("matcha-whisk", "rakuten", HOST_A),
    ":smile:[bold]": ("kyusu-teapot", "yodobashi", HOST_A),
    "JP-FUROSHIKI": ("furoshiki", "shopify", HOST_B),
}
PAGE = (
    '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>x</title></head><body>'
    '<main class="product"><h1>茶筅</h1><p class="price">1980円</p>'
    '<p class="stock">[/x] 在庫切れ</p></main></body></html>'
).encode()
RETURN_UK = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "return_request_uk.eml"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveWorld]:
    """The live world, its SKUs full of console markup."""
    with ExitStack() as stack:
        yield build_live(stack, tmp_path, CATALOGUE)


def test_listings_show_prints_a_markup_sku_as_it_reads(stockguard: Invoke) -> None:
    result = stockguard("listings", "show")

    assert result.code == 0, result.out + result.err
    assert "[/x]" in result.out
    assert ":smile:[bold]" in result.out
    assert "3 of 3 listings" in result.out


def test_sync_plan_and_why_print_markup_in_skus_and_evidence(
    live: LiveWorld, stockguard: Invoke
) -> None:
    assert stockguard("sync", "--once").code == 0  # learns Amazon's quantities
    live.shop.set_stock("matcha-whisk", False)

    synced = stockguard("sync", "--once")
    planned = stockguard("plan", "--all")
    why = stockguard("why", SKU)

    assert synced.code == 0, synced.out + synced.err
    assert live.emulator.quantity(SKU) == 0
    assert "[/x]" in synced.out
    assert planned.code == 0, planned.out + planned.err
    assert "[/x]" in planned.out
    assert ":smile:[bold]" in planned.out
    assert why.code == 0, why.out + why.err
    assert why.out.startswith("[/x] (US) -> 0 at ")


def test_sync_once_prints_a_page_phrase_with_markup(
    live: LiveWorld, stockguard: Invoke, tmp_path: Path
) -> None:
    page = LocalServer(routes={"/item/whisk": lambda req, _hit: send(req, 200, PAGE)})
    try:
        catalogue = tmp_path / "page.csv"
        lines = (live.work / "catalogue.csv").read_text(encoding="utf-8").splitlines()
        source = f"page:generic:{page.url('/item/whisk')}"
        lines[1] = ",".join([*lines[1].split(",")[:-1], source])
        catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert stockguard("listings", "import", str(catalogue)).code == 0

        result = stockguard("sync", "--once")
    finally:
        page.close()

    assert result.code == 0, result.out + result.err
    assert live.emulator.quantity(SKU) == 0
    assert "page says: [/x] 在庫切れ" in result.out


def test_returns_list_prints_a_markup_comment(live: LiveWorld, stockguard: Invoke) -> None:
    box = mailbox.mbox(live.work / "amazon.mbox")
    box.add(RETURN_UK.read_bytes().replace(b"The print is smudged", b"[/b] :smile: smudged"))
    box.close()
    assert stockguard("intake", "mail", "--mbox", str(live.work / "amazon.mbox")).code == 0

    result = stockguard("returns", "list")

    assert result.code == 0, result.out + result.err
    assert "[/b] :smile: smudged" in result.out


def _prints_of_formatted_text(path: Path) -> list[str]:
    """Calls that hand Rich an f-string or a format call (parsed as markup) instead of Text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in ("print", "add_row"):
            continue
        for arg in node.args:
            if isinstance(arg, ast.JoinedStr | ast.BinOp) or (
                isinstance(arg, ast.Attribute | ast.Name | ast.Subscript)
                and node.func.attr == "add_row"
            ):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_command_hands_rich_a_formatted_string() -> None:
    files = sorted((ROOT / "cli").glob("*.py")) + sorted((ROOT / "cancellations").glob("*.py"))
    offenders = [hit for path in files for hit in _prints_of_formatted_text(path)]
    assert offenders == [], "print data through cli.plain (plain / styled)"
