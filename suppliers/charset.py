"""Turning fetched bytes into text: BOM, HTTP header charset, <meta charset>, then detection.

Japanese shops still serve Shift_JIS and EUC-JP pages. "Shift_JIS" as labelled on the web is
in practice Microsoft's CP932 (it has the NEC/IBM extensions: ①, ㈱, 髙), so it is decoded as
cp932; decoding it as strict shift_jis would turn those characters into errors.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Labels seen in the wild mapped to the codec that actually decodes them.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "cp932": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "iso-2022-jp": "iso2022_jp",
    "utf8": "utf-8",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_SCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_DETECT_BYTES = 200_000  # detection on a 2 MB page is slow; the head says enough


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip()
    return None


def meta_charset(head: bytes) -> str | None:
    """The charset named by ``<meta charset>`` or ``<meta http-equiv=Content-Type>``."""
    match = _META_CHARSET.search(head[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a response body; returns ``(text, codec)``. Never raises on bad bytes."""
    if not body:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    for label in (header_charset(content_type), meta_charset(body)):
        labelled = codec_for(label)
        if labelled is not None:
            return body.decode(labelled, errors="replace"), labelled
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:_DETECT_BYTES]).best()
    detected = (codec_for(best.encoding) if best is not None else None) or "utf-8"
    return body.decode(detected, errors="replace"), detected
