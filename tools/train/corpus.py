"""Build the training corpus from unpacked Debian packages.

Reads the packages unpacked by fetch_corpus.sh under WORK/pkgs, turns each source into
plain UTF-8 documents (a chapter, a dictionary entry), holds out a seeded 2% of the
documents and writes WORK/train.txt and WORK/eval.txt.

Text file layout: paragraphs are separated by one blank line ("\\n\\n") and documents
by two blank lines ("\\n\\n\\n"); no paragraph contains a blank line.
"""

import argparse
import collections
import glob
import gzip
import json
import os
import random
import re
import unicodedata

import rdata
import sword

DOC_SEPARATOR = "\n\n\n"
PARAGRAPH_SEPARATOR = "\n\n"
MIN_DOC_CHARS = 200
# Tables drawn with box characters do not survive reflowing into prose.
_BOX_DRAWING = re.compile("[\u2500-\u257f]")


def _clean_paragraph(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    # Gutenberg-style _emphasis_ markers carry no meaning in plain text.
    text = re.sub(r"(?<!\w)_([^_]+?)_(?!\w)", r"\1", text)
    text = text.replace("\t", " ").replace("\u00a0", " ")
    return " ".join(text.split())


def _reflow(lines):
    """Join hard-wrapped lines into paragraphs split at blank lines; indented lines are verse."""
    paragraphs, current = [], []
    for line in lines + [""]:
        if not line.strip():
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        is_verse = line.startswith("    ") and not line.startswith("     " * 4)
        if current and not is_verse and not current[-1].startswith("\t"):
            current[-1] = current[-1] + " " + line.strip()
        else:
            current.append(("\t" if is_verse else "") + line.strip())
    out = []
    for para in paragraphs:
        if _BOX_DRAWING.search(para):
            continue
        kept = [_clean_paragraph(part) for part in para.split("\n")]
        kept = [part for part in kept if part]
        if kept:
            out.append("\n".join(kept))
    return out


def austen_documents(pkg_root: str):
    """Jane Austen's six novels from janeaustenr's lazy-load data, one document per chapter."""
    stem = glob.glob(os.path.join(pkg_root, "r-cran-janeaustenr/usr/lib/R/site-library/janeaustenr/data/Rdata.rdx"))
    variables = rdata.read_lazyload_db(stem[0][: -len(".rdx")])
    heading = re.compile(r"^\s*(CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$|^\s*(VOLUME|Volume)\s+[IVX0-9]+\s*$")
    for book, obj in sorted(variables.items()):
        lines = ["" if line is None else line for line in obj.value]
        chapters, current, seen_first = [], [], False
        for line in lines:
            if heading.match(line):
                if seen_first and current:
                    chapters.append(current)
                current, seen_first = [], True
                continue
            current.append(line)
        if current:
            chapters.append(current)
        for i, chapter in enumerate(chapters):
            yield {"source": "austen", "title": f"{book} {i + 1}", "paragraphs": _reflow(chapter)}


def bible_documents(pkg_root: str, package: str, label: str):
    """A SWORD Bible module, one document per chapter."""
    module_dirs = glob.glob(os.path.join(pkg_root, package, "usr/share/sword/modules/texts/ztext/*"))
    for i, paragraphs in enumerate(sword.read_chapters(module_dirs[0])):
        yield {"source": label, "title": f"{label} {i + 1}", "paragraphs": [_clean_paragraph(p) for p in paragraphs]}


def jargon_documents(pkg_root: str):
    """The Jargon File lexicon, one document per entry (headword line plus its paragraphs)."""
    path = os.path.join(pkg_root, "jargon-text/usr/share/doc/jargon-text/jargon.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    entry_start = re.compile(r"^   :(.+?):\s*(.*)$")
    # Section letters ("  A") and part/appendix titles (column 0) end an entry.
    section_break = re.compile(r"^ {0,2}\S")
    entry = None
    for line in lines:
        match = entry_start.match(line)
        if match or (entry is not None and section_break.match(line)):
            if entry is not None:
                yield entry
                entry = None
        if match:
            term, rest = match.group(1), match.group(2)
            rest = re.sub(r"^//,?\s*", "", rest).strip()
            head = f"{term}: {rest}" if rest else term
            entry = {"source": "jargon", "title": term, "lines": [head, ""]}
        elif entry is not None:
            entry["lines"].append(line.strip())
    if entry is not None:
        yield entry


def _jargon_finish(entry):
    paragraphs = _reflow(entry.pop("lines"))
    # {cross references} become plain words.
    entry["paragraphs"] = [re.sub(r"\{([^{}]*)\}", r"\1", p) for p in paragraphs]
    return entry


def _dictd_number(text: str) -> int:
    # dictd indexes write offsets in base64 digits (A-Z a-z 0-9 + /), most significant first.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    value = 0
    for ch in text:
        value = value * 64 + alphabet.index(ch)
    return value


def devil_documents(pkg_root: str):
    """The Devil's Dictionary from its dictd database, one document per entry."""
    base = os.path.join(pkg_root, "dict-devil/usr/share/dictd/devil")
    with gzip.open(base + ".dict.dz", "rb") as f:
        data = f.read()
    with open(base + ".index", encoding="utf-8") as f:
        index = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    seen = set()
    for headword, offset, size in index:
        if headword.startswith("00database") or headword.startswith("00-database"):
            continue
        start, length = _dictd_number(offset), _dictd_number(size)
        if (start, length) in seen:
            continue
        seen.add((start, length))
        body = data[start : start + length].decode("utf-8", errors="replace")
        yield {"source": "devil", "title": headword, "paragraphs": _reflow(body.split("\n"))}


def collect(pkg_root: str):
    """All documents from all sources, in a fixed order."""
    docs = list(austen_documents(pkg_root))
    docs += list(bible_documents(pkg_root, "sword-text-web", "web"))
    docs += list(bible_documents(pkg_root, "sword-text-kjv", "kjv"))
    docs += [_jargon_finish(e) for e in jargon_documents(pkg_root)]
    docs += list(devil_documents(pkg_root))
    out = []
    for doc in docs:
        text = PARAGRAPH_SEPARATOR.join(p.replace("\t", "") for p in doc["paragraphs"] if p)
        if len(text) >= MIN_DOC_CHARS or doc["source"] in ("jargon", "devil") and len(text) >= 40:
            out.append({"source": doc["source"], "title": doc["title"], "text": text})
    return out


def split(docs, eval_fraction: float, seed: int):
    """Deterministic document-level hold-out: the same seed always picks the same documents."""
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, round(len(docs) * eval_fraction))
    eval_ids = set(order[:n_eval])
    train = [d for i, d in enumerate(docs) if i not in eval_ids]
    held = [d for i, d in enumerate(docs) if i in eval_ids]
    return train, held


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(os.path.dirname(__file__), "work"))
    parser.add_argument("--eval-fraction", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    docs = collect(os.path.join(args.work, "pkgs"))
    train, held = split(docs, args.eval_fraction, args.seed)
    for name, subset in (("train.txt", train), ("eval.txt", held)):
        with open(os.path.join(args.work, name), "w", encoding="utf-8") as f:
            f.write(DOC_SEPARATOR.join(d["text"] for d in subset) + "\n")
    stats = collections.defaultdict(lambda: [0, 0])
    for d in docs:
        stats[d["source"]][0] += 1
        stats[d["source"]][1] += len(d["text"])
    summary = {
        "documents": len(docs),
        "train_documents": len(train),
        "eval_documents": len(held),
        "train_chars": sum(len(d["text"]) for d in train),
        "eval_chars": sum(len(d["text"]) for d in held),
        "by_source": {k: {"documents": v[0], "chars": v[1]} for k, v in sorted(stats.items())},
    }
    with open(os.path.join(args.work, "corpus_stats.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
