#!/usr/bin/env bash
# Builds irconv's C++ core with AddressSanitizer + UndefinedBehaviorSanitizer and runs the fuzz
# corpus through it (every reader, the same mutators as tests/fuzz/harness.py). CI runs it with a
# small corpus (tests/fuzz/test_sanitizers.py); by hand, after touching the core or a reader:
#     bash tests/fuzz/asan.sh [iterations-per-reader]     (default 500)
# The build dir ($IRCONV_ASAN_BUILD, default build/asan in the checkout) is reused between runs.
# Needs: the project's test dependencies in the current Python (pip install '.[test]': cmake, ninja,
# pybind11), g++ with libasan/libubsan.
set -euo pipefail
ITER="${1:-500}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${IRCONV_ASAN_BUILD:-$ROOT/build/asan}"
PY="${PYTHON:-python}"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# -O1 -g1: line tables for the reports, a build about as fast as the Release one
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DCMAKE_CXX_FLAGS="$SAN" -DCMAKE_SHARED_LINKER_FLAGS="$SAN" -DCMAKE_MODULE_LINKER_FLAGS="$SAN" \
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
