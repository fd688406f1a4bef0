#!/usr/bin/env bash
# Nightly scoring of a folder that keeps receiving images, for cron.
#
# Every image below INPUT_DIR gets exactly one record in OUT_DIR/scores.jsonl (or
# scores.K-of-N.jsonl with --shard), however often this runs and wherever a run was killed:
# rd-score --resume skips the paths that already have a record, so each night scores only what
# arrived since, and a run killed by a reboot or a time limit continues where it stopped.
# A lock (flock) keeps two runs from scoring the same images when one night's run is still busy
# at the next start: the later run logs that and exits 0. Each night's messages go to
# LOG_DIR/nightly-YYYY-MM-DD.log. With -t, tonight's anomalous records are also written to
# OUT_DIR/anomalies-YYYY-MM-DD.jsonl. With --report DIR, rd-report makes a page of tonight's new
# records, DIR/YYYY-MM-DD/index.html (with the model's drift check; its verdict goes to the log),
# and DIR/latest points at it: publish DIR with any static web server.
#
# Usage: nightly-score.sh -m MODEL [-t THRESHOLD] [--shard K/N] [--log-dir DIR] [--lock FILE]
#                         [--report DIR] INPUT_DIR OUT_DIR [-- RD_SCORE_OPTIONS...]
# Exit status: rd-score's (0; 4 when some images could not be read: their records carry "error"
# and are not retried, see README.md), 2 bad arguments or a threshold of another model, 3 fatal
# (also when the report cannot be written).
# Environment: RD_BIN  directory holding rd-score, rd-threshold and rd-report (default: found on
#              PATH; cron's PATH is short, so set it in the crontab).
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: nightly-score.sh -m MODEL [-t THRESHOLD] [--shard K/N] [--log-dir DIR] [--lock FILE]
                        [--report DIR] INPUT_DIR OUT_DIR [-- RD_SCORE_OPTIONS...]
EOF
  exit 2
}

model="" threshold="" shard="" log_dir="" lock="" report=""
extra=()
positional=()
while (($#)); do
  case $1 in
    -m|--model|-t|--threshold|--shard|--log-dir|--lock|--report)
      (($# >= 2)) || usage
      case $1 in
        -m|--model) model=$2 ;;
        -t|--threshold) threshold=$2 ;;
        --shard) shard=$2 ;;
        --log-dir) log_dir=$2 ;;
        --lock) lock=$2 ;;
        --report) report=$2 ;;
      esac
      shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "nightly-score.sh: unknown option '$1'" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[[ ${#positional[@]} -eq 2 && -n $model ]] || usage
input=${positional[0]} out=${positional[1]}
if [[ -n $shard && ! $shard =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]]; then
  echo "nightly-score.sh: --shard wants K/N (1-based), got '$shard'" >&2
  exit 2
fi

rd=${RD_BIN:+${RD_BIN%/}/}
suffix=""
[[ -n $shard ]] && suffix=".${shard%/*}-of-${shard#*/}"
results=$out/scores$suffix.jsonl
today=$(date +%F)
log_dir=${log_dir:-$out/logs}
mkdir -p "$out" "$log_dir"

# From here on everything, the tools' messages included, goes to tonight's log: cron would mail
# stdout and stderr otherwise.
exec >>"$log_dir/nightly$suffix-$today.log" 2>&1
log() { printf '%s nightly-score: %s\n' "$(date '+%F %T')" "$*"; }

# One lock per output file: shards on different hosts may share OUT_DIR. The lock is on a file
# descriptor, so the kernel releases it when this script dies, however it dies.
exec 9>"${lock:-$results.lock}"
if ! flock -n 9; then
  log "another run still holds ${lock:-$results.lock}; skipping tonight"
  exit 0
fi

# A run killed while writing leaves a torn last line; drop it (its image is scored again) so that
# the file stays valid JSON lines and new records do not get glued onto it.
if [[ -s $results && $(tail -c 1 "$results" | od -An -tx1 | tr -d ' ') != 0a ]]; then
  log "dropping the torn last line of $results"
  sed -i '$ d' "$results"
fi
before=0
[[ -f $results ]] && before=$(wc -l <"$results")

score=("${rd}rd-score" -q -m "$model" --resume "$results")
[[ -n $shard ]] && score+=(--shard "$shard")
score+=("${extra[@]}" "$input")
log "start: ${score[*]}"
status=0
if [[ -n $threshold ]]; then
  set +e
  "${score[@]}" | "${rd}rd-threshold" apply -q -t "$threshold" >>"$results"
  ps=("${PIPESTATUS[@]}")
  set -e
  status=${ps[0]}
  # rd-threshold's own failure (bad threshold file: 2, 3) matters more than rd-score's 4.
  ((ps[1] != 0 && ps[1] != 4)) && status=${ps[1]}
else
  "${score[@]}" >>"$results" || status=$?
fi
after=$(wc -l <"$results")
new=$((after - before))
errors=$(tail -n "+$((before + 1))" "$results" | grep -c '"error":' || true)
log "done: $new new records ($errors with an error), status $status"
if [[ -n $threshold ]]; then
  # The tools write compact JSON, so the field is exactly "anomalous":true.
  tail -n "+$((before + 1))" "$results" | grep '"anomalous":true' >>"$out/anomalies$suffix-$today.jsonl" || true
  [[ -s $out/anomalies$suffix-$today.jsonl ]] &&
    log "anomalous tonight: $(wc -l <"$out/anomalies$suffix-$today.jsonl") ($out/anomalies$suffix-$today.jsonl)"
fi
if [[ -n $report ]]; then
  # Tonight's records only: the page is about tonight's images and whether they still look like
  # the model's validation images. A drift is logged; it does not change the exit status.
  page=$report/$today$suffix/index.html
  mkdir -p "$report/$today$suffix"
  rstatus=0
  tail -n "+$((before + 1))" "$results" |
    "${rd}rd-report" -q -m "$model" --title "rd nightly $today$suffix" -o "$page" --json >"${page%.html}.json" ||
    rstatus=$?
  if ((rstatus == 0 || rstatus == 4)); then
    ln -sfn "$today$suffix" "$report/latest$suffix"
    verdict=$(grep -o '"verdict":"[a-z_]*"' "${page%.html}.json" | head -1 | cut -d'"' -f4)
    log "report: $page (drift: ${verdict:-unknown})"
  else
    log "report failed (status $rstatus)"
    ((status == 0 || status == 4)) && status=$rstatus
  fi
fi
exit "$status"
