"""Reader for SWORD zText Bible modules and OSIS markup stripping.

A zText testament is three files: `.bzs` lists compressed blocks (u32 offset, u32
compressed size, u32 uncompressed size), `.bzv` lists verse entries in versification
order (u32 block, u32 offset in the inflated block, u16 size), and `.bzz` holds the
zlib-compressed blocks. All integers are little-endian.
"""

import html
import os
import re
import struct
import zlib

_BLOCK_ENTRY = struct.Struct("<III")
_VERSE_ENTRY = struct.Struct("<IIH")


def read_testament(module_dir: str, testament: str):
    """Yield the raw markup of each non-empty verse entry of `testament` ('ot' or 'nt'), in order."""
    def load(ext):
        with open(os.path.join(module_dir, f"{testament}.{ext}"), "rb") as f:
            return f.read()

    bzs, bzv, bzz = load("bzs"), load("bzv"), load("bzz")
    blocks = [_BLOCK_ENTRY.unpack_from(bzs, i) for i in range(0, len(bzs), _BLOCK_ENTRY.size)]
    inflated = {}
    for i in range(0, len(bzv) - _VERSE_ENTRY.size + 1, _VERSE_ENTRY.size):
        block, offset, size = _VERSE_ENTRY.unpack_from(bzv, i)
        if size == 0:
            continue
        if block not in inflated:
            start, n_compressed, _ = blocks[block]
            inflated[block] = zlib.decompress(bzz[start : start + n_compressed])
        yield inflated[block][offset : offset + size].decode("utf-8")


# Elements whose content is apparatus rather than running text.
_DROP_WITH_CONTENT = re.compile(r"<(note|title)\b[^>]*/>|<(note|title)\b[^>]*>.*?</\2>", re.S)
_CHAPTER_START = re.compile(r"<chapter\b[^>]*\bsID=")
_PARAGRAPH_MARK = re.compile(r'<div\b[^>]*type="x-p"[^>]*/>|<p\b[^>]*>|<lb\b[^>]*/>|¶')
# A few entries end in a cut-off tag; drop it along with complete tags.
_ANY_TAG = re.compile(r"<[^>]+>|<[^>]*$")


def _plain(markup: str) -> str:
    text = _DROP_WITH_CONTENT.sub(" ", markup)
    text = _PARAGRAPH_MARK.sub("\n", text)
    text = _ANY_TAG.sub("", text)
    return html.unescape(text)


def read_chapters(module_dir: str):
    """Yield each chapter of a zText module (both testaments) as a list of plain-text paragraphs."""
    for testament in ("ot", "nt"):
        if not os.path.exists(os.path.join(module_dir, f"{testament}.bzz")):
            continue
        pieces = []
        for markup in read_testament(module_dir, testament):
            if _CHAPTER_START.search(markup) and pieces:
                yield _paragraphs("".join(pieces))
                pieces = []
            pieces.append(_plain(markup) + " ")
        if pieces:
            yield _paragraphs("".join(pieces))


def _paragraphs(text: str):
    out = []
    for para in text.split("\n"):
        para = " ".join(para.split())
        para = re.sub(r" ([,.;:!?’”])", r"\1", para)
        if para:
            out.append(para)
    return out
