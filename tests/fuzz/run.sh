#!/usr/bin/env bash
# Fuzzes the three readers that take untrusted bytes, each for a bounded time:
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]      (default 60)
#
# torch_checkpoint  the .pth reader (zip and legacy torch.save, the safe pickle subset)
# model_file        the .rdm model-file reader
# input_records     the JSON-lines / path-list reader of every tool's input
#
# Builds each target with clang's libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer
# into build-fuzz/, starting from the inputs saved in tests/fuzz/inputs/TARGET/ (the seeds and
# every earlier finding). A crash stops that target and the script exits 1 after the others
# ran; the crashing input is in build-fuzz/findings/. Fix the bug, then copy the input into
# tests/fuzz/inputs/TARGET/: tests/fuzz/fuzz_inputs_test.cpp replays it on every test run.
# Needs clang and its libFuzzer runtime, libclang-rt-dev (scripts/install-deps.sh --fuzz installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=build-fuzz
mkdir -p "$out/findings"
command -v clang++ > /dev/null || { echo "fuzz: clang++ not found (scripts/install-deps.sh --fuzz)" >&2; exit 2; }

# The zip reader skips its CRC check under FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, so that
# mutations reach the pickle instead of stopping at "CRC-32 mismatch".
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Ilib -Itests)
sources=(tests/fuzz/targets.cpp lib/io/input_records.cpp lib/io/model_file.cpp lib/io/atomic_file.cpp
         lib/pth/torch_checkpoint.cpp lib/pth/pickle_reader.cpp lib/pth/zip_archive.cpp)
declare -A max_len=([torch_checkpoint]=16384 [model_file]=4096 [input_records]=4096)

failed=()
for target in torch_checkpoint model_file input_records; do
  echo "fuzz: building $target" >&2
  clang++ "${flags[@]}" "tests/fuzz/${target}_fuzz.cpp" "${sources[@]}" -lfmt -o "$out/$target"
  corpus="$out/corpus/$target"
  mkdir -p "$corpus"
  cp tests/fuzz/inputs/"$target"/* "$corpus/"
  echo "fuzz: running $target for ${seconds}s" >&2
  if ! "$out/$target" -max_total_time="$seconds" -max_len="${max_len[$target]}" -rss_limit_mb=2048 \
       -artifact_prefix="$out/findings/$target-" -print_final_stats=1 "$corpus" 2> "$out/$target.log"; then
    failed+=("$target")
    tail -n 40 "$out/$target.log" >&2
  fi
  grep -E '^stat::number_of_executed_units' "$out/$target.log" | sed "s/^/fuzz: $target /" >&2 || true
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}; inputs in $out/findings/" >&2
  exit 1
fi
echo "fuzz: no finding in ${seconds}s per target" >&2
