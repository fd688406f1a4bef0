#!/usr/bin/env bash
# Reproduce the paper's MVTec AD table: train, score and evaluate every category of an MVTec AD
# download, then print one results table (image AUROC, pixel AUROC, AUPRO per category, and the
# mean). Defaults are the paper's: wide_resnet50_2 teacher with ImageNet weights (--weights auto:
# torchvision's file in $TORCH_HOME/hub/checkpoints), 256 px, 200 epochs, batch 16.
# The same protocol runs on the other benchmarks rd reads (--layout, or the wrappers beside this
# script: mpdd.sh, mvtec-ad2.sh, visa.sh, mvtec-loco.sh, btad.sh); docs/datasets.md says more.
#
# Usage: examples/mvtec.sh MVTEC_ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
#
# Per category it writes OUT_DIR/<category>/{model.rdm, train-log.jsonl, scores.jsonl, maps/,
# metrics.json}, and at the end OUT_DIR/results.json (all categories' rd-eval JSON merged) and
# OUT_DIR/results.md. A step whose output already exists is skipped, so rerunning after a crash,
# or after training the categories elsewhere (examples/slurm/train-array.sbatch writes the same
# layout), only does what is missing; an interrupted training continues from its checkpoint.
#
# Environment: RD_BIN  directory holding rd-train, rd-score, rd-eval (default: found on PATH)
#              DRY_RUN=1  print the commands instead of running them
# Needs jq for the final table.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: examples/mvtec.sh MVTEC_ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
  --backbone NAME      teacher (default wide_resnet50_2)
  --weights W          teacher weights: auto, PATH or none (default auto)
  --image-size PX      input side (default 256)
  --epochs N           training epochs (default 200)
  --categories "A B"   only these categories (default: every category folder of the layout)
  --layout NAME        auto (default), mvtec, mpdd, mvtec-ad2, visa, mvtec-loco or btad
  --device D           auto, cpu, cuda or cuda:N (default: the tools' auto)
  --pro-mode M         AUPRO as MVTec defines it (mvtec) or as the paper's code (rd4ad); default mvtec
  --no-pixel           no anomaly maps: image metrics only (saves disk and time)
  --force              redo every step even where its output exists
environment: RD_BIN=DIR (tools' directory), DRY_RUN=1 (print commands only)
EOF
  exit 2
}

backbone=wide_resnet50_2 weights=auto image_size=256 epochs=200 categories="" device=""
pro_mode=mvtec pixel=1 force=0 layout=auto
train_extra=()
positional=()
while (($#)); do
  case $1 in
    --backbone|--weights|--image-size|--epochs|--categories|--device|--pro-mode|--layout)
      (($# >= 2)) || usage
      case $1 in
        --backbone) backbone=$2 ;;
        --weights) weights=$2 ;;
        --image-size) image_size=$2 ;;
        --epochs) epochs=$2 ;;
        --categories) categories=$2 ;;
        --device) device=$2 ;;
        --pro-mode) pro_mode=$2 ;;
        --layout) layout=$2 ;;
      esac
      shift 2 ;;
    --no-pixel) pixel=0; shift ;;
    --force) force=1; shift ;;
    --) shift; train_extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "mvtec.sh: unknown option '$1'" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#positional[@]} == 2)) || usage
case $layout in
  auto|mvtec|mpdd|mvtec-ad2|visa|mvtec-loco|btad) ;;
  *) echo "mvtec.sh: unknown --layout '$layout'" >&2; usage ;;
esac
# A category folder of the layout: train/good (MVTec AD, MPDD, MVTec AD 2, MVTec LOCO), train/ok
# (BTAD), Data/Images (VisA, whose split file split_csv/1cls.csv sits in the root).
is_category() {
  case $layout in
    btad) [[ -d $1/train/ok ]] ;;
    visa) [[ -d $1/Data/Images ]] ;;
    auto) [[ -d $1/train/good || -d $1/train/ok || -d $1/Data/Images ]] ;;
    *) [[ -d $1/train/good ]] ;;
  esac
}
layout_opt=()
[[ $layout == auto ]] || layout_opt=(--layout "$layout")
root=${positional[0]} out=${positional[1]}
[[ -d $root ]] || { echo "mvtec.sh: '$root' is not a directory (expected the MVTec AD root)" >&2; exit 2; }

rd=${RD_BIN:+${RD_BIN%/}/}
dry=${DRY_RUN:-0}
[[ $dry == 0 ]] && ! command -v jq >/dev/null && { echo "mvtec.sh: needs jq for the results table (apt-get install jq)" >&2; exit 2; }

say() { printf '== %s\n' "$*" >&2; }
# run [<IN] [>OUT] CMD...: runs CMD with optional stdin/stdout files, or prints it under DRY_RUN=1.
# The output goes to OUT.part first and is renamed on success, so an existing OUT is complete.
run() {
  local in="" to=""
  while [[ $1 == '<'* || $1 == '>'* ]]; do
    [[ $1 == '<'* ]] && in=${1#<} || to=${1#>}
    shift
  done
  if [[ $dry != 0 ]]; then
    printf '%q ' "$@"
    [[ -n $in ]] && printf '< %q ' "$in"
    [[ -n $to ]] && printf '> %q' "$to"
    printf '\n'
    return 0
  fi
  # The tools get their inputs as arguments; without <IN they must not wait on a terminal.
  local rc=0 src=${in:-/dev/null}
  if [[ -n $to ]]; then
    "$@" <"$src" >"$to.part" || rc=$?
    # 4: finished, but some inputs failed (each has an error record): keep the output, warn.
    if ((rc == 0 || rc == 4)); then mv -f "$to.part" "$to"; fi
  else
    "$@" <"$src" || rc=$?
  fi
  ((rc == 4)) && say "warning: some inputs failed in: $*" && rc=0
  return "$rc"
}

if [[ -n $categories ]]; then
  read -r -a cats <<<"$categories"
else
  # Every category folder of the layout; sorted, so the table's order is stable.
  cats=()
  for d in "$root"/*/; do
    is_category "$d" && cats+=("$(basename "$d")")
  done
fi
((${#cats[@]})) || { echo "mvtec.sh: no category (a folder with train/good, train/ok or Data/Images) in '$root'" >&2; exit 2; }

[[ $dry == 0 ]] && mkdir -p "$out"
for cat in "${cats[@]}"; do
  dir=$out/$cat model=$dir/model.rdm
  is_category "$root/$cat" || { echo "mvtec.sh: '$root/$cat' is no category of layout $layout" >&2; exit 2; }
  [[ $dry == 0 ]] && mkdir -p "$dir"
  say "$cat"
  device_opt=()
  [[ -n $device ]] && device_opt=(--device "$device")
  if ((force)) || [[ ! -s $model ]]; then
    resume=()
    # A killed or preempted run left a checkpoint: continue it instead of starting over.
    ((force)) || [[ ! -s $model.ckpt ]] || resume=(--resume "$model.ckpt")
    ((force)) && [[ $dry == 0 ]] && rm -f "$model.ckpt" "$dir/train-log.jsonl"
    run ">$dir/train-summary.json" "${rd}rd-train" --backbone "$backbone" --weights "$weights" \
      --image-size "$image_size" --epochs "$epochs" "${device_opt[@]}" --checkpoint-every 10 \
      --log "$dir/train-log.jsonl" "${layout_opt[@]}" "${resume[@]}" "${train_extra[@]}" -o "$model" "$root/$cat"
  fi
  if ((force)) || [[ ! -s $dir/scores.jsonl ]]; then
    maps=()
    ((pixel)) && maps=(--maps "$dir/maps")
    run ">$dir/scores.jsonl" "${rd}rd-score" -m "$model" "${device_opt[@]}" --dataset "$root/$cat" \
      "${layout_opt[@]}" "${maps[@]}"
  fi
  if ((force)) || [[ ! -s $dir/metrics.json ]]; then
    eval_opts=(--by defect --pro-mode "$pro_mode")
    ((pixel)) || eval_opts+=(--no-pixel)
    run "<$dir/scores.jsonl" ">$dir/metrics.json" "${rd}rd-eval" "${eval_opts[@]}"
  fi
done

# Merge: {"bottle": {...rd-eval JSON...}, ...} plus a table with the mean over categories, as the
# paper reports it.
metrics=()
for cat in "${cats[@]}"; do metrics+=("$out/$cat/metrics.json"); done
merge='[inputs | {key: (input_filename | split("/") | .[-2]), value: .}] | from_entries'
# shellcheck disable=SC2016  # a jq program: $n is jq's
table='def f: if . == null then "-" else (. * 1000 | round) as $n | "\($n / 10 | floor).\($n % 10)" end;
  def mean(k): [.[] | .[k] | select(. != null)] | if length == 0 then null else add / length end;
  "| category | image AUROC | pixel AUROC | AUPRO |", "| --- | ---: | ---: | ---: |",
  (to_entries[] | "| \(.key) | \(.value.image_auroc | f) | \(.value.pixel_auroc | f) | \(.value.aupro | f) |"),
  "| **mean** | \(mean("image_auroc") | f) | \(mean("pixel_auroc") | f) | \(mean("aupro") | f) |"'
if [[ $dry != 0 ]]; then
  echo "# merge with jq: ${metrics[*]} -> $out/results.json (category -> rd-eval JSON), $out/results.md (table)"
  exit 0
fi
jq -n "$merge" "${metrics[@]}" >"$out/results.json"
jq -r "$table" "$out/results.json" >"$out/results.md"
if [[ $layout == mvtec-loco ]]; then
  echo "AUPRO here is MVTec AD's (each ground-truth region alike), not MVTec LOCO's sPRO." >>"$out/results.md"
fi
say "results (percent; per-defect numbers in $out/results.json)"
cat "$out/results.md"
