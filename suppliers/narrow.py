"""Narrow a 1–2 MB page to the few fragments that matter, before any tree is built.

A real Amazon page is 1–2 MB; building a whole tree costs 90–250 ms and invites reading the
wrong part of it (carousels, JS string tables). Here the raw text is searched with regular
expressions for the anchors an adapter names (an element id, a JSON-LD block, a meta tag), the
element around each anchor is cut out by counting its open and close tags (skipping scripts
and comments, whose strings hold stray ``</div>``), and only that slice is parsed with lxml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import html as lxml_html
from lxml.etree import ParserError, _Element

VOID_TAGS = frozenset({"input", "img", "meta", "link", "br", "hr", "source", "area", "base"})
_SCRIPT_OR_COMMENT = r"<script\b[^>]*>.*?</script\s*>|<style\b[^>]*>.*?</style\s*>|<!--.*?-->"
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_JSON_LD = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.I | re.S,
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_TAG_NAME = re.compile(r"<([a-zA-Z][\w-]*)")


@dataclass(frozen=True)
class Slice:
    """One element cut out of the page: its markup and where it sits in the page."""

    html: str
    start: int
    end: int

    def contains(self, position: int) -> bool:
        """Whether a page offset lies inside this element."""
        return self.start <= position < self.end


@lru_cache(maxsize=32)
def _tag_scanner(tag: str) -> re.Pattern[str]:
    return re.compile(_SCRIPT_OR_COMMENT + rf"|<(/?){re.escape(tag)}\b[^>]*?(/?)>", re.I | re.S)


def element_at(text: str, start: int) -> Slice | None:
    """The element whose start tag begins at ``start``, cut by balancing its tags."""
    name_match = _TAG_NAME.match(text, start)
    if name_match is None:
        return None
    tag = name_match.group(1).lower()
    tag_end = text.find(">", start)
    if tag_end < 0:
        return None
    if tag in VOID_TAGS or text[tag_end - 1] == "/":
        return Slice(text[start : tag_end + 1], start, tag_end + 1)
    depth = 0
    for match in _tag_scanner(tag).finditer(text, start):
        if match.group(1) is None:  # a script, style or comment: its contents do not count
            continue
        if match.group(2):  # self-closing
            continue
        depth += -1 if match.group(1) == "/" else 1
        if depth == 0:
            return Slice(text[start : match.end()], start, match.end())
    return Slice(text[start:], start, len(text))  # unbalanced: the rest of the page


def _tag_start(text: str, position: int) -> int:
    return text.rfind("<", 0, position)


def find_id(text: str, element_id: str, *, after: int = 0) -> Slice | None:
    """The first element with exactly this id (``id="…"``), cut out of the page."""
    slices = find_ids(text, element_id, after=after, limit=1)
    return slices[0] if slices else None


def find_ids(text: str, element_id: str, *, after: int = 0, limit: int = 20) -> list[Slice]:
    """Every element with exactly this id, in page order (Amazon repeats some ids)."""
    found: list[Slice] = []
    for position in _id_positions(text, element_id, after):
        start = _tag_start(text, position)
        if start < 0 or ">" in text[start:position] or in_script(text, start):
            continue  # the id="" text is not a real tag (e.g. markup in a script string)
        cut = element_at(text, start)
        if cut is not None:
            found.append(cut)
        if len(found) >= limit:
            break
    return found


def _id_positions(text: str, element_id: str, after: int) -> Iterator[int]:
    """Offsets of ``id="X"`` / ``id='X'``: a plain substring search is what keeps narrowing
    fast (a regex without a literal prefix crawls through 1.5 MB)."""
    needles = (f'id="{element_id}"', f"id='{element_id}'")
    cursors = [text.find(needle, after) for needle in needles]
    while max(cursors) >= 0:
        index = 0 if cursors[1] < 0 or 0 <= cursors[0] < cursors[1] else 1
        position = cursors[index]
        if position > 0 and text[position - 1] in " \t\r\n":
            yield position
        cursors[index] = text.find(needles[index], position + 1)


def find_first(text: str, element_ids: tuple[str, ...]) -> Slice | None:
    """The element of the first id in ``element_ids`` (priority order) found in the page.

    One regex pass finds all candidates, instead of one page scan per absent id."""
    pattern = _ids_pattern(element_ids)
    seen: dict[str, int] = {}
    for match in pattern.finditer(text):
        seen.setdefault(match.group(1), match.start())
        if match.group(1) == element_ids[0]:
            break
    for element_id in element_ids:
        if element_id in seen:
            cut = find_id(text, element_id, after=max(0, seen[element_id] - 1))
            if cut is not None:
                return cut
    return None


@lru_cache(maxsize=64)
def _ids_pattern(element_ids: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(i) for i in element_ids)
    return re.compile(rf"""id=["']({alternatives})["']""")


def id_present(text: str, element_id: str) -> bool:
    """Whether an element with exactly this id is in the page (no slicing)."""
    return next(_id_positions(text, element_id, 0), None) is not None


def in_script(text: str, position: int) -> bool:
    """Whether a page offset lies inside a ``<script>`` element."""
    opened = text.rfind("<script", 0, position)
    return opened >= 0 and opened > text.rfind("</script", 0, position)


def find_tags(text: str, pattern: str, *, limit: int = 50) -> list[Slice]:
    """Elements whose start tag matches ``pattern`` (a regex over the tag text from ``<``)."""
    found: list[Slice] = []
    for match in re.finditer(pattern, text, re.I | re.S):
        cut = element_at(text, match.start())
        if cut is not None:
            found.append(cut)
        if len(found) >= limit:
            break
    return found


def start_tags(text: str, pattern: str, *, limit: int = 200) -> Iterator[dict[str, str]]:
    """Attributes of start tags matching ``pattern`` (e.g. ``<meta[^>]*itemprop``)."""
    for count, match in enumerate(re.finditer(pattern + r"[^>]*>", text, re.I | re.S)):
        if count >= limit:
            break
        yield attributes(match.group(0))


def attributes(tag: str) -> dict[str, str]:
    """The attributes of one start tag, lower-cased names, quotes removed."""
    end = tag.find(">")
    body = tag[1 : end if end > 0 else len(tag)]
    name = _TAG_NAME.match("<" + body)
    body = body[name.end() - 1 :] if name else body
    attrs: dict[str, str] = {}
    for key, value in _ATTR.findall(body):
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs.setdefault(key.lower(), value)
    return attrs


def json_ld_blocks(text: str) -> list[str]:
    """The raw contents of every ``<script type="application/ld+json">`` block."""
    return [m.group(1) for m in _JSON_LD.finditer(text)]


def title(text: str) -> str:
    """The page's ``<title>`` text, whitespace collapsed (empty when absent)."""
    match = _TITLE.search(text, 0, min(len(text), 400_000))
    return " ".join(match.group(1).split()) if match else ""


def without_scripts(fragment: str) -> str:
    """A fragment with scripts, styles and comments removed (their strings are decoys)."""
    return re.sub(_SCRIPT_OR_COMMENT, " ", fragment, flags=re.I | re.S)


def tree(fragment: str) -> _Element | None:
    """An lxml tree of one fragment, with scripts, styles and comments already removed."""
    cleaned = without_scripts(fragment).strip()
    if not cleaned:
        return None
    try:
        return lxml_html.fragment_fromstring(cleaned, create_parent="div")
    except (ParserError, ValueError):
        return None


def text_of(element: _Element | None) -> str:
    """The visible text of an element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join(element.text_content().split())


def fragment_text(fragment: str) -> str:
    """The visible text of a markup fragment (no tree kept)."""
    return text_of(tree(fragment))


def has_id(element: _Element, element_id: str) -> bool:
    """Whether an element with exactly this id is inside ``element``."""
    return bool(element.xpath(f'.//*[@id="{element_id}"]'))


def by_id(element: _Element, element_id: str) -> _Element | None:
    """The first element with exactly this id inside ``element``."""
    found = element.xpath(f'.//*[@id="{element_id}"]')
    return found[0] if found else None
