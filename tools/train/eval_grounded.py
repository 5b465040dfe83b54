"""How well a served model answers from its sources, on grounded.py's held-out questions.

Asks each held-out question through a running tachyon server's grounded chat
(/v1/chat/completions, greedy, 64 tokens at most), which retrieves and renders the sources as
in production, and scores the answer:
  cites:    the share of answers that cite, by its number, the source holding the answer;
  rouge_l:  the mean ROUGE-L F1 (longest common subsequence of words) between the answer, its
            citation markers removed, and the definition sentence of that source.
Prints the figures and writes them, with every answer, as JSON.
"""

import argparse
import json
import random
import re
import urllib.request


def words(text: str):
    return re.findall(r"[\w']+", text.lower())


def rouge_l(candidate: str, reference: str) -> float:
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def ask(server: str, model: str, question: str):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": question}], "max_tokens": 64,
                       "temperature": 0}).encode()
    request = urllib.request.Request(server.rstrip("/") + "/v1/chat/completions", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", required=True, help="grounded.py's output")
    parser.add_argument("--server", required=True)
    parser.add_argument("--model", default="tachyon-mini")
    parser.add_argument("--limit", type=int, default=200, help="held-out questions to ask (a seeded sample)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    held = [json.loads(line) for line in open(args.examples, encoding="utf-8")]
    held = [ex for ex in held if ex["split"] == "heldout"]
    random.Random(7).shuffle(held)
    held = held[: args.limit]
    answers, cited, scores = [], 0, []
    for ex in held:
        response = ask(args.server, args.model, ex["question"])
        text = response["choices"][0]["message"]["content"]
        citations = response.get("citations", [])
        gold = [i + 1 for i, url in enumerate(citations) if url == ex["url"]]
        cites = any(f"[{k}]" in text for k in gold)
        reference = re.sub(r"\s*\[\d+\]", "", ex["answer"]).strip()
        score = rouge_l(re.sub(r"\[\d+\]", "", text), reference)
        cited += cites
        scores.append(score)
        answers.append({"question": ex["question"], "url": ex["url"], "answer": text, "reference": reference,
                        "cites": cites, "rouge_l": score})
    report = {"questions": len(held), "cites": cited / len(held), "rouge_l": sum(scores) / len(scores),
              "answers": answers}
    json.dump(report, open(args.out, "w"), indent=1, ensure_ascii=False)
    print(f"{len(held)} held-out questions: cites the right source {report['cites']:.1%}, "
          f"ROUGE-L {report['rouge_l']:.3f}")


if __name__ == "__main__":
    main()
