#!/usr/bin/env bash
# Two builds of rd-score side by side on the same model and images, runs alternating:
#   bench/compare_builds.sh OLD_BIN_DIR NEW_BIN_DIR MODEL.rdm LIST.txt [REPS] [BATCH] > result.json
# LIST.txt holds one image path per line. Reports each build's median wall time, minor page
# faults and peak RSS (GNU time), and new/old throughput. For changes that are not a flag.
set -euo pipefail
old=$1 new=$2 model=$3 list=$4 reps=${5:-5} batch=${6:-8}
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < reps; r++)); do
  for side in old new; do
    bin=$old; [[ $side == new ]] && bin=$new
    /usr/bin/time -f "%e %R %M" -o "$tmp/t" "$bin/rd-score" -q -m "$model" --batch-size "$batch" --threads 2 - <"$list" >/dev/null
    echo "$side $(cat "$tmp/t")" >>"$tmp/all"
  done
done
/usr/bin/python3 - "$tmp/all" "$model" "$(wc -l <"$list")" "$batch" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
out = {"model": sys.argv[2], "images": int(sys.argv[3]), "batch": int(sys.argv[4]), "runs": len(rows) // 2}
for side in ("old", "new"):
    mine = [r for r in rows if r[0] == side]
    out[side] = {"median_seconds": statistics.median(float(r[1]) for r in mine),
                 "seconds": [float(r[1]) for r in mine],
                 "minor_faults": statistics.median(int(r[2]) for r in mine),
                 "peak_rss_kb": max(int(r[3]) for r in mine)}
out["new_over_old_throughput"] = out["old"]["median_seconds"] / out["new"]["median_seconds"]
print(json.dumps(out, indent=2))
PY
