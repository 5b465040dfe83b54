#!/usr/bin/env bash
# The GPU checks of the CUDA backend in one run, on a machine with an NVIDIA GPU, CUDA 12.8+,
# CMake, Ninja and (for the comparison) PyTorch with transformers, but none of the Debian
# libraries: those come from .devdeps/ (scripts/device_deps.sh, run beforehand on Debian 12).
# Builds the GPU configuration (engine, kernels, `bench engine`, `logits`, the GPU tests; no HTTP
# stack), runs the GPU tests, benchmarks random TinyLlama-1.1B (F16, Q8_0) and Llama-2-7B (F16)
# models, measures the device's ceilings and PyTorch on the same shapes, and writes everything to
# $OUT (default: device-results/). Sized to finish in under 8 minutes on one H200 (about 5); with
# less time at hand, REPS=1 and TORCH=0 (skip the PyTorch comparison) bring it near 3.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-device-results}
mkdir -p "$out"
exec > >(tee "$out/device_check.log") 2>&1
SECONDS=0
step() { echo; echo "== [${SECONDS}s] $*"; }

deps=$PWD/.devdeps/usr
lib=$deps/lib/x86_64-linux-gnu
if [ ! -d "$deps" ]; then
  echo "error: .devdeps/ is missing: run scripts/device_deps.sh on Debian 12 first" >&2
  exit 2
fi

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,clocks.mem --format=csv || true
nvcc --version | tail -1
cmake --version | head -1
echo "cores: $(nproc)"

step "build (GPU configuration)"
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DTACHYON_CUDA=ON -DTACHYON_SERVER=OFF \
  -DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" \
  -DTACHYON_TESTS=backend -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_PREFIX_PATH="$deps" \
  -Dfmt_DIR="$lib/cmake/fmt" -DGTest_DIR="$lib/cmake/GTest" -DCLI11_DIR="$deps/share/cmake/CLI11" \
  -Dnlohmann_json_DIR="$deps/share/cmake/nlohmann_json" -DPCRE2_INCLUDE_DIR="$deps/include" \
  -DPCRE2_LIBRARY="$lib/libpcre2-8.so" -DICU_INCLUDE_DIR="$deps/include" -DICU_UC_LIBRARY_RELEASE="$lib/libicuuc.so" \
  >"$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 1; }
ninja -C build-device tachyon cuda_test backend_test >"$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
bin=build-device/src/app/tachyon

step "GPU tests"
if [ -d .devdata ] && [ ! -e ../shared/testdata ]; then mkdir -p ../shared && ln -s "$PWD/.devdata" ../shared/testdata; fi
timeout 150 build-device/tests/backend/cuda_test --gtest_output=json:"$out/cuda_test.json" 2>&1 | tail -40
echo "cuda_test: exit ${PIPESTATUS[0]}"

step "random models"
models=/tmp/tachyon-models
mkdir -p "$models"
timeout 60 "$bin" model make-random --shape tinyllama-1.1b --type f16 -o "$models/tinyllama-f16.gguf" >/dev/null
timeout 60 "$bin" model make-random --shape tinyllama-1.1b --type q8_0 -o "$models/tinyllama-q8_0.gguf" >/dev/null
timeout 150 "$bin" model make-random --shape llama2-7b --type f16 -o "$models/llama2-7b-f16.gguf" >/dev/null
ls -la "$models"

step "bench engine --device cuda"
for name in llama2-7b-f16 tinyllama-f16 tinyllama-q8_0; do
  echo "-- $name"
  timeout 120 "$bin" bench engine --device cuda --model "$models/$name.gguf" --pp 512 --tg 128 --batch 1,8,64 \
    --batch-prompt 128 --batch-gen 128 --reps "${REPS:-2}" --bandwidth-mib 4096 --out "$out/bench-$name.json"
done

if [ "${TORCH:-1}" = 1 ]; then
  step "PyTorch on the same shape"
  timeout 150 python3 tools/gpu/torch_reference.py --shapes llama2-7b --out "$out/torch.json" | tail -2
fi

step "done in ${SECONDS}s"
nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv || true
