#!/bin/sh
# Reproduce tachyon-mini end to end: corpus -> tokenizer -> training -> GGUF -> evaluation.
# Usage: tools/train/run_all.sh [minutes]   (training budget, default 50)
# Needs Debian's python3-torch, python3-sentencepiece, python3-numpy and gnuplot-nox (loss plot),
# and a built tachyon (scripts/build.sh) for the quantization step.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
minutes=${1:-50}
py=/usr/bin/python3
# Training shares the machine with compilers: stay at low priority, and keep OpenMP
# from spinning when it loses the CPU.
export OMP_WAIT_POLICY=PASSIVE

cd "$here"
sh fetch_corpus.sh
nice -n 10 $py corpus.py
nice -n 10 $py train_tokenizer.py
nice -n 10 $py train.py --minutes "$minutes"
nice -n 10 $py export_gguf.py
nice -n 10 $py eval_ppl.py
nice -n 10 $py sample.py | tee work/samples.txt
"$repo/build/src/app/tachyon" quantize work/tachyon-mini-f32.gguf "$repo/models/tachyon-mini-q8_0.gguf" q8_0
"$repo/build/src/app/tachyon" perplexity -m "$repo/models/tachyon-mini-q8_0.gguf" --text-file "$repo/tests/data/perplexity/heldout.txt"
