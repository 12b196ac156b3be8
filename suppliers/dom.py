"""The page as a buyer sees it: an HTML5 tree (selectolax / Lexbor) without what is not shown.

``Document`` parses the whole page once (Lexbor: a few ms for a 1 MB page) and then takes
out what a buyer cannot see or that is not about this product, keeping what it needs of it:

- variant choosers (``select``): an option's "M - Sold out" is not the product's state;
- scripts, styles, templates and comments (their strings hold decoy markup and phrases);
  the text of JSON-LD and JSON scripts is kept first, with whether it sat in a removed region;
- hidden elements (``hidden``, ``display:none``, ``visibility:hidden``, hiding classes);
- other products' regions: ``header``, ``footer``, ``nav`` (unless they hold the ``h1``),
  elements named like recommendations (``related``, ``recommend``, ``upsell``, …) and
  sections whose heading reads like one (おすすめ商品, "You may also like": ``phrases``).

What is left is the product's own page; ``suppliers.buyarea`` finds its buy controls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from stockguard.suppliers import phrases

INVISIBLE = "script, style, template, noscript, svg, iframe, object"
# Variant choosers: an option's "M - Sold out" is one variant's state, not the product's.
CHOOSERS = "select, datalist"
_HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
HIDING_CLASSES = frozenset({
    "hidden", "is-hidden", "d-none", "hide", "u-hidden", "aok-hidden", "a-hidden",
    "display-none", "visually-hidden--hidden", "invisible",
})  # fmt: skip
# Class / id words of regions that list other products (matched inside class tokens).
REGION_WORDS = (
    "recommend",
    "related",
    "upsell",
    "up-sell",
    "crosssell",
    "cross-sell",
    "also-bought",
    "alsobought",
    "also-viewed",
    "similar",
    "recently-viewed",
    "recentlyviewed",
    "ranking",
    "carousel",
    "sponsored",
    "other-items",
    "otheritems",
    "pickup",
    "osusume",
)
_SITE_REGIONS = "header, footer, nav"
_UNSAFE_CONTAINERS = frozenset({"html", "body", "main", "article", "form"})


@dataclass(frozen=True)
class Script:
    """A data script kept before scripts are removed: its type, text and where it sat."""

    kind: str  # the type attribute, lower-cased ("application/ld+json")
    text: str
    in_other_region: bool  # inside a recommendation / header / footer region


def classes(node: LexborNode) -> list[str]:
    """The class tokens of an element, lower-cased."""
    return (node.attributes.get("class") or "").lower().split()


def is_hidden(node: LexborNode) -> bool:
    """Whether the element itself is hidden (attribute, inline style or hiding class)."""
    return hides(node.attributes)


def hides(attrs: Mapping[str, str | None]) -> bool:
    """Whether an element's attributes hide it (``hidden``, inline style, hiding class); for
    an element's attribute mapping (``LexborNode.attributes``)."""
    if "hidden" in attrs:
        return True
    style = attrs.get("style") or ""
    if style and _HIDING_STYLE.search(style):
        return True
    return any(token in HIDING_CLASSES for token in (attrs.get("class") or "").lower().split())


def text_of(node: LexborNode | None) -> str:
    """The visible text of an element, whitespace collapsed."""
    if node is None:
        return ""
    return " ".join(node.text(separator=" ").split())


def _is_other_region(node: LexborNode) -> bool:
    names = " ".join(classes(node)) + " " + (node.attributes.get("id") or "").lower()
    return any(word in names for word in REGION_WORDS)


class Document:
    """One page parsed, cleaned to what a buyer sees of this product (see the module doc)."""

    def __init__(self, text: str) -> None:
        self.tree = LexborHTMLParser(text)
        self.title = text_of(self.tree.css_first("title"))
        self.meta = self._meta()
        others = self._other_regions()
        other_ids = {node.mem_id for node in others}
        self.scripts = [self._script(node, other_ids) for node in self.tree.css("script[type]")]
        self.removed_regions = len(others)
        for node in others:
            node.decompose()
        for node in self.tree.css(f"{INVISIBLE}, {CHOOSERS}"):
            node.decompose()
        for node in self.tree.css("[hidden], [style], [class]"):
            if is_hidden(node):
                node.decompose()

    def _meta(self) -> dict[str, str]:
        meta: dict[str, str] = {}
        for node in self.tree.css("meta[content]"):
            attrs = node.attributes
            key = (attrs.get("property") or attrs.get("name") or "").lower()
            if key:
                meta.setdefault(key, attrs.get("content") or "")
        return meta

    def _script(self, node: LexborNode, other_ids: set[int]) -> Script:
        kind = (node.attributes.get("type") or "").lower().strip()
        inside = any(a.mem_id in other_ids for a in _ancestors(node))
        return Script(kind, node.text(deep=True), inside)

    def _other_regions(self) -> list[LexborNode]:
        """Regions about other products or the site, outermost only."""
        found = [n for n in self.tree.css(_SITE_REGIONS) if n.css_first("h1") is None]
        found += [n for n in self.tree.css("[class], [id]") if _is_other_region(n)]
        found += self._related_by_heading()
        ids = {n.mem_id for n in found}
        outer = [n for n in found if not any(a.mem_id in ids for a in _ancestors(n))]
        return [n for n in outer if n.tag not in _UNSAFE_CONTAINERS and n.css_first("h1") is None]

    def _related_by_heading(self) -> list[LexborNode]:
        """The container of each h2–h4 heading that reads like a recommendation section."""
        found = []
        for heading in self.tree.css("h2, h3, h4"):
            said = text_of(heading)
            if len(said) > 60 or phrases.find(said, phrases.RELATED) is None:
                continue
            parent = heading.parent
            if parent is not None and parent.tag not in _UNSAFE_CONTAINERS:
                found.append(parent)
        return found

    def json(self, kind: str) -> list[Script]:
        """The kept scripts of one type (e.g. ``application/ld+json``)."""
        return [s for s in self.scripts if s.kind == kind]

    @property
    def body(self) -> LexborNode | None:
        """The cleaned ``<body>``."""
        return self.tree.body

    def css(self, selector: str) -> list[LexborNode]:
        """Elements of the cleaned page matching a CSS selector."""
        return self.tree.css(selector)

    def first(self, selector: str) -> LexborNode | None:
        """The first element of the cleaned page matching a CSS selector."""
        return self.tree.css_first(selector)

    @property
    def h1(self) -> str:
        """The first ``h1`` text (the product's name on most shops)."""
        return text_of(self.tree.css_first("h1"))


def within(node: LexborNode, area: LexborNode) -> bool:
    """Whether ``node`` is ``area`` or inside it."""
    parent: LexborNode | None = node
    while parent is not None:
        if parent.mem_id == area.mem_id:
            return True
        parent = parent.parent
    return False


def _ancestors(node: LexborNode) -> list[LexborNode]:
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found
