"""Train tachyon-mini for a fixed wall-clock budget on WORK/train.txt.

Each document becomes [BOS] + sentencepiece ids (no EOS: the engine's chat template
is plain text) and all documents are concatenated into one stream; a batch is random
windows of context_length + 1 tokens. The learning rate warms up over the first steps,
then follows a cosine over the *time* budget, so the schedule ends when time does.
Writes WORK/train_log.csv, WORK/ckpt.pt (periodically and at the end) and the loss plot.
"""

import argparse
import csv
import math
import os
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

from corpus import DOC_SEPARATOR
from model import Llama, ModelConfig

BOS_ID = 1
HERE = os.path.dirname(os.path.abspath(__file__))


def token_stream(sp, text_path: str, cache_path: str) -> np.ndarray:
    """The [BOS] + ids stream of every document in `text_path`, cached as .npy."""
    if os.path.exists(cache_path) and os.path.getmtime(cache_path) > os.path.getmtime(text_path):
        return np.load(cache_path)
    with open(text_path, encoding="utf-8") as f:
        docs = [d.strip("\n") for d in f.read().split(DOC_SEPARATOR)]
    ids = []
    for encoded in sp.encode([d for d in docs if d]):
        ids.append(BOS_ID)
        ids.extend(encoded)
    stream = np.array(ids, dtype=np.uint16)
    np.save(cache_path, stream)
    return stream


def random_batch(stream: np.ndarray, batch: int, seq: int, rng: np.random.Generator):
    starts = rng.integers(0, len(stream) - seq - 1, size=batch)
    rows = np.stack([stream[s : s + seq + 1] for s in starts]).astype(np.int64)
    rows = torch.from_numpy(rows)
    return rows[:, :-1], rows[:, 1:]


def eval_batches(stream: np.ndarray, batch: int, seq: int, n_batches: int):
    """Fixed, evenly spaced windows so every evaluation scores the same tokens."""
    n_windows = batch * n_batches
    stride = max(1, (len(stream) - seq - 1) // n_windows)
    starts = [i * stride for i in range(n_windows)]
    rows = torch.from_numpy(np.stack([stream[s : s + seq + 1] for s in starts]).astype(np.int64))
    return [(rows[i : i + batch, :-1], rows[i : i + batch, 1:]) for i in range(0, n_windows, batch)]


def lr_at(step: int, elapsed_fraction: float, args) -> float:
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    progress = min(1.0, elapsed_fraction)
    floor = args.lr * args.min_lr_ratio
    return floor + 0.5 * (args.lr - floor) * (1 + math.cos(math.pi * progress))


def autocast_context(mode: str):
    if mode == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


@torch.no_grad()
def evaluate(model, batches, mode: str) -> float:
    model.eval()
    total = 0.0
    with autocast_context(mode):
        for x, y in batches:
            logits = model(x)
            total += F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.reshape(-1)).item()
    model.train()
    return total / len(batches)


def save_checkpoint(path: str, model, cfg: ModelConfig, step: int, elapsed: float):
    tmp = path + ".tmp"
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "step": step, "elapsed_s": elapsed}, tmp)
    os.replace(tmp, path)


def plot_loss(csv_path: str, png_path: str):
    """Train and eval loss against step, drawn by gnuplot (plot_loss.gp) from the training log."""
    import subprocess

    script = os.path.join(HERE, "plot_loss.gp")
    subprocess.run(["gnuplot", "-e", f"log='{csv_path}'; out='{png_path}'", script], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--minutes", type=float, default=50.0)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--min-lr-ratio", type=float, default=0.1)
    parser.add_argument("--warmup-steps", type=int, default=30)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--eval-every", type=int, default=50, help="steps between held-out evaluations")
    parser.add_argument("--eval-batches", type=int, default=4)
    # bf16 autocast only pays off on CPUs with native bf16 (AVX512-BF16/AMX); on AVX2
    # machines a bf16 matmul runs ~15x slower than fp32, so fp32 is the default.
    parser.add_argument("--autocast", choices=("bf16", "none"), default="none")
    # On a shared, oversubscribed machine OpenMP's barrier waits make 2 threads several
    # times slower than 1; raise this only when the cores are otherwise idle.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--plot", default=os.path.join(HERE, "..", "..", "models", "loss.png"))
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the log and exit")
    parser.add_argument("--resume", action="store_true",
                        help="continue from WORK/ckpt.pt (weights only; a fresh optimizer and LR cycle), appending to the log")
    args = parser.parse_args()

    log_path = os.path.join(args.work, "train_log.csv")
    if args.plot_only:
        plot_loss(log_path, args.plot)
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = ModelConfig()
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "tokenizer.model"))
    train_ids = token_stream(sp, os.path.join(args.work, "train.txt"), os.path.join(args.work, "train_ids.npy"))
    eval_ids = token_stream(sp, os.path.join(args.work, "eval.txt"), os.path.join(args.work, "eval_ids.npy"))
    held_out = eval_batches(eval_ids, args.batch, cfg.context_length, args.eval_batches)

    model = Llama(cfg)
    step = 0
    prior_s = 0.0
    if args.resume:
        ckpt = torch.load(os.path.join(args.work, "ckpt.pt"))
        model.load_state_dict(ckpt["model"])
        step, prior_s = ckpt["step"], ckpt["elapsed_s"]
        print(f"resuming after step {step} ({prior_s / 60:.1f} min)", flush=True)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    print(f"params {model.n_params():,}  train tokens {len(train_ids):,}  eval tokens {len(eval_ids):,}", flush=True)

    budget_s = args.minutes * 60
    ckpt_path = os.path.join(args.work, "ckpt.pt")
    first_step = step
    start = time.time() - prior_s  # elapsed times in the log continue across a resume
    with open(log_path, "a" if args.resume else "w", newline="") as log_file:
        log = csv.writer(log_file)
        if not args.resume:
            log.writerow(["step", "elapsed_s", "lr", "train_loss", "eval_loss"])
        while True:
            elapsed = time.time() - start - prior_s
            if elapsed >= budget_s:
                break
            lr = lr_at(step - first_step, elapsed / budget_s, args)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = random_batch(train_ids, args.batch, cfg.context_length, rng)
            with autocast_context(args.autocast):
                logits = model(x)
            loss = F.cross_entropy(logits.float().view(-1, cfg.vocab_size), y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            eval_loss = ""
            if step % args.eval_every == 0:
                eval_loss = f"{evaluate(model, held_out, args.autocast):.4f}"
                save_checkpoint(ckpt_path, model, cfg, step, time.time() - start)
            log.writerow([step, f"{time.time() - start:.1f}", f"{lr:.6f}", f"{loss.item():.4f}", eval_loss])
            log_file.flush()
            if step % 10 == 0 or eval_loss:
                print(f"step {step} {time.time() - start:.0f}s lr {lr:.2e} loss {loss.item():.4f} eval {eval_loss}", flush=True)
        final_eval = evaluate(model, held_out, args.autocast)
        elapsed = time.time() - start
        log.writerow([step, f"{elapsed:.1f}", "0", f"{loss.item():.4f}", f"{final_eval:.4f}"])
    save_checkpoint(ckpt_path, model, cfg, step, elapsed)
    plot_loss(log_path, args.plot)
    print(f"done: {step} steps in {elapsed / 60:.1f} min, final eval loss {final_eval:.4f}", flush=True)


if __name__ == "__main__":
    main()
