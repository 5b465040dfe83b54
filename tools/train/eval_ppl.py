"""Reference perplexity of tachyon-mini, defining the protocol the engine reproduces.

Protocol: ids = SentencePiece encode(text) with no BOS; split ids into consecutive
chunks of n_ctx - 1 = 255 tokens, dropping a shorter final chunk; feed [BOS] + chunk
(256 tokens) to the model in fp32; score the 255 predictions of the chunk's tokens
(after BOS predict chunk[0], ...); ppl = exp(mean negative log-likelihood).

Writes tests/data/perplexity/heldout.txt (about 20 KB cut from eval.txt at a paragraph
boundary) and heldout.reference.json, and prints the perplexity of all of eval.txt.
"""

import argparse
import json
import math
import os

import sentencepiece as spm
import torch
import torch.nn.functional as F

from export_gguf import load_model_from_gguf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BOS_ID = 1
N_CTX = 256


@torch.no_grad()
def perplexity(model, ids, n_ctx: int = N_CTX):
    """(ppl, n_chunks, n_tokens_scored, per-chunk mean NLL) under the protocol above."""
    chunk_len = n_ctx - 1
    n_chunks = len(ids) // chunk_len
    if n_chunks == 0:
        raise ValueError(f"need at least {chunk_len} tokens, got {len(ids)}")
    chunk_nll = []
    for c in range(n_chunks):
        chunk = ids[c * chunk_len : (c + 1) * chunk_len]
        tokens = torch.tensor([[BOS_ID] + chunk])  # (1, n_ctx)
        logits = model(tokens)[0, :-1].float()  # (n_ctx - 1, vocab): position i predicts chunk[i]
        chunk_nll.append(F.cross_entropy(logits, torch.tensor(chunk), reduction="mean").item())
    mean_nll = sum(chunk_nll) / n_chunks  # equal-length chunks: mean of means is the token mean
    return math.exp(mean_nll), n_chunks, n_chunks * chunk_len, chunk_nll


def heldout_slice(eval_text: str, target_chars: int) -> str:
    """The first ~target_chars of eval.txt, cut at a paragraph boundary."""
    paragraphs = eval_text.split("\n\n")
    out, size = [], 0
    for para in paragraphs:
        if size >= target_chars:
            break
        out.append(para)
        size += len(para) + 2
    return "\n\n".join(out).strip("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--gguf", default=None, help="default: WORK/tachyon-mini-f32.gguf")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "tests", "data", "perplexity"))
    parser.add_argument("--heldout-chars", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-full", action="store_true", help="only the held-out slice, not all of eval.txt")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gguf_path = args.gguf or os.path.join(args.work, "tachyon-mini-f32.gguf")

    model = load_model_from_gguf(gguf_path)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "tokenizer.model"))
    with open(os.path.join(args.work, "eval.txt"), encoding="utf-8") as f:
        eval_text = f.read()

    os.makedirs(args.out_dir, exist_ok=True)
    heldout_path = os.path.join(args.out_dir, "heldout.txt")
    with open(heldout_path, "w", encoding="utf-8", newline="") as f:
        f.write(heldout_slice(eval_text, args.heldout_chars))
    # Score exactly the bytes on disk, as the engine will.
    with open(heldout_path, "rb") as f:
        heldout_text = f.read().decode("utf-8")
    ids = sp.encode(heldout_text)
    ppl, n_chunks, n_scored, chunk_nll = perplexity(model, ids)
    reference = {
        "model": os.path.basename(gguf_path),
        "tokenizer": "SentencePiece BPE, encode(text) without BOS; BOS=1 prepended per chunk",
        "n_ctx": N_CTX,
        "n_chunks": n_chunks,
        "n_tokens_scored": n_scored,
        "ppl": ppl,
        "chunk_mean_nll": chunk_nll,
        "token_ids": ids,
    }
    with open(os.path.join(args.out_dir, "heldout.reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print(f"heldout.txt: {len(heldout_text.encode('utf-8'))} bytes, {len(ids)} tokens, "
          f"{n_chunks} chunks, ppl {ppl:.4f}")

    if not args.skip_full:
        full_ppl, full_chunks, full_scored, _ = perplexity(model, sp.encode(eval_text))
        print(f"eval.txt: {full_chunks} chunks, {full_scored} tokens scored, ppl {full_ppl:.4f}")
        with open(os.path.join(args.work, "eval_ppl.json"), "w") as f:
            json.dump({"heldout_ppl": ppl, "eval_ppl": full_ppl, "eval_chunks": full_chunks,
                       "eval_tokens_scored": full_scored}, f, indent=2)


if __name__ == "__main__":
    main()
