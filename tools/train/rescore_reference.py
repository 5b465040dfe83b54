"""Rescores tests/data/perplexity/heldout.reference.json for new weights on the same vocabulary.

eval_ppl.py writes the reference from the SentencePiece model and eval.txt; a fine-tuned model
(finetune_grounded.py) keeps the vocabulary, so its reference is the same token ids scored again
under the same protocol (eval_ppl.perplexity). Rewrites "model", "ppl" and "chunk_mean_nll" and
keeps everything else.
"""

import argparse
import json
import os

import torch

from eval_ppl import perplexity
from export_gguf import load_model_from_gguf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True, help="the F32 GGUF of the new weights")
    parser.add_argument("--reference", required=True, help="heldout.reference.json, rewritten in place")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with open(args.reference, encoding="utf-8") as f:
        reference = json.load(f)
    model = load_model_from_gguf(args.gguf)
    model.eval()
    before = reference["ppl"]
    ppl, n_chunks, n_scored, chunk_nll = perplexity(model, reference["token_ids"], reference["n_ctx"])
    assert (n_chunks, n_scored) == (reference["n_chunks"], reference["n_tokens_scored"])
    reference.update({"model": os.path.basename(args.gguf), "ppl": ppl, "chunk_mean_nll": chunk_nll})
    with open(args.reference, "w", encoding="utf-8") as f:
        json.dump(reference, f)
        f.write("\n")
    print(f"{args.reference}: ppl {before:.4f} -> {ppl:.4f} ({args.gguf})")


if __name__ == "__main__":
    main()
