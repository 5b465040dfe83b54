#!/usr/bin/env python3
"""PyTorch figures on the GPU, for comparison with `tachyon bench engine --device cuda` in the same run.

Measures the device's ceilings (device-to-device copy bandwidth, bf16 matrix product rate) and a
Hugging Face transformers Llama with random weights of the same shape and dtype as tachyon's
random models (static KV cache): prompt processing (pp), single-stream generation (tg) and batched
decode, the way `bench engine` measures them. Writes one JSON object; each part that fails is
recorded with its error instead of stopping the rest.
"""
import argparse
import json
import sys
import time

import torch

SHAPES = {
    "llama2-7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=32, vocab_size=32000),
    "tinyllama-1.1b": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
                           num_key_value_heads=4, vocab_size=32000),
}


def median_ms(fn, reps=5, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def ceilings(results):
    n = 2 << 30  # 2 GiB each way
    a = torch.randint(0, 255, (n,), dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    ms = median_ms(lambda: b.copy_(a))
    results["copy_bandwidth_gbps"] = 2 * n / (ms * 1e-3) / 1e9
    del a, b
    m = 8192
    x = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    y = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    ms = median_ms(lambda: x @ y, reps=10, warmup=3)
    results["bf16_matmul_tflops"] = 2 * m ** 3 / (ms * 1e-3) / 1e12
    x16, y16 = x.half(), y.half()
    ms = median_ms(lambda: x16 @ y16, reps=10, warmup=3)
    results["f16_matmul_tflops"] = 2 * m ** 3 / (ms * 1e-3) / 1e12


def llama(results, shape, pp, tg, batches, batch_prompt, batch_gen):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(max_position_embeddings=4096, **SHAPES[shape])
    torch.set_default_dtype(torch.float16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).eval()
    torch.set_default_dtype(torch.float32)
    out = results.setdefault(shape, {})
    vocab = cfg.vocab_size

    with torch.inference_mode():
        ids = torch.randint(3, vocab, (1, pp), device="cuda")
        ms = median_ms(lambda: model(ids, use_cache=False), reps=3)
        out["pp"] = {"n": pp, "tps": pp / (ms * 1e-3)}
        print(json.dumps({shape: out}), flush=True)

        def generate_ms(batch, n_prompt, n_new):
            prompt = torch.randint(3, vocab, (batch, n_prompt), device="cuda")
            kwargs = dict(max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False,
                          cache_implementation="static", pad_token_id=0)
            try:
                call = lambda: model.generate(prompt, disable_compile=True, **kwargs)
                call()
            except (TypeError, ValueError):
                call = lambda: model.generate(prompt, **kwargs)
            return median_ms(call, reps=2)

        # Decode speed: the difference between generating n + 1 tokens and 1 token.
        t1, tn = generate_ms(1, 1, 1), generate_ms(1, 1, tg + 1)
        out["tg"] = {"n": tg, "tps": tg / ((tn - t1) * 1e-3)}
        print(json.dumps({shape: out}), flush=True)
        out["batched"] = []
        for b in batches:
            t1, tn = generate_ms(b, batch_prompt, 1), generate_ms(b, batch_prompt, batch_gen + 1)
            out["batched"].append({"seqs": b, "decode_tps": b * batch_gen / ((tn - t1) * 1e-3)})
            print(json.dumps({shape: out}), flush=True)
    del model
    torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shapes", default="llama2-7b", help="comma-separated: " + ", ".join(SHAPES))
    p.add_argument("--pp", type=int, default=512)
    p.add_argument("--tg", type=int, default=128)
    p.add_argument("--batch", default="1,8,64")
    p.add_argument("--batch-prompt", type=int, default=128)
    p.add_argument("--batch-gen", type=int, default=128)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    results = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    try:
        import transformers
        results["transformers"] = transformers.__version__
    except ImportError as e:
        results["transformers_error"] = str(e)

    def save():
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)

    for name, part in [("ceilings", lambda: ceilings(results))] + [
        (s, lambda s=s: llama(results, s, a.pp, a.tg, [int(b) for b in a.batch.split(",")], a.batch_prompt,
                              a.batch_gen)) for s in a.shapes.split(",")]:
        start = time.time()
        try:
            part()
        except Exception as e:  # record and go on: one failed part must not hide the others
            results.setdefault("errors", {})[name] = f"{type(e).__name__}: {e}"
        results.setdefault("seconds", {})[name] = round(time.time() - start, 1)
        save()
        print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
