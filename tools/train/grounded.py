"""Grounded question-answer examples for fine-tuning tachyon-mini to answer from its sources.

For each definition page of the default corpus (a Jargon File or Devil's Dictionary entry) it
writes questions about the term ("What is a hacker?", "What does kludge mean?"), retrieves
sources for each exactly as grounded chat does (the index's BM25 ranking through
`tachyon search query --json`, the first 80 words of the top 3, dropped and cut until the
prompt fits the model's context next to the 64 tokens kept for the answer, token counts from
a running server's /tokenize), renders the prompt in the model's chat template, and writes the
answer: the entry's first definition sentence as the prompt shows it, with the number of the
source it comes from, "[n]". Questions whose page is not among the sources that fit are
dropped. A seeded tenth of the pages is held out (never trained on) for evaluation.

Output: one JSON object a line, {"split", "url", "question", "prompt", "answer"}.
"""

import argparse
import json
import random
import re
import subprocess
import urllib.request

N_CTX = 256
ANSWER_ROOM = N_CTX // 4  # grounded chat's room for the answer when max_tokens is not set
MAX_PROMPT = N_CTX - ANSWER_ROOM - 1
MAX_SOURCES, WORDS_PER_SOURCE = 3, 80  # search_context_size "low", the default
SPACES = " \t\n\r\f\v"


def collapse_spaces(text: str) -> str:
    """search::collapse_spaces: runs of ASCII white space to one space, none at the ends."""
    return " ".join(w for w in re.split(r"[ \t\n\r\f\v]+", text) if w)


def first_words(text: str, n: int) -> str:
    """search::first_words: the first n words and an ellipsis, or all of the text."""
    count, in_word = 0, False
    for i, c in enumerate(text):
        if c in SPACES:
            in_word = False
        elif not in_word:
            in_word = True
            if count == n:
                return text[:i].rstrip(SPACES) + "\u2026"
            count += 1
    return text


def count_words(text: str) -> int:
    return len([w for w in re.split(r"[ \t\n\r\f\v]+", text) if w])


def sources_prompt(hits) -> str:
    out = "Sources:\n"
    for i, h in enumerate(hits):
        out += f"[{i + 1}] {collapse_spaces(h['title'])}\n{collapse_spaces(h['snippet'])}\n"
    return out + "Answer from the sources above and cite each one you use by its number, like [1]."


def render(system: str, question: str) -> str:
    """The bundled model's chat template with add_generation_prompt."""
    text = f"System: {system}\n\n" if system is not None else ""
    return text + f"User: {question}\n\nAssistant:"


class Tokenizer:
    """The engine's own token ids, from a running tachyon server's /tokenize."""

    def __init__(self, server: str, model: str):
        self.url, self.model = server.rstrip("/") + "/tokenize", model

    def __call__(self, text: str, bos: bool):
        body = json.dumps({"model": self.model, "content": text, "add_special": bos}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as r:
            return json.load(r)["tokens"]

    def count(self, text: str) -> int:
        """Tokens of a prompt as grounded chat counts them: BOS included."""
        return len(self(text, True))


def fit(question: str, hits, tok: Tokenizer):
    """fit_grounded_messages: drop sources from the end, then cut the last one, until it fits."""
    hits = [dict(h, snippet=first_words(h["snippet"], WORDS_PER_SOURCE)) for h in hits[:MAX_SOURCES]]
    while hits:
        n = tok.count(render(sources_prompt(hits), question))
        if n <= MAX_PROMPT:
            return hits
        if len(hits) > 1:
            hits.pop()
            continue
        words = count_words(hits[0]["snippet"])
        base = tok.count(render(None, question))
        room = MAX_PROMPT - base if MAX_PROMPT > base else 0
        keep = min(words - 1 if words > 0 else 0, words * room // (n - base) if n > base else 0)
        if keep < 8:
            return []
        hits[0]["snippet"] = first_words(hits[0]["snippet"], keep)
    return []


def definition(page) -> str:
    """The first sentence of the entry's first definition, as its text writes it."""
    text = page["text"]
    if "catb.org/jargon" in page["url"]:
        paragraphs = [p.strip() for p in text.split("\n\n")[1:]]
    else:  # Devil's Dictionary: "WORD, n. Definition..."
        paragraphs = [re.sub(r"^[^,]{1,60},\s*(?:[a-z]{1,5}\.\s*)+", "", text.strip(), count=1)]
    for p in paragraphs:
        for _ in range(2):  # "n. [common] 1. ", in any order
            p = re.sub(r"^(?:(?:n|v|vt|vi|adj|adv|interj|pl|prep|conj|excl|abbrev)\.,?\s*)+", "", p)  # part of speech
            p = re.sub(r"^\[[^\]]*\]\s*", "", p)  # etymology
            p = re.sub(r"^\d+\.\s*", "", p)  # "1. "
        p = collapse_spaces(p)
        if len(p.split()) < 4:
            continue
        m = re.match(r"(.+?[.!?])(?:\s+[A-Z\"'(\u2018\u201c]|$)", p)
        sentence = m.group(1) if m else p
        if len(sentence.split()) > 40:
            sentence = " ".join(sentence.split()[:40])
        return sentence
    return ""


def questions(page, rng: random.Random):
    term = page["title"].strip()
    if term.isupper():
        term = term.lower()
    article = "an" if term[:1].lower() in "aeiou" else "a"
    forms = [f"What is {article} {term}?", f"What does {term} mean?", f"What is the meaning of {term}?",
             f"Define {term}.", f"Tell me about {term}.", f"What is {term}?"]
    return rng.sample(forms, 2)


def answer_of(sentence: str, k: int) -> str:
    body = sentence[:-1] if sentence.endswith(".") else sentence
    return f" {body} [{k}]."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="default_corpus.jsonl")
    parser.add_argument("--data-dir", required=True, help="the data directory holding its index")
    parser.add_argument("--tachyon", required=True, help="the tachyon binary")
    parser.add_argument("--server", required=True, help="a tachyon server on the bundled model, for /tokenize")
    parser.add_argument("--model", default="tachyon-mini")
    parser.add_argument("--heldout", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    pages = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
    pages = [p for p in pages if "catb.org/jargon" in p["url"] or ("gutenberg" in p["url"] and p["title"].isupper())]
    rng.shuffle(pages)
    n_held = int(len(pages) * args.heldout)
    asked = []
    for i, page in enumerate(pages):
        sentence = definition(page)
        if not sentence:
            continue
        for q in questions(page, rng):
            asked.append((("heldout" if i < n_held else "train"), page, sentence, q))
    queries = "\n".join(collapse_spaces(q) for _, _, _, q in asked) + "\n"
    found = subprocess.run([args.tachyon, "search", "query", "--data-dir", args.data_dir, "--json", "-n",
                            str(MAX_SOURCES), "-"], input=queries, capture_output=True, text=True, check=True)
    results = [json.loads(line)["results"] for line in found.stdout.splitlines()]
    assert len(results) == len(asked), (len(results), len(asked))
    tok = Tokenizer(args.server, args.model)
    kept = {"train": 0, "heldout": 0}
    with open(args.out, "w", encoding="utf-8") as out:
        for (split, page, sentence, q), hits in zip(asked, results):
            fitted = fit(q, hits, tok)
            k = next((i + 1 for i, h in enumerate(fitted) if h["url"] == page["url"]), 0)
            if k == 0 or sentence not in collapse_spaces(fitted[k - 1]["snippet"]):
                continue
            prompt = render(sources_prompt(fitted), q)
            out.write(json.dumps({"split": split, "url": page["url"], "question": q, "prompt": prompt,
                                  "answer": answer_of(sentence, k)}, ensure_ascii=False) + "\n")
            kept[split] += 1
    print(f"{len(asked)} questions about {len(pages)} pages; kept {kept['train']} train, {kept['heldout']} held out")


if __name__ == "__main__":
    main()
