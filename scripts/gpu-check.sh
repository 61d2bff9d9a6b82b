#!/usr/bin/env bash
# GPU check for Transfer (issue 10): on a Linux x64 machine with an NVIDIA GPU and the .NET SDK, build with ONNX Runtime's
# CUDA redist (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32.0), run the GPU tests (feature parity with the CPU within 1e-3,
# a trained model's predictions equal) and the featurization benchmark GPU vs CPU, and print the figures. Unattended.
#
#   scripts/gpu-check.sh               full check (needs a GPU); exit 0 only if everything passed
#   scripts/gpu-check.sh --build-only  build the GPU variant and run the CPU-side fallback tests with it (no GPU needed)
#
# ONNX Runtime 1.32's CUDA provider loads CUDA 13 (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10)
# and cuDNN 9. When they are not on the library path, the script looks in /usr/local/cuda*, then installs NVIDIA's pip
# wheels into a virtual environment (~/.cache/transfer/cuda-venv; override the list with CUDA_PIP_PACKAGES).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
FLAVOR=GpuLinux
OUT="${TRANSFER_ARTIFACTS:-$PWD/artifacts}/gpu-check"
mkdir -p "$OUT"
BUILD_ONLY=0
[ "${1:-}" = "--build-only" ] && BUILD_ONLY=1
START=$(date +%s)
step() { echo; echo "== [$(( $(date +%s) - START ))s] $*"; }
fail() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

step "Machine"
uname -m | grep -q x86_64 || fail "this script is for Linux x64 (found $(uname -m))."
command -v dotnet >/dev/null || fail "the .NET SDK is not on PATH: install .NET 10 SDK (dotnet --version must print 10.x)."
dotnet --version
nproc
if [ "$BUILD_ONLY" = 0 ]; then
  command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver. Install the driver (535+ with CUDA 13 support) or run with --build-only."
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || fail "nvidia-smi could not query a GPU."
fi

have_lib() { ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null || { [ -n "${LD_LIBRARY_PATH:-}" ] && for d in ${LD_LIBRARY_PATH//:/ }; do [ -e "$d/$1" ] && exit 0; done; exit 1; }; }
missing_cuda() {
  local m=""
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9; do
    ( have_lib "$lib" ) || m="$m $lib"
  done
  echo "$m"
}

if [ "$BUILD_ONLY" = 0 ]; then
  step "CUDA 13 and cuDNN 9 libraries"
  for d in /usr/local/cuda-13*/lib64 /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu/cudnn*; do
    [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  MISSING=$(missing_cuda)
  if [ -n "$MISSING" ]; then
    echo "Not on the library path:$MISSING; installing NVIDIA's CUDA 13 wheels into a virtual environment."
    VENV="${HOME:-/tmp}/.cache/transfer/cuda-venv"
    PKGS="${CUDA_PIP_PACKAGES:-nvidia-cuda-runtime==13.* nvidia-cublas==13.* nvidia-curand nvidia-cudnn-cu13==9.* nvidia-cufft nvidia-nvjitlink==13.*}"
    command -v python3 >/dev/null || fail "python3 is missing and so are$MISSING. Install CUDA 13 + cuDNN 9 (or python3-venv) and rerun."
    if [ ! -x "$VENV/bin/pip" ]; then
      python3 -m venv "$VENV" || fail "python3 -m venv failed (apt-get install python3-venv), and$MISSING are missing."
    fi
    # shellcheck disable=SC2086
    timeout 300 "$VENV/bin/pip" install --quiet --disable-pip-version-check $PKGS || fail "pip could not install: $PKGS. Install CUDA 13 and cuDNN 9 by hand, or set CUDA_PIP_PACKAGES."
    for d in "$VENV"/lib/python3*/site-packages/nvidia/*/lib "$VENV"/lib/python3*/site-packages/nvidia/cu13/lib; do
      [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    done
    MISSING=$(missing_cuda)
    [ -z "$MISSING" ] || fail "still missing after the pip install:$MISSING (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)."
  fi
  echo "CUDA libraries found; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
fi

step "Build with -p:TransferOnnxRuntime=$FLAVOR (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32.0 replaces the CPU package)"
timeout 400 dotnet build tests/Transfer.IntegrationTests/Transfer.IntegrationTests.csproj -c Release -p:TransferOnnxRuntime=$FLAVOR -warnaserror > "$OUT/build-tests.log" 2>&1 || { tail -n 40 "$OUT/build-tests.log"; fail "test build (log: $OUT/build-tests.log)."; }
timeout 300 dotnet build bench/Transfer.Benchmarks/Transfer.Benchmarks.csproj -c Release -p:TransferOnnxRuntime=$FLAVOR -warnaserror > "$OUT/build-bench.log" 2>&1 || { tail -n 40 "$OUT/build-bench.log"; fail "bench build (log: $OUT/build-bench.log)."; }
NATIVE=tests/Transfer.IntegrationTests/bin/Release/net10.0/runtimes/linux-x64/native
ls "$NATIVE"/libonnxruntime_providers_cuda.so >/dev/null 2>&1 || fail "$NATIVE has no libonnxruntime_providers_cuda.so: the GPU package did not replace the CPU one."
echo "Native runtime: $(ls "$NATIVE" | tr '\n' ' ')"

if [ "$BUILD_ONLY" = 1 ]; then
  step "CPU-side tests with the GPU package (fallback and strict mode name the missing CUDA libraries)"
  timeout 600 dotnet test tests/Transfer.IntegrationTests/Transfer.IntegrationTests.csproj -c Release --no-build -p:TransferOnnxRuntime=$FLAVOR \
    --filter "FullyQualifiedName~Transfer.IntegrationTests.Gpu.ExecutionProviderTests|FullyQualifiedName~Transfer.IntegrationTests.Gpu.OptimizedGraphTests" \
    --logger "console;verbosity=normal" > "$OUT/tests.log" 2>&1 && TESTS=ok || TESTS=failed
  grep -E "^ *(Passed|Failed|Skipped) |Total tests|^ *(Passed|Failed|Skipped):" "$OUT/tests.log" | sed 's/^/  /' || true
  [ "$TESTS" = ok ] || fail "CPU-side tests with the GPU package (log: $OUT/tests.log)."
  echo; echo "gpu-check (build only): OK in $(( $(date +%s) - START ))s"
  exit 0
fi

step "GPU tests (Category=Gpu, TRANSFER_REQUIRE_GPU=1: a missing GPU fails instead of skipping)"
TRANSFER_REQUIRE_GPU=1 timeout 600 dotnet test tests/Transfer.IntegrationTests/Transfer.IntegrationTests.csproj -c Release --no-build -p:TransferOnnxRuntime=$FLAVOR \
  --filter "Category=Gpu|FullyQualifiedName~Transfer.IntegrationTests.Gpu.ExecutionProviderTests" --logger "console;verbosity=detailed" > "$OUT/tests.log" 2>&1 && TESTS=ok || TESTS=failed
grep -E "GPU vs CPU features|^ *(Passed|Failed|Skipped) |Total tests|^ *(Passed|Failed|Skipped):" "$OUT/tests.log" | sed 's/^/  /' || true

step "Featurization benchmark, GPU vs CPU"
timeout 400 dotnet bench/Transfer.Benchmarks/bin/Release/net10.0/Transfer.Benchmarks.dll gpu --images "${GPU_CHECK_IMAGES:-2000}" --out "$OUT/gpu.json" 2>&1 | tee "$OUT/bench.log" && BENCH=ok || BENCH=failed

step "Summary ($(( $(date +%s) - START ))s)"
nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | sed 's/^/GPU: /'
grep -E "GPU vs CPU features" "$OUT/tests.log" | sed 's/^ *//' | head -n 1 || true
grep -E "^(png|jpeg)|inference only" "$OUT/bench.log" || true
echo "GPU tests: $TESTS; benchmark: $BENCH; logs and gpu.json in $OUT"
[ "$TESTS" = ok ] && [ "$BENCH" = ok ] || exit 1
