#!/usr/bin/env python3
"""tachyon and llama.cpp side by side, on this machine, in one run.

Makes the benchmark files (random weights, TinyLlama-1.1B shape, a real vocabulary), then for
each round and each file alternates `tachyon bench engine` with llama.cpp's `llama-bench` and
`llama-batched-bench`, and prints one table of ratios with the spread over rounds, the CPU and
its ISA. docs/PERFORMANCE.md keeps one such table per ISA.

  python3 scripts/bench_vs_llamacpp.py --peer ../shared/peer --rounds 2 --out compare.json

Q4_K_M and Q5_K_M are made the way real downloads are: an F16 file quantized by the peer's llama-quantize.
Nothing else should run meanwhile; both programs use the same thread count.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB = ROOT / "tests/data/tokenizer/ggml-vocab-llama-spm.gguf"
ARCH_TEMPLATES = ROOT.parent / "shared/testdata/arch/models"
# Real models' shapes for the other architectures, written with `make-random --like` from the
# small reference file of the architecture; vocabularies from the families' own tokenizers
# where tests/data has them, else synthesised at the real size.
ARCH_SHAPES = {
    "qwen2": ("Qwen2.5-0.5B", "n_embd=896,n_layer=24,n_head=14,n_head_kv=2,n_ff=4864,n_ctx=4096",
              "ggml-vocab-qwen2.gguf"),
    "phi3": ("Phi-3-mini", "n_embd=3072,n_layer=32,n_head=32,n_head_kv=32,n_ff=8192,n_ctx=4096,sliding_window=2047",
             "ggml-vocab-phi-3.gguf"),
    "gemma2": ("Gemma-2-2B", "n_embd=2304,n_layer=26,n_head=8,n_head_kv=4,head_dim=256,n_ff=9216,n_vocab=256000,"
               "n_ctx=4096,sliding_window=4096", None),
    "mpt": ("replit-code-v1.5-3B", "n_embd=3072,n_layer=32,n_head=24,n_head_kv=8,n_ff=12288,n_vocab=32768,n_ctx=4096",
            None),
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    log("  $ " + " ".join(str(c) for c in cmd))
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        log(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"command failed ({result.returncode}): {cmd[0]}")
    return result.stdout


def make_models(args, types):
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for t in types:
        path = args.dir / f"tl-{t}.gguf"
        if not path.exists():
            log(f"making {path}")
            if t in ("q4_k_m", "q5_k_m"):
                f16 = make_random(args, "f16")
                run([args.peer / "bin/llama-quantize", f16, path, t.upper()])
            else:
                make_random(args, t)
        files[t] = path
    return files


def make_random(args, weight_type):
    path = args.dir / f"tl-{weight_type}.gguf"
    if not path.exists():
        run([args.tachyon, "model", "make-random", "--shape", "tinyllama-1.1b", "--type", weight_type,
             "--vocab", VOCAB, "-o", path])
    return path


def make_arch_models(args, archs, weight_type):
    """One file per architecture at its real model's shape, keyed 'ARCH (MODEL) TYPE'."""
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for arch in archs:
        model, dims, vocab = ARCH_SHAPES[arch]
        path = args.dir / f"{arch}-{weight_type}.gguf"
        if not path.exists():
            log(f"making {path}")
            cmd = [args.tachyon, "model", "make-random", "--like", ARCH_TEMPLATES / f"arch-{arch}-128-F32.gguf",
                   "--dims", dims, "--type", weight_type, "--name", f"random-{model}", "-o", path]
            if vocab:
                cmd += ["--vocab", ROOT / "tests/data/tokenizer" / vocab]
            run(cmd)
        files[f"{arch} ({model}) {weight_type}"] = path
    return files


def tachyon_env(args):
    return dict(os.environ, TACHYON_ISA=args.isa) if args.isa != "native" else None


def avx2_peer(args):
    """A copy of the peer's bin/ with no CPU variant above haswell (AVX2), so that llama.cpp runs
    its AVX2 code on this machine as it would on an AVX2-only one."""
    target = args.dir / "peer-avx2" / "bin"
    target.mkdir(parents=True, exist_ok=True)
    for f in (args.peer / "bin").iterdir():
        if f.name.startswith("libggml-cpu-") and f.name != "libggml-cpu-haswell.so":
            continue
        shutil.copy2(f, target / f.name)
    return target.parent


def check_peer_variant(args, model, want):
    """llama.cpp names the CPU variant it loaded on stderr; stop unless it is `want`."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(args.peer / "bin"))
    result = subprocess.run([str(args.peer / "bin/llama-bench"), "-m", str(model), "-p", "0", "-n", "1", "-r", "1",
                             "-t", "1"], capture_output=True, text=True, env=env)
    loaded = [line for line in result.stderr.splitlines() if "loaded CPU backend" in line]
    log("llama.cpp: " + (loaded[0] if loaded else "no CPU backend line"))
    if not loaded or want not in loaded[0]:
        raise SystemExit(f"llama.cpp did not load its {want} CPU variant")


def tachyon_round(args, model):
    out = run([args.tachyon, "bench", "engine", "--model", model, "--pp", args.pp, "--tg", args.tg,
               "--batch", args.seqs, "--batch-prompt", args.batch_prompt, "--batch-gen", args.batch_gen,
               "--threads", args.threads, "--reps", args.reps, "--bandwidth-mib", "1024", "--json"],
              env=tachyon_env(args))
    j = json.loads(out)
    return {
        "pp": j["pp"]["tps"], "tg": j["tg"]["tps"], "batched": j["batched"][0]["tps"],
        "isa": j["isa"], "bandwidth_gbps": j["bandwidth_gbps"], "bandwidth_median_gbps": j["bandwidth_median_gbps"],
        "roofline_pct": j["roofline_pct"], "roofline_peak_pct": j["roofline_peak_pct"],
        "weight_bytes_per_token": j["weight_bytes_per_token"],
    }


def llamacpp_round(args, model):
    env = dict(os.environ, LD_LIBRARY_PATH=str(args.peer / "bin"))
    out = run([args.peer / "bin/llama-bench", "-m", model, "-t", args.threads, "-p", args.pp, "-n", args.tg,
               "-r", args.reps, "-o", "json"], env=env)
    tests = json.loads(out)
    pp = next(t["avg_ts"] for t in tests if t["n_prompt"] == args.pp and t["n_gen"] == 0)
    tg = next(t["avg_ts"] for t in tests if t["n_gen"] == args.tg and t["n_prompt"] == 0)
    ctx = args.seqs * (args.batch_prompt + args.batch_gen) + 64
    out = run([args.peer / "bin/llama-batched-bench", "-m", model, "-t", args.threads, "-c", ctx, "-b", 2048,
               "-ub", 512, "-npp", args.batch_prompt, "-ntg", args.batch_gen, "-npl", args.seqs,
               "--output-format", "jsonl"], env=env)
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {"pp": pp, "tg": tg, "batched": rows[-1]["speed"]}


def long_context_round(args, model):
    """pp at args.long tokens and generation at KV depth args.long, both programs."""
    n, gen = args.long, args.long_gen
    out = run([args.tachyon, "bench", "engine", "--model", model, "--pp", n, "--tg", 0, "--batch", 1,
               "--batch-prompt", n, "--batch-gen", gen, "--threads", args.threads, "--reps", args.reps,
               "--bandwidth-mib", 0, "--kv-type", args.kv_type, "--json"], env=tachyon_env(args))
    j = json.loads(out)
    ours = {"pp": j["pp"]["tps"], "tg_depth": j["batched"][0]["decode_tps"], "isa": j["isa"]}
    env = dict(os.environ, LD_LIBRARY_PATH=str(args.peer / "bin"))
    # llama.cpp keeps a quantized V cache only with flash attention.
    cache = [] if args.kv_type == "f16" else ["-ctk", args.kv_type, "-ctv", args.kv_type]
    out = run([args.peer / "bin/llama-bench", "-m", model, "-t", args.threads, "-p", n, "-n", 0, "-r", args.reps,
               "-o", "json"] + cache + (["-fa", 1] if cache else []), env=env)
    pp = json.loads(out)[0]["avg_ts"]
    out = run([args.peer / "bin/llama-batched-bench", "-m", model, "-t", args.threads, "-c", n + gen + 64, "-b", 2048,
               "-ub", 512, "-npp", n, "-ntg", gen, "-npl", 1, "--output-format", "jsonl"] + cache +
              (["-fa"] if cache else []), env=env)
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return ours, {"pp": pp, "tg_depth": rows[-1]["speed_tg"]}


def spread(values):
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values), "runs": values}


def print_row(file, test, ours_runs, theirs_runs):
    ours, theirs = spread(ours_runs), spread(theirs_runs)
    ratio = ours["mean"] / theirs["mean"]
    low, high = ours["min"] / theirs["max"], ours["max"] / theirs["min"]
    print(f"| {file} | {test} | {ours['mean']:.1f} ({ours['min']:.1f}–{ours['max']:.1f}) | "
          f"{theirs['mean']:.1f} ({theirs['min']:.1f}–{theirs['max']:.1f}) | {ratio:.2f}× | {low:.2f}–{high:.2f}× |")
    return {"tachyon": ours, "llama.cpp": theirs, "ratio": ratio, "ratio_min": low, "ratio_max": high}


def long_context(args):
    """Smallest power of two, at least 2048, that holds the long prompt and its generation."""
    ctx = 2048
    while ctx < args.long + args.long_gen + 64:
        ctx *= 2
    return ctx


def make_long_model(args, weight_type):
    ctx = long_context(args)
    path = args.dir / f"tl-{weight_type}-ctx{ctx}.gguf"
    if not path.exists():
        run([args.tachyon, "model", "make-random", "--shape", "tinyllama-1.1b", "--dims", f"n_ctx={ctx}",
             "--type", weight_type, "--vocab", VOCAB, "-o", path])
    return path


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peer", type=Path, default=Path(os.environ.get("TACHYON_PEER", ROOT.parent / "shared/peer")),
                   help="llama.cpp build with bin/llama-bench etc. (default ../shared/peer or $TACHYON_PEER)")
    p.add_argument("--tachyon", type=Path, default=ROOT / "build/src/app/tachyon")
    p.add_argument("--types", default="q8_0,q4_0,q4_k_m",
                   help="comma-separated TinyLlama-shaped files: q8_0,q4_0,q4_k_m,q5_k_m,f16,bf16 (empty: none)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--reps", type=int, default=2, help="timed runs per test and program in each round")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--pp", type=int, default=512)
    p.add_argument("--tg", type=int, default=128)
    p.add_argument("--seqs", type=int, default=4, help="sequences of the batched test")
    p.add_argument("--batch-prompt", type=int, default=220)
    p.add_argument("--batch-gen", type=int, default=64)
    p.add_argument("--long", type=int, default=0,
                   help="also pp at this many tokens and generation at this KV depth (e.g. 4096; 0 skips)")
    p.add_argument("--long-gen", type=int, default=128, help="tokens generated at depth in the long test")
    p.add_argument("--long-types", default="q8_0", help="files of the long test (made by tachyon: q8_0,q4_0,f16)")
    p.add_argument("--kv-type", default="f16", choices=["f16", "f32", "q8_0"],
                   help="KV cache type of the long test, both programs (llama.cpp: -ctk/-ctv, with -fa when quantized)")
    p.add_argument("--archs", default="", help="also these architectures at real sizes: qwen2,phi3,gemma2,mpt")
    p.add_argument("--arch-type", default="q8_0", help="weight type of the --archs files")
    p.add_argument("--isa", default="native", choices=["native", "avx2"],
                   help="avx2: both programs on their AVX2 code on an AVX-512 machine (tachyon: TACHYON_ISA=avx2; "
                        "llama.cpp: a copy of the peer without its CPU variants above haswell)")
    p.add_argument("--dir", type=Path, default=Path("/tmp/tachyon-bench-models"), help="benchmark files")
    p.add_argument("--out", type=Path, help="also write the results as JSON")
    args = p.parse_args()
    for binary in [args.tachyon, args.peer / "bin/llama-bench", args.peer / "bin/llama-batched-bench"]:
        if not binary.exists():
            raise SystemExit(f"not found: {binary}")

    types = [t.strip() for t in args.types.split(",") if t.strip()]
    files = make_models(args, types)
    if args.isa == "avx2":
        args.peer = avx2_peer(args)
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    for a in archs:
        if a not in ARCH_SHAPES:
            raise SystemExit(f"--archs: unknown architecture '{a}' ({', '.join(ARCH_SHAPES)})")
    files.update(make_arch_models(args, archs, args.arch_type))
    types = list(files)
    long_types = [t.strip() for t in args.long_types.split(",") if t.strip()] if args.long > 0 else []
    long_files = {t: make_long_model(args, t) for t in long_types}
    if args.isa == "avx2":
        check_peer_variant(args, next(iter({**files, **long_files}.values())), "haswell")
    runs = {t: {"tachyon": [], "llama.cpp": []} for t in types}
    long_runs = {t: {"tachyon": [], "llama.cpp": []} for t in long_types}
    started = time.time()
    for r in range(args.rounds):
        for t in types:
            log(f"round {r + 1}/{args.rounds}, {t} ({time.time() - started:.0f} s)")
            runs[t]["tachyon"].append(tachyon_round(args, files[t]))
            runs[t]["llama.cpp"].append(llamacpp_round(args, files[t]))
        for t in long_types:
            log(f"round {r + 1}/{args.rounds}, {t} at {args.long} tokens ({time.time() - started:.0f} s)")
            ours, theirs = long_context_round(args, long_files[t])
            long_runs[t]["tachyon"].append(ours)
            long_runs[t]["llama.cpp"].append(theirs)

    first = runs[types[0]]["tachyon"][0] if types else long_runs[long_types[0]]["tachyon"][0]
    isa = first["isa"]
    tests = [("pp", f"pp{args.pp}"), ("tg", f"tg{args.tg}"),
             ("batched", f"batched {args.seqs} x ({args.batch_prompt} + {args.batch_gen}), total")]
    result = {"cpu": cpu_model(), "isa": isa, "threads": args.threads, "rounds": args.rounds, "reps": args.reps,
              "kv_type": args.kv_type, "types": {}}
    print(f"\n{cpu_model()}, tachyon kernels: {isa}, {args.threads} threads, {args.rounds} rounds x {args.reps} reps\n")
    print("| file | test | tachyon tok/s | llama.cpp tok/s | ratio | ratio range |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for t in types:
        entry = {}
        for key, name in tests:
            entry[key] = print_row(t, name, [x[key] for x in runs[t]["tachyon"]], [x[key] for x in runs[t]["llama.cpp"]])
        ours_runs = runs[t]["tachyon"]
        # tachyon's figure pairs each block of generated tokens with bandwidth samples taken just
        # before and after it; llama.cpp's tg ran at another time, so it is set against the median
        # of those samples (and against the best pass, as tachyon's peak figure is).
        bandwidth = statistics.fmean(x["bandwidth_gbps"] for x in ours_runs)
        median_bandwidth = statistics.fmean(x["bandwidth_median_gbps"] for x in ours_runs)
        bytes_per_token = ours_runs[0]["weight_bytes_per_token"]
        llama_stream = entry["tg"]["llama.cpp"]["mean"] * bytes_per_token / 1e9
        entry["bandwidth_gbps"] = bandwidth
        entry["bandwidth_median_gbps"] = median_bandwidth
        entry["roofline_pct"] = {
            "tachyon": statistics.fmean(x["roofline_pct"] for x in ours_runs),
            "llama.cpp": 100 * llama_stream / median_bandwidth,
        }
        entry["roofline_peak_pct"] = {
            "tachyon": statistics.fmean(x["roofline_peak_pct"] for x in ours_runs),
            "llama.cpp": 100 * llama_stream / bandwidth,
        }
        result["types"][t] = entry
    long_tests = [("pp", f"pp{args.long}"), ("tg_depth", f"tg{args.long_gen} at depth {args.long}")]
    for t in long_types:
        entry = {}
        for key, name in long_tests:
            entry[key] = print_row(f"{t} (ctx {long_context(args)}, KV {args.kv_type})", name,
                                   [x[key] for x in long_runs[t]["tachyon"]], [x[key] for x in long_runs[t]["llama.cpp"]])
        result["long"] = result.get("long", {})
        result["long"][t] = entry
    print("\nGeneration against the memory roofline (weight bytes per token x tokens/s ÷ read bandwidth; tachyon: "
          "blocks of 16 tokens each against the bandwidth sampled around it, median; llama.cpp: its tg against the "
          "median sample; in brackets, against the best pass):\n")
    for t in types:
        e = result["types"][t]
        print(f"- {t}: bandwidth median {e['bandwidth_median_gbps']:.1f} GB/s, best {e['bandwidth_gbps']:.1f}; "
              f"tachyon {e['roofline_pct']['tachyon']:.0f}% ({e['roofline_peak_pct']['tachyon']:.0f}%), "
              f"llama.cpp {e['roofline_pct']['llama.cpp']:.0f}% ({e['roofline_peak_pct']['llama.cpp']:.0f}%)")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
