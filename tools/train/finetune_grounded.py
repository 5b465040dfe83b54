"""Fine-tune tachyon-mini to answer from numbered sources and cite them (grounded chat).

Starts from an F32 GGUF of the shipped model (`tachyon quantize models/tachyon-mini-q8_0.gguf
WORK/base-f32.gguf f32`) and trains, for a fixed wall-clock budget, on the examples of
grounded.py: the prompt as grounded chat renders it, then the answer and EOS, with the loss on
the answer and EOS only. Every --lm-every-th step is a plain language-model batch of the default
corpus's pages instead (pages that share a paragraph with the perplexity held-out text are left
out), so that plain completion keeps working. Token ids come from a running tachyon server's
/tokenize, so they are exactly the engine's. Writes the fine-tuned F32 GGUF (the base file's
metadata and vocabulary, new weights), the log, and the held-out perplexity before and after
(tests/data/perplexity/heldout.reference.json's token ids, eval_ppl.py's protocol).
"""

import argparse
import csv
import json
import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import gguf
from grounded import Tokenizer
from eval_ppl import perplexity
from export_gguf import gguf_tensor_name, load_model_from_gguf

BOS_ID, EOS_ID, IGNORE = 1, 2, -100


def grounded_rows(path: str, tok: Tokenizer, n_ctx: int):
    """(ids, labels) of each train example: labels IGNORE over the prompt."""
    rows, skipped = [], 0
    for line in open(path, encoding="utf-8"):
        ex = json.loads(line)
        if ex["split"] != "train":
            continue
        prompt = tok(ex["prompt"], True)
        full = tok(ex["prompt"] + ex["answer"], True) + [EOS_ID]
        if full[: len(prompt)] != prompt or len(full) > n_ctx + 1:
            skipped += 1
            continue
        labels = [IGNORE] * len(prompt) + full[len(prompt) :]
        rows.append((full, labels))
    return rows, skipped


def lm_stream(corpus: str, heldout_text: str, tok: Tokenizer):
    held = {p.strip() for p in heldout_text.split("\n\n") if len(p.strip()) > 40}
    ids = []
    for line in open(corpus, encoding="utf-8"):
        page = json.loads(line)
        if any(p.strip() in held for p in page["text"].split("\n\n")):
            continue
        ids.extend(tok(page["text"], True))
    return np.array(ids, dtype=np.int64)


def grounded_batch(rows, batch: int, rng: random.Random):
    picked = [rows[rng.randrange(len(rows))] for _ in range(batch)]
    width = max(len(ids) for ids, _ in picked) - 1
    x = torch.zeros((batch, width), dtype=torch.long)
    y = torch.full((batch, width), IGNORE, dtype=torch.long)
    for i, (ids, labels) in enumerate(picked):
        n = len(ids) - 1
        x[i, :n] = torch.tensor(ids[:-1])
        y[i, :n] = torch.tensor(labels[1:])
    return x, y


def lm_batch(stream, batch: int, seq: int, rng: random.Random):
    starts = [rng.randrange(len(stream) - seq - 1) for _ in range(batch)]
    rows = torch.from_numpy(np.stack([stream[s : s + seq + 1] for s in starts]))
    return rows[:, :-1], rows[:, 1:]


def heldout_ppl(model, reference: str) -> float:
    ids = json.load(open(reference))["token_ids"]
    return perplexity(model, ids)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="F32 GGUF to start from")
    parser.add_argument("--examples", required=True, help="grounded.py's output")
    parser.add_argument("--corpus", required=True, help="default_corpus.jsonl, for the language-model batches")
    parser.add_argument("--heldout-text", required=True, help="tests/data/perplexity/heldout.txt")
    parser.add_argument("--reference", required=True, help="tests/data/perplexity/heldout.reference.json")
    parser.add_argument("--server", required=True, help="a tachyon server on the same vocabulary, for /tokenize")
    parser.add_argument("--model", default="tachyon-mini")
    parser.add_argument("--out", required=True, help="the fine-tuned F32 GGUF")
    parser.add_argument("--log", required=True, help="CSV of the steps")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--min-lr-ratio", type=float, default=0.1)
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--lm-every", type=int, default=4, help="every N-th step is a language-model batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tok = Tokenizer(args.server, args.model)
    model = load_model_from_gguf(args.base)
    n_ctx = model.cfg.context_length
    rows, skipped = grounded_rows(args.examples, tok, n_ctx)
    stream = lm_stream(args.corpus, open(args.heldout_text, encoding="utf-8").read(), tok)
    before = heldout_ppl(model, args.reference)
    print(f"{len(rows)} grounded examples ({skipped} skipped), {len(stream):,} language-model tokens; "
          f"held-out perplexity before {before:.4f}", flush=True)

    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95))
    budget = args.minutes * 60
    start = time.time()
    step = 0
    with open(args.log, "w", newline="") as log_file:
        log = csv.writer(log_file)
        log.writerow(["step", "elapsed_s", "lr", "kind", "loss"])
        while time.time() - start < budget:
            progress = (time.time() - start) / budget
            floor = args.lr * args.min_lr_ratio
            lr = args.lr * (step + 1) / args.warmup_steps if step < args.warmup_steps else \
                floor + 0.5 * (args.lr - floor) * (1 + math.cos(math.pi * progress))
            for group in optimizer.param_groups:
                group["lr"] = lr
            kind = "lm" if step % args.lm_every == args.lm_every - 1 else "grounded"
            x, y = lm_batch(stream, args.batch, n_ctx, rng) if kind == "lm" else grounded_batch(rows, args.batch, rng)
            logits = model(x)
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            log.writerow([step, f"{time.time() - start:.1f}", f"{lr:.6f}", kind, f"{loss.item():.4f}"])
            if step % 20 == 0:
                log_file.flush()
                print(f"step {step} {time.time() - start:.0f}s lr {lr:.2e} {kind} loss {loss.item():.4f}", flush=True)

    model.eval()
    after = heldout_ppl(model, args.reference)
    weights = {gguf_tensor_name(k): v.detach().numpy() for k, v in model.state_dict().items()}
    gguf.write_tensors_like(args.base, args.out, weights)
    print(f"done: {step} steps in {(time.time() - start) / 60:.1f} min; held-out perplexity {before:.4f} -> {after:.4f}; "
          f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
