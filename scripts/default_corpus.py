#!/usr/bin/env python3
"""Write the default search corpus as JSONL, one page per line.

Reads the Debian packages unpacked by scripts/build_corpus.sh (PKGS/<package>/...) and writes
{"url","title","text","date","last_updated"} per page for `tachyon index add`:

  Jargon File 4.4.7      one page per entry     http://www.catb.org/jargon/html/<L>/<name>.html
  The Devil's Dictionary one page per entry     https://www.gutenberg.org/ebooks/972#<headword>
  Jane Austen's novels   one page per chapter   https://www.gutenberg.org/ebooks/<id>#chapter-<n>
  World English Bible    one page per chapter   https://ebible.org/web/<BOOK><chapter>.htm

Jargon File URLs follow catb.org's file naming (spaces and slashes become '-', other
punctuation is dropped; entries not starting with a letter live under 0/). The Bible is the
66-book canon of the WEB's SWORD module (its deuterocanon and the KJV module are left out so
that a verse is not indexed twice). Text keeps paragraphs apart with blank lines.

Usage: default_corpus.py PKGS OUT.jsonl
"""

import gzip
import html
import json
import re
import struct
import sys
import zlib
from pathlib import Path


def reflow(lines):
    """Hard-wrapped lines -> paragraphs (split at blank lines), whitespace collapsed."""
    paragraphs, current = [], []
    for line in list(lines) + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(" ".join(current).split()))
            current = []
    return paragraphs


def strip_emphasis(text):
    return re.sub(r"(?<!\w)_([^_]+?)_(?!\w)", r"\1", text)


# --- The Jargon File -----------------------------------------------------------------------

def jargon_file_name(term):
    name = term.replace(" ", "-").replace("/", "-").strip("-")
    name = re.sub(r"[^A-Za-z0-9._+-]", "", name)
    return name or "entry"


def jargon_pages(pkgs):
    path = pkgs / "jargon-text/usr/share/doc/jargon-text/jargon.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    head = re.compile(r"^   :(.+?):\s*(.*)$")
    section_end = re.compile(r"^ {0,2}\S")  # a section letter or a part title ends an entry
    entries, entry = [], None
    for line in lines:
        match = head.match(line)
        if match or (entry is not None and section_end.match(line)):
            if entry is not None:
                entries.append(entry)
            entry = None
        if match:
            term = match.group(1)
            rest = re.sub(r"^//,?\s*", "", match.group(2)).strip()
            entry = (term, [f"{term}: {rest}" if rest else term, ""])
        elif entry is not None:
            entry[1].append(line)
    if entry is not None:
        entries.append(entry)
    seen = set()
    for term, body in entries:
        letter = term[0].upper() if term[0].isalpha() else "0"
        url = f"http://www.catb.org/jargon/html/{letter}/{jargon_file_name(term)}.html"
        if url in seen:
            continue
        seen.add(url)
        paragraphs = [re.sub(r"\{([^{}]*)\}", r"\1", p) for p in reflow(body)]
        yield {"url": url, "title": term, "text": "\n\n".join(paragraphs),
               "date": "2003-12-29", "last_updated": "2003-12-29"}


# --- The Devil's Dictionary ----------------------------------------------------------------

def dictd_number(text):
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    value = 0
    for ch in text:
        value = value * 64 + digits.index(ch)
    return value


def devil_pages(pkgs):
    base = pkgs / "dict-devil/usr/share/dictd/devil"
    with gzip.open(str(base) + ".dict.dz", "rb") as f:
        data = f.read()
    seen = set()
    for line in Path(str(base) + ".index").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 3 or fields[0].startswith("00"):
            continue
        headword, start, size = fields[0], dictd_number(fields[1]), dictd_number(fields[2])
        if (start, size) in seen:
            continue
        seen.add((start, size))
        body = data[start:start + size].decode("utf-8", errors="replace")
        paragraphs = [strip_emphasis(p) for p in reflow(body.split("\n"))]
        if not paragraphs:
            continue
        title = headword.upper()
        anchor = re.sub(r"[^a-z0-9]+", "-", headword.lower()).strip("-")
        yield {"url": f"https://www.gutenberg.org/ebooks/972#{anchor}", "title": title,
               "text": "\n\n".join(paragraphs), "date": "1911-01-01", "last_updated": "1911-01-01"}


# --- Jane Austen ---------------------------------------------------------------------------

# Identified by the first line of each book's text: name, Gutenberg id, first publication.
AUSTEN_BOOKS = {
    "SENSE AND SENSIBILITY": ("Sense and Sensibility", 161, "1811-10-30"),
    "PRIDE AND PREJUDICE": ("Pride and Prejudice", 1342, "1813-01-28"),
    "MANSFIELD PARK": ("Mansfield Park", 141, "1814-05-09"),
    "EMMA": ("Emma", 158, "1815-12-23"),
    "NORTHANGER ABBEY": ("Northanger Abbey", 121, "1817-12-20"),
    "PERSUASION": ("Persuasion", 105, "1817-12-20"),
}


def r_character_vectors(rdb_bytes):
    """Each object of an R lazy-load database that is a plain character vector, as a list of
    strings (None for NA). Objects are zlib streams after a 4-byte big-endian length; inside,
    R's XDR serialization: "X\\n", three ints, (v3) the native encoding, then the object."""
    pos = 0
    while pos + 4 <= len(rdb_bytes):
        inflater = zlib.decompressobj()
        raw = inflater.decompress(rdb_bytes[pos + 4:])
        pos = len(rdb_bytes) - len(inflater.unused_data)
        if raw[:2] != b"X\n":
            continue
        at = 2
        def int32():
            nonlocal at
            value = struct.unpack_from(">i", raw, at)[0]
            at += 4
            return value
        version = int32()
        int32(), int32()
        if version == 3:
            n_encoding = int32()
            at += n_encoding
        if (int32() & 0xFF) != 16:  # STRSXP
            continue
        strings = []
        for _ in range(int32()):
            int32()  # CHARSXP flags
            n = int32()
            if n < 0:
                strings.append(None)
                continue
            strings.append(raw[at:at + n].decode("utf-8", errors="replace"))
            at += n
        yield strings


def austen_pages(pkgs):
    rdb = pkgs / "r-cran-janeaustenr/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"
    heading = re.compile(r"^\s*(CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$")
    volume = re.compile(r"^\s*(VOLUME|Volume)\s+[IVX0-9]+\s*$")
    for lines in r_character_vectors(rdb.read_bytes()):
        lines = ["" if line is None else line for line in lines]
        first = next((line.strip() for line in lines if line.strip()), "")
        first = first.upper()
        if first not in AUSTEN_BOOKS:
            continue
        name, ebook, published = AUSTEN_BOOKS[first]
        chapters, current, started = [], [], False
        for line in lines:
            if heading.match(line):
                if started and current:
                    chapters.append(current)
                current, started = [], True
            elif volume.match(line):
                continue
            elif started:
                current.append(line)
        if current:
            chapters.append(current)
        for number, chapter in enumerate(chapters, start=1):
            text = "\n\n".join(strip_emphasis(p) for p in reflow(chapter))
            yield {"url": f"https://www.gutenberg.org/ebooks/{ebook}#chapter-{number}",
                   "title": f"{name}, Chapter {number}", "text": text,
                   "date": published, "last_updated": published}


# --- The World English Bible (SWORD zText, OSIS markup) -------------------------------------

# OSIS book id -> (name, USFM code as ebible.org names its chapter files).
BIBLE_BOOKS = {
    "Gen": ("Genesis", "GEN"), "Exod": ("Exodus", "EXO"), "Lev": ("Leviticus", "LEV"),
    "Num": ("Numbers", "NUM"), "Deut": ("Deuteronomy", "DEU"), "Josh": ("Joshua", "JOS"),
    "Judg": ("Judges", "JDG"), "Ruth": ("Ruth", "RUT"), "1Sam": ("1 Samuel", "1SA"),
    "2Sam": ("2 Samuel", "2SA"), "1Kgs": ("1 Kings", "1KI"), "2Kgs": ("2 Kings", "2KI"),
    "1Chr": ("1 Chronicles", "1CH"), "2Chr": ("2 Chronicles", "2CH"), "Ezra": ("Ezra", "EZR"),
    "Neh": ("Nehemiah", "NEH"), "Esth": ("Esther", "EST"), "Job": ("Job", "JOB"),
    "Ps": ("Psalms", "PSA"), "Prov": ("Proverbs", "PRO"), "Eccl": ("Ecclesiastes", "ECC"),
    "Song": ("Song of Solomon", "SNG"), "Isa": ("Isaiah", "ISA"), "Jer": ("Jeremiah", "JER"),
    "Lam": ("Lamentations", "LAM"), "Ezek": ("Ezekiel", "EZK"), "Dan": ("Daniel", "DAN"),
    "Hos": ("Hosea", "HOS"), "Joel": ("Joel", "JOL"), "Amos": ("Amos", "AMO"),
    "Obad": ("Obadiah", "OBA"), "Jonah": ("Jonah", "JON"), "Mic": ("Micah", "MIC"),
    "Nah": ("Nahum", "NAM"), "Hab": ("Habakkuk", "HAB"), "Zeph": ("Zephaniah", "ZEP"),
    "Hag": ("Haggai", "HAG"), "Zech": ("Zechariah", "ZEC"), "Mal": ("Malachi", "MAL"),
    "Matt": ("Matthew", "MAT"), "Mark": ("Mark", "MRK"), "Luke": ("Luke", "LUK"),
    "John": ("John", "JHN"), "Acts": ("Acts", "ACT"), "Rom": ("Romans", "ROM"),
    "1Cor": ("1 Corinthians", "1CO"), "2Cor": ("2 Corinthians", "2CO"), "Gal": ("Galatians", "GAL"),
    "Eph": ("Ephesians", "EPH"), "Phil": ("Philippians", "PHP"), "Col": ("Colossians", "COL"),
    "1Thess": ("1 Thessalonians", "1TH"), "2Thess": ("2 Thessalonians", "2TH"),
    "1Tim": ("1 Timothy", "1TI"), "2Tim": ("2 Timothy", "2TI"), "Titus": ("Titus", "TIT"),
    "Phlm": ("Philemon", "PHM"), "Heb": ("Hebrews", "HEB"), "Jas": ("James", "JAS"),
    "1Pet": ("1 Peter", "1PE"), "2Pet": ("2 Peter", "2PE"), "1John": ("1 John", "1JN"),
    "2John": ("2 John", "2JN"), "3John": ("3 John", "3JN"), "Jude": ("Jude", "JUD"),
    "Rev": ("Revelation", "REV"),
}
NOTES_AND_TITLES = re.compile(r"<(note|title)\b[^>]*/>|<(note|title)\b[^>]*>.*?</\2>", re.S)
PARAGRAPH_BREAK = re.compile(r'<div\b[^>]*type="x-p"[^>]*/>|<p\b[^>]*>|<lb\b[^>]*/>|¶')
TAG = re.compile(r"<[^>]+>|<[^>]*$")
CHAPTER = re.compile(r'<chapter\b[^>]*\bosisID="([^".]+)\.(\d+)"[^>]*\bsID=')


def sword_entries(module_dir, testament):
    """The markup of each verse slot of a zText testament, in versification order. .bzs holds
    (offset, compressed size, size) per zlib block, .bzv (block, offset, size) per slot; all
    little-endian."""
    def load(ext):
        path = module_dir / f"{testament}.{ext}"
        return path.read_bytes() if path.exists() else b""
    bzs, bzv, bzz = load("bzs"), load("bzv"), load("bzz")
    blocks = {}
    for at in range(0, len(bzv) - 9, 10):
        block, offset, size = struct.unpack_from("<IIH", bzv, at)
        if size == 0:
            continue
        if block not in blocks:
            start, n_compressed, _ = struct.unpack_from("<III", bzs, 12 * block)
            blocks[block] = zlib.decompress(bzz[start:start + n_compressed])
        yield blocks[block][offset:offset + size].decode("utf-8", errors="replace")


def bible_chapter_page(book, chapter, pieces):
    text = html.unescape(TAG.sub("", PARAGRAPH_BREAK.sub("\n", NOTES_AND_TITLES.sub(" ", " ".join(pieces)))))
    paragraphs = []
    for para in text.split("\n"):
        para = re.sub(r" ([,.;:!?’”])", r"\1", " ".join(para.split()))
        if para:
            paragraphs.append(para)
    name, code = BIBLE_BOOKS[book]
    digits = 3 if book == "Ps" else 2
    return {"url": f"https://ebible.org/web/{code}{chapter:0{digits}d}.htm", "title": f"{name} {chapter}",
            "text": "\n\n".join(paragraphs), "date": "2015-01-01", "last_updated": "2015-01-01"}


def bible_pages(pkgs):
    modules = sorted((pkgs / "sword-text-web/usr/share/sword/modules/texts/ztext").glob("*"))
    if not modules:
        return
    for testament in ("ot", "nt"):
        current, pieces = None, []
        for markup in sword_entries(modules[0], testament):
            match = CHAPTER.search(markup)
            if match:
                if current and current[0] in BIBLE_BOOKS and pieces:
                    yield bible_chapter_page(current[0], current[1], pieces)
                current, pieces = (match.group(1), int(match.group(2))), []
                continue
            if current:
                pieces.append(markup)
        if current and current[0] in BIBLE_BOOKS and pieces:
            yield bible_chapter_page(current[0], current[1], pieces)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    pkgs, out = Path(sys.argv[1]), Path(sys.argv[2])
    counts = {}
    with out.open("w", encoding="utf-8") as f:
        for source, pages in (("jargon", jargon_pages), ("devil", devil_pages),
                              ("austen", austen_pages), ("bible", bible_pages)):
            counts[source] = 0
            for page in pages(pkgs):
                if len(page["text"]) < 20:
                    continue
                f.write(json.dumps(page, ensure_ascii=False) + "\n")
                counts[source] += 1
    print("corpus: " + ", ".join(f"{n} {source} pages" for source, n in counts.items()))


if __name__ == "__main__":
    main()
