#!/usr/bin/env bash
# The library's folders are layers (docs/contributing.md, "Layout"): each may include only the folders below
# it, so that lib/io and lib/model never reach up into scoring or training code. Also: the error
# types at lib/errors.h include nothing of the library, every unit test sits in the folder of the
# area it tests, and no folder holds more than 30 % of the library's lines.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src/lib"

# The torch-free folders (rd_core: cpu pth io eval draw report cli) never include the LibTorch ones
# (rd_net: model score train export); CMakeLists.txt builds them as two libraries.
declare -A allowed=(
  [cpu]=""
  [pth]=""
  [io]="pth"
  [model]="cpu pth"
  [eval]="io pth"
  [score]="model cpu io pth"
  [train]="score eval model cpu io pth"
  [export]="score model cpu io pth"
  [draw]="eval io pth"
  [report]="draw eval io pth"
  [cli]="report draw eval cpu io pth"
)
problems=()
for dir in */; do
  dir=${dir%/}
  [[ -v "allowed[$dir]" ]] || problems+=("lib/$dir is not a known layer; add it to the table in $0 and in docs/contributing.md")
done
for dir in "${!allowed[@]}"; do
  [[ -d $dir ]] || continue
  while IFS=: read -r file _ line; do
    used=$(sed -nE 's/^#include "([a-z_]+)\/.*/\1/p' <<<"$line")
    [[ -z $used || $used == "$dir" ]] && continue
    [[ " ${allowed[$dir]} " == *" $used "* ]] || problems+=("lib/$file includes a header of lib/$used: ${line}")
  done < <(grep -rn '^#include "' "$dir")
done
if grep -n '^#include "' errors.h; then problems+=("lib/errors.h includes a library header"); fi

# Unit tests: tests/unit/<area>/<topic>_test.cpp with lib/<area>/ existing.
for t in "$src"/tests/unit/*; do
  [[ -d $t ]] || { problems+=("${t#$src/} is not in an area folder"); continue; }
  [[ -d $(basename "$t") ]] || problems+=("${t#$src/} has no lib/$(basename "$t")")
done

total=$(cat errors.h */*.h */*.cpp | wc -l)
for dir in "${!allowed[@]}"; do
  [[ -d $dir ]] || continue
  lines=$(cat "$dir"/* | wc -l)
  (( lines * 100 <= total * 30 )) || problems+=("lib/$dir holds $lines of $total lines (more than 30 %): split it")
done

if ((${#problems[@]})); then
  printf '%s\n' "${problems[@]}" >&2
  fail "${#problems[@]} layout problems"
fi
pass
