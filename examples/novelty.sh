#!/usr/bin/env bash
# The paper's one-class novelty protocol on Fashion-MNIST: for each class, train on that class's
# training images only, then score the whole test set (the class's test images are normal, the
# other nine classes' are novelties) and report image AUROC; the table ends with the mean over
# the classes.
#
# Data: Debian packages Fashion-MNIST as `dataset-fashion-mnist` (apt-get install
# dataset-fashion-mnist), which puts the four IDX files in /usr/share/datasets/fashion-mnist/.
# Any folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
# t10k-labels-idx1-ubyte (each optionally .gz) works with --data DIR.
#
# The IDX files become PNG folders once (OUT_DIR/png/{train,test}/<k>-<name>/), and each class
# gets an MVTec-like category made of symlinks to them: OUT_DIR/class-<k>-<name>/data/ with
# train/good (the class's training images), test/good (its test images) and test/<other name>
# for each other class. So rd-train takes the category as it is, `rd-score --dataset` labels the
# other classes anomalous, and `rd-eval --by defect` gives the AUROC against each other class.
#
# Usage: examples/novelty.sh OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
# Defaults are the paper's pipeline: wide_resnet50_2 with ImageNet weights (--weights auto), the
# 28 px images resized to 256 px, 200 epochs; that is hours per class on a CPU. For a quick look:
#   examples/novelty.sh out --limit 200 --backbone resnet18 --image-size 64 --epochs 20
# Environment: RD_BIN  directory holding rd-train, rd-score, rd-eval (default: found on PATH)
#              DRY_RUN=1  print the commands instead of running them
# Needs python3 (standard library only) to convert the IDX files, and jq for the table.
set -euo pipefail

names=(tshirt_top trouser pullover dress coat sandal shirt sneaker bag ankle_boot)

usage() {
  cat >&2 <<'EOF'
usage: examples/novelty.sh OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
  --data DIR           the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist,
                       from the Debian package dataset-fashion-mnist)
  --classes "0 3 …"    normal classes to run, 0-9 (default: all ten)
  --limit N            use only the first N images of each class in each split (tiny runs)
  --backbone NAME      teacher (default wide_resnet50_2)
  --weights W          auto, PATH or none (default auto)
  --image-size PX      input side (default 256)
  --epochs N           training epochs (default 200)
  --prepare-only       only write the PNG folders and the per-class categories
environment: RD_BIN=DIR (tools' directory), DRY_RUN=1 (print commands only)
EOF
  exit 2
}

data=/usr/share/datasets/fashion-mnist classes="0 1 2 3 4 5 6 7 8 9" limit=0
backbone=wide_resnet50_2 weights=auto image_size=256 epochs=200 prepare_only=0
train_extra=()
positional=()
while (($#)); do
  case $1 in
    --data|--classes|--limit|--backbone|--weights|--image-size|--epochs)
      (($# >= 2)) || usage
      case $1 in
        --data) data=$2 ;;
        --classes) classes=$2 ;;
        --limit) limit=$2 ;;
        --backbone) backbone=$2 ;;
        --weights) weights=$2 ;;
        --image-size) image_size=$2 ;;
        --epochs) epochs=$2 ;;
      esac
      shift 2 ;;
    --prepare-only) prepare_only=1; shift ;;
    --) shift; train_extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "novelty.sh: unknown option '$1'" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#positional[@]} == 1)) || usage
out=${positional[0]}
[[ $limit =~ ^[0-9]+$ ]] || { echo "novelty.sh: --limit wants a number, got '$limit'" >&2; exit 2; }
read -r -a class_list <<<"$classes"
for c in "${class_list[@]}"; do
  [[ $c =~ ^[0-9]$ ]] || { echo "novelty.sh: --classes wants digits 0-9, got '$c'" >&2; exit 2; }
done

rd=${RD_BIN:+${RD_BIN%/}/}
dry=${DRY_RUN:-0}

# The IDX files, compressed or not.
idx() {
  local f
  for f in "$data/$1" "$data/$1.gz"; do
    [[ -f $f ]] && { printf '%s' "$f"; return 0; }
  done
  return 1
}
files=()
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if path=$(idx "$f"); then
    files+=("$path")
  elif [[ $dry != 0 ]]; then
    files+=("$data/$f.gz")
  else
    echo "novelty.sh: no $f(.gz) in '$data'; install the Debian package (apt-get install" \
         "dataset-fashion-mnist) or give --data DIR with the four Fashion-MNIST IDX files" >&2
    exit 2
  fi
done
if [[ $dry == 0 ]]; then
  command -v python3 >/dev/null || { echo "novelty.sh: needs python3 to convert the IDX files" >&2; exit 2; }
  ((prepare_only)) || command -v jq >/dev/null || { echo "novelty.sh: needs jq for the results table" >&2; exit 2; }
fi

say() { printf '== %s\n' "$*" >&2; }
show() { printf '%q ' "$@"; printf '\n'; }

# IDX -> PNG with the standard library only: an IDX file is a big-endian header (magic, sizes)
# followed by raw bytes; a gray PNG is IHDR + zlib-compressed rows + IEND.
convert() {
  python3 - "$@" <<'PY'
import gzip, os, struct, sys, zlib

train_images, train_labels, test_images, test_labels, out, limit = sys.argv[1:7]
limit = int(limit)
names = sys.argv[7:]

def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"novelty.sh: '{path}' is not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]

def png(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))

for split, images, labels in (("train", train_images, train_labels), ("test", test_images, test_labels)):
    (count, height, width), pixels = read_idx(images)
    (label_count,), label_bytes = read_idx(labels)
    if count != label_count:
        sys.exit(f"novelty.sh: {count} images but {label_count} labels in '{images}'")
    written = [0] * len(names)
    for i in range(count):
        k = label_bytes[i]
        if k >= len(names) or (limit and written[k] >= limit):
            continue
        folder = os.path.join(out, split, f"{k}-{names[k]}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{i:05d}.png"), "wb") as f:
            f.write(png(width, height, pixels[i * width * height:(i + 1) * width * height]))
        written[k] += 1
    print(f"novelty.sh: {split}: {sum(written)} images of {count}", file=sys.stderr)
PY
}

png=$out/png
marker=$png/.converted-limit-$limit
if [[ ! -f $marker ]]; then
  say "converting the IDX files in $data to PNG folders in $png"
  if [[ $dry != 0 ]]; then
    echo "# python3 (IDX -> PNG): ${files[*]} -> $png/{train,test}/<k>-<name>/ (limit ${limit})"
  else
    # New images (another --limit) make every model and score stale: start afresh.
    rm -rf "$png" "$out"/class-*/
    mkdir -p "$png"
    convert "${files[@]}" "$png" "$limit" "${names[@]}"
    touch "$marker"
  fi
fi

summaries=()
for c in "${class_list[@]}"; do
  cls=$c-${names[$c]} dir=$out/class-$c-${names[$c]}
  say "normal class $cls"
  # The category is symlinks, relative so that OUT_DIR can move: ../../.. leads from
  # data/train/good (or data/test/x) back to OUT_DIR.
  if [[ $dry != 0 ]]; then
    echo "# lay out $dir/data: train/good, test/good -> $png/{train,test}/$cls; test/<name> -> each other class"
  else
    rm -rf "$dir/data"
    mkdir -p "$dir/data/train" "$dir/data/test"
    ln -s "../../../png/train/$cls" "$dir/data/train/good"
    ln -s "../../../png/test/$cls" "$dir/data/test/good"
    for k in "${!names[@]}"; do
      ((k == c)) || ln -s "../../../png/test/$k-${names[$k]}" "$dir/data/test/${names[$k]}"
    done
  fi
  ((prepare_only)) && continue
  model=$dir/model.rdm
  train=("${rd}rd-train" --backbone "$backbone" --weights "$weights" --image-size "$image_size"
         --epochs "$epochs" --log "$dir/train-log.jsonl" "${train_extra[@]}" -o "$model" "$dir/data")
  score=("${rd}rd-score" -m "$model" --dataset "$dir/data")
  evaluate=("${rd}rd-eval" --by defect)
  if [[ $dry != 0 ]]; then
    printf '%s> %q\n' "$(show "${train[@]}")" "$dir/train-summary.json"
    printf '%s> %q\n' "$(show "${score[@]}")" "$dir/scores.jsonl"
    printf '%s< %q > %q\n' "$(show "${evaluate[@]}")" "$dir/scores.jsonl" "$dir/metrics.json"
    continue
  fi
  # Steps whose output exists are skipped, so a rerun after a crash does only what is missing
  # (delete a class's folder to redo it).
  if [[ ! -s $model ]]; then
    "${train[@]}" >"$dir/train-summary.json"
  fi
  if [[ ! -s $dir/scores.jsonl ]]; then
    status=0
    "${score[@]}" >"$dir/scores.jsonl.part" || status=$?
    ((status == 0 || status == 4)) || exit "$status"
    mv "$dir/scores.jsonl.part" "$dir/scores.jsonl"
  fi
  if [[ ! -s $dir/metrics.json ]]; then
    "${evaluate[@]}" <"$dir/scores.jsonl" >"$dir/metrics.json.part"
    mv "$dir/metrics.json.part" "$dir/metrics.json"
  fi
  summaries+=("$dir/metrics.json")
done
((prepare_only)) && { say "categories are in $out/class-*/data"; exit 0; }
[[ $dry != 0 ]] && { echo "# merge with jq: $out/class-*/metrics.json -> $out/results.json, $out/results.md"; exit 0; }

jq -n '[inputs | {key: (input_filename | split("/") | .[-2] | ltrimstr("class-")), value: .}] | from_entries' \
  "${summaries[@]}" >"$out/results.json"
jq -r 'def f: (. * 1000 | round) as $n | "\($n / 10 | floor).\($n % 10)";
  "| normal class | image AUROC |", "| --- | ---: |",
  (to_entries[] | "| \(.key) | \(.value.image_auroc | f) |"),
  "| **mean** | \([.[].image_auroc] | add / length | f) |"' "$out/results.json" >"$out/results.md"
say "image AUROC (percent) of each class against the nine others; per-class detail in $out/results.json"
cat "$out/results.md"
