#!/usr/bin/env bash
# A CI gate: score images and fail the job when any of them is anomalous.
#
#   rd-score -m MODEL IMAGES... | rd-threshold apply -t THRESHOLD --fail-on-anomaly
#
# prints the anomalous records (and failed images) so that the job log says which images and
# why, keeps every record in -o FILE (for the job's artifacts), and exits with the status that
# tells what happened:
#   0  every image is normal
#   1  some image is anomalous (score >= threshold)
#   2  usage error: bad option, missing model, threshold file of another model
#   3  fatal: unreadable or corrupt model, cannot write
#   4  no anomaly, but some images could not be read (their records carry "error")
#
# With --report PAGE.html, rd-report also makes one page of the run with its pictures embedded
# (a job artifact to open in the browser: the anomalous images with their heat maps, the scores
# against the model's validation scores, and a drift warning in the log when the images no longer
# look like those; a drift does not change the exit status).
#
# Usage: check-images.sh -m MODEL -t THRESHOLD [-o RECORDS.jsonl] [--report PAGE.html] [--] IMAGE|DIR...
#        (or '-' to read paths from stdin, as rd-score does)
# Environment: RD_BIN  directory holding rd-score, rd-threshold and rd-report (default: found on PATH)
set -euo pipefail

usage() {
  echo "usage: check-images.sh -m MODEL -t THRESHOLD [-o RECORDS.jsonl] [--report PAGE.html] [--] IMAGE|DIR..." >&2
  exit 2
}

model="" threshold="" records="" report=""
inputs=()
while (($#)); do
  case $1 in
    -m|--model|-t|--threshold|-o|--output|--report)
      (($# >= 2)) || usage
      case $1 in
        -m|--model) model=$2 ;;
        -t|--threshold) threshold=$2 ;;
        -o|--output) records=$2 ;;
        --report) report=$2 ;;
      esac
      shift 2 ;;
    --) shift; inputs+=("$@"); break ;;
    -h|--help) usage ;;
    -?*) echo "check-images.sh: unknown option '$1'" >&2; usage ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[[ -n $model && -n $threshold && ${#inputs[@]} -gt 0 ]] || usage

rd=${RD_BIN:+${RD_BIN%/}/}
tmp=""
if [[ -z $records ]]; then
  tmp=$(mktemp "${TMPDIR:-/tmp}/check-images.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  records=$tmp
fi

# Both statuses matter: rd-score's says whether every image was scored, rd-threshold's whether
# one is anomalous. pipefail alone would keep only the last non-zero one.
set +e
"${rd}rd-score" -m "$model" "${inputs[@]}" |
  "${rd}rd-threshold" apply -t "$threshold" --fail-on-anomaly >"$records"
ps=("${PIPESTATUS[@]}")
set -e
score_status=${ps[0]} apply_status=${ps[1]}

# The tools write compact JSON, so these fields appear exactly like this in a record.
anomalous=$(grep -c '"anomalous":true' "$records" || true)
failed=$(grep -c '"error":' "$records" || true)
if ((anomalous)); then
  echo "check-images: $anomalous anomalous image(s):"
  grep '"anomalous":true' "$records"
fi
if ((failed)); then
  echo "check-images: $failed image(s) could not be scored:"
  grep '"error":' "$records"
fi
where=""
[[ -z $tmp ]] && where=" (records in $records)"
echo "check-images: $(wc -l <"$records") record(s), $anomalous anomalous, $failed failed$where"

report_status=0
if [[ -n $report ]]; then
  "${rd}rd-report" -m "$model" -o "$report" --embed --title "check-images" "$records" || report_status=$?
  if ((report_status == 0 || report_status == 4)); then
    report_status=0
    echo "check-images: report in $report"
  fi
fi

# rd-score's fatal statuses (2, 3) come first: then the threshold saw only part of the images.
if ((score_status != 0 && score_status != 4)); then exit "$score_status"; fi
if ((apply_status != 0)); then exit "$apply_status"; fi
# A report that could not be made (2, 3) is the job's failure only when the images passed.
if ((report_status != 0 && score_status == 0)); then exit "$report_status"; fi
exit "$score_status"
