"""What shops write about stock, in Japanese first and in the other languages of the pages.

Phrase lists are matched only against a text the adapter has already scoped to the item's
own buy box; never against a whole page (carousels and JS string tables hold decoys).
Texts are NFKC-normalised before matching, so full-width digits and ～ read as ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sync.domain import Availability

OUT_OF_STOCK = (
    # Japanese (seller-rules.md, shop-markup.md)
    "現在在庫切れです",
    "一時的に在庫切れ",
    "在庫切れ",
    "在庫なし",
    "在庫がありません",
    "在庫はありません",
    "品切れ",
    "売り切れ",
    "売切れ",
    "SOLD OUT",
    "Sold Out",
    "sold out",
    "完売",
    "販売終了",
    "販売を終了しました",
    "予定数の販売を終了しました",
    "販売休止",
    "予約受付を終了しました",
    "予約受付終了",
    "入荷時期未定",
    "入荷時期は未定",
    "再入荷予定は立っておりません",
    "ご注文できない商品",
    "ご購入できない商品",
    "現在ご注文いただけません",
    "取り扱いを終了しました",
    "掲載終了",
    "商品が見つかりません",
    "お取り扱いできません",
    "お取り扱いしておりません",
    "在庫切れ中",
    # English and the other Amazon / shop languages
    "Currently unavailable",
    "Out of stock",
    "Out Of Stock",
    "OUT OF STOCK",
    "Sold out",
    "Temporarily out of stock",
    "No longer available",
    "Discontinued",
    "Actuellement indisponible",
    "Rupture de stock",
    "Épuisé",
    "Derzeit nicht verfügbar",
    "Nicht auf Lager",
    "Ausverkauft",
    "Non disponibile",
    "Attualmente non disponibile",
    "Esaurito",
    "No disponible",
    "Agotado",
    "Sin stock",
    "Não disponível",
    "Indisponível",
    "Esgotado",
    "缺貨",
    "缺货",
    "已售完",
    "已售罄",
    "售完",
    "품절",
)
IN_STOCK = (
    "在庫あり",
    "在庫有り",
    "在庫残少",
    "残りわずか",
    "在庫僅少",
    "In Stock",
    "In stock",
    "in stock",
    "En stock",
    "Em estoque",
    "Auf Lager",
    "Disponibile",
    "Disponible",
    "Disponível",
    "Op voorraad",
    "I lager",
    "Dostępny",
    "Only",
    "有現貨",
    "現貨",
)
CART = (
    "ショッピングカートに入れる",
    "カートに入れる",
    "カートへ入れる",
    "買い物かごに入れる",
    "かごに追加",
    "今すぐ買う",
    "今すぐ購入",
    "購入手続きへ",
    "注文手続きへ",
    "Add to Cart",
    "Add to cart",
    "ADD to cart",
    "ADD TO CART",
    "Add to Basket",
    "Add to basket",
    "Add to bag",
    "Add to Bag",
    "Buy now",
    "Buy Now",
    "Buy It Now",
    "Ajouter au panier",
    "In den Einkaufswagen",
    "Aggiungi al carrello",
    "Añadir a la cesta",
    "Adicionar ao carrinho",
    "加入購物車",
    "加入购物车",
)
OTHER_SELLERS = (
    "出品者からお求めいただけます",
    "See All Buying Choices",
    "See all buying choices",
    "Available from these sellers",
    "Voir toutes les options d'achat",
    "Ver todas las opciones de compra",
    "Alle Kaufoptionen anzeigen",
    "Vedi tutte le opzioni di acquisto",
    "Ver todas as opções de compra",
)
CANNOT_SHIP = (
    "cannot be shipped to your selected delivery location",
    "cannot be dispatched to your selected delivery location",
    "お届け先に配送できません",
    "選択したお届け先に発送できません",
    "お届け先には発送できません",
    "ne peut pas être expédié",
    "kann nicht an den gewählten Lieferort",
    "non può essere spedito",
    "no se puede enviar",
    "não pode ser enviado",
)
BACKORDER = ("お取り寄せ", "取り寄せ")
AWAITING = ("入荷待ち", "予約受付中", "予約商品", "発売予定日", "入荷予定", "Pre-order", "Preorder")
SHIPS_WITHIN = (
    "以内に発送",
    "日で発送",
    "営業日以内",
    "以内に出荷",
    "ships within",
    "Usually ships within",
    "Usually dispatched within",
    "dispatched within",
    "Expédié sous",
    "Versandfertig in",
)
BACKORDER_DAYS_ASSUMED = 14  # お取り寄せ with no stated time: assume two weeks (conservative)

_QUANTITY = (
    re.compile(r"残り\s*(\d+)\s*(?:点|個|本|枚|着|冊|セット)"),
    re.compile(r"在庫(?:数)?\s*[:：]?\s*(\d+)\s*(?:点|個|本|枚|着|冊|セット)?\s*(?:$|[^\d])"),
    re.compile(r"Only\s+(\d+)\s+left", re.I),
    re.compile(r"(?<![\d.,$€£¥])(\d+)\s+(?:in stock|left in stock)", re.I),
    re.compile(r"Nur noch\s+(\d+)", re.I),
    re.compile(r"Il ne reste plus que\s+(\d+)", re.I),
    re.compile(r"(?:Solo|Sólo|Quedan|Apenas|Restam)\s+(\d+)", re.I),
)
_RANGE = r"(\d+)\s*(?:[~〜\-–]|から|to|à|bis|a)\s*(\d+)"
_UNITS = (
    (re.compile(_RANGE + r"\s*(?:営業日|日|days?|jours?|Tage?n?|días|dias)", re.I), 1),
    (re.compile(_RANGE + r"\s*(?:週間|weeks?|semaines?|Wochen|semanas)", re.I), 7),
    (re.compile(_RANGE + r"\s*(?:[かヶケカ]月|months?|mois|Monaten?|meses)", re.I), 30),
    (re.compile(r"(\d+)\s*(?:営業日|日|days?|jours?|Tage?n?|días|dias)", re.I), 1),
    (re.compile(r"(\d+)\s*(?:週間|weeks?|semaines?|Wochen|semanas)", re.I), 7),
    (re.compile(r"(\d+)\s*(?:[かヶケカ]月|months?|mois|Monaten?|meses)", re.I), 30),
)


def normal(text: str) -> str:
    """NFKC-normalised, whitespace-collapsed text (full-width digits become ASCII)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def find(text: str, phrases: tuple[str, ...]) -> str | None:
    """The first phrase (in list order) found in ``text``, or None."""
    folded = normal(text)
    lowered = folded.lower()
    for phrase in phrases:
        needle = normal(phrase)
        if needle in folded or (needle.isascii() and needle.lower() in lowered):
            return phrase
    return None


def is_in_stock_text(text: str) -> str | None:
    """An in-stock phrase, guarding the short word "Only" to its "Only N left" use."""
    hit = find(text, IN_STOCK)
    if hit == "Only" and parse_quantity(text) is None:
        return None
    return hit


def parse_quantity(text: str) -> int | None:
    """A stated quantity: 残りN点, 在庫数 N, "Only 3 left", "5 in stock"; else None."""
    folded = normal(text)
    for pattern in _QUANTITY:
        match = pattern.search(folded)
        if match:
            return int(match.group(1))
    return None


def delay_days(text: str) -> int | None:
    """The longest stated shipping or arrival delay in days (通常2～3日以内に発送 -> 3)."""
    folded = normal(text)
    for pattern, unit in _UNITS:
        match = pattern.search(folded)
        if match:
            numbers = [int(g) for g in match.groups() if g is not None]
            return max(numbers) * unit
    return None


def snippet(text: str, phrase: str | None = None, width: int = 80) -> str:
    """A short piece of ``text`` (as written) around ``phrase`` (or its start), for evidence."""
    folded = " ".join(text.split())
    if phrase:
        at = folded.lower().find(phrase.lower())
        if at > 20:
            folded = "…" + folded[at - 20 :]
    return folded if len(folded) <= width else folded[: width - 1] + "…"


_AWAITING_EN = re.compile(r"In stock on |Disponible le |Lieferbar ab |Disponibile dal ", re.I)


@dataclass(frozen=True)
class Classified:
    """What a scoped buy-box text says: availability, the phrase, quantity and delay."""

    availability: Availability
    phrase: str
    quantity: int | None = None
    days: int | None = None


def classify(text: str) -> Classified | None:
    """Read a buy-box text: out-of-stock phrases first, then delays, then in-stock ones."""
    if not text.strip():
        return None
    days = delay_days(text)
    oos = find(text, OUT_OF_STOCK)
    if oos:
        return Classified(Availability.OUT_OF_STOCK, oos, days=days)
    awaiting = find(text, AWAITING) or (_AWAITING_EN.search(text) and "In stock on")
    if awaiting:
        state = Availability.IN_STOCK if days is not None else Availability.OUT_OF_STOCK
        return Classified(state, awaiting, days=days)
    backorder = find(text, BACKORDER)
    if backorder:
        return Classified(Availability.IN_STOCK, backorder, days=days or BACKORDER_DAYS_ASSUMED)
    quantity = parse_quantity(text)
    in_stock = is_in_stock_text(text)
    if in_stock or (quantity is not None and quantity > 0):
        return Classified(Availability.IN_STOCK, in_stock or f"{quantity} left", quantity, days)
    if quantity == 0:
        return Classified(Availability.OUT_OF_STOCK, "quantity 0", 0)
    ships = find(text, SHIPS_WITHIN)
    if ships and days is not None:
        return Classified(Availability.IN_STOCK, ships, days=days)
    return None
