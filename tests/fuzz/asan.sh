#!/usr/bin/env bash
# Builds irconv's C++ core with AddressSanitizer + UndefinedBehaviorSanitizer and runs the fuzz
# corpus through it. Too slow for every CI run (a full sanitized build on 2 cores); run it before
# a release or after touching a reader:
#     bash tests/fuzz/asan.sh [iterations-per-reader]     (default 500)
# Needs: the project's test dependencies in the current Python (pip install '.[test]'), g++, ninja.
set -euo pipefail
ITER="${1:-500}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${IRCONV_ASAN_BUILD:-/tmp/irconv-asan-build}"
PY="${PYTHON:-python}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
ninja -C "$BUILD" -j2
export IRCONV_CORE_PATH="$(ls "$BUILD"/_core*.so)"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export IRCONV_FUZZ_NO_RLIMIT=1     # ASan reserves terabytes of shadow memory: no RLIMIT_AS
cd "$ROOT"
"$PY" -m tests.fuzz --reader all --iterations "$ITER" --findings "${FINDINGS:-fuzz-findings-asan}"
