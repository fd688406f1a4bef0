#!/usr/bin/env bash
# Score many images with GNU parallel: N shards (rd-score --shard K/N) run as separate processes,
# on the cores of this machine or on other hosts over ssh, and their JSON lines are merged with
# cat. Every image lands in exactly one shard (the split depends only on its path), so the merged
# file has one record per image.
#
# Usage: examples/parallel.sh -m MODEL -o OUT_DIR [-n SHARDS] [-j JOBS] [-S LOGINS]
#                             INPUT... [-- RD_SCORE_OPTIONS...]
#   INPUT             image files or directories (each shard lists them itself; no stdin)
#   -n, --shards N    number of shards (default: the CPUs here, or one per ssh login)
#   -j, --jobs J      shards running at once per host (default: N here, 1 per ssh host)
#   -S, --sshlogin L  hosts for GNU parallel (e.g. 'node1,user@node2'); the images
#                     must be readable at the same paths there (shared storage); the model is
#                     copied to each host (--basefile)
#
# Writes OUT_DIR/shard-K-of-N.jsonl (stderr in .err beside it) and OUT_DIR/scores.jsonl (all
# shards, in shard order). Running it again reruns only the shards that failed (parallel
# --joblog/--resume-failed). Exit status: 0; 4 when some images could not be read (their records
# carry "error"); 1 when a shard failed (see its .err file); 2 bad arguments.
# Environment: RD_BIN  directory holding rd-score on every host (default: found on PATH)
#              DRY_RUN=1  print the commands instead of running them
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: examples/parallel.sh -m MODEL -o OUT_DIR [-n SHARDS] [-j JOBS] [-S LOGINS] INPUT... [-- RD_SCORE_OPTIONS...]
EOF
  exit 2
}

model="" out="" shards="" jobs="" logins=""
inputs=()
extra=()
while (($#)); do
  case $1 in
    -m|--model|-o|--out|-n|--shards|-j|--jobs|-S|--sshlogin)
      (($# >= 2)) || usage
      case $1 in
        -m|--model) model=$2 ;;
        -o|--out) out=$2 ;;
        -n|--shards) shards=$2 ;;
        -j|--jobs) jobs=$2 ;;
        -S|--sshlogin) logins=$2 ;;
      esac
      shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    -?*) echo "parallel.sh: unknown option '$1'" >&2; usage ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[[ -n $model && -n $out ]] || usage
((${#inputs[@]} + ${#extra[@]})) || usage  # inputs, or e.g. -- --dataset DIR
for v in "$shards" "$jobs"; do
  [[ -z $v || $v =~ ^[1-9][0-9]*$ ]] || { echo "parallel.sh: -n and -j want a positive number, got '$v'" >&2; exit 2; }
done

rd=${RD_BIN:+${RD_BIN%/}/}
dry=${DRY_RUN:-0}
[[ $dry != 0 ]] || command -v parallel >/dev/null ||
  { echo "parallel.sh: needs GNU parallel (apt-get install parallel)" >&2; exit 2; }

cpus=$(nproc)
threads=()
if [[ -n $logins ]]; then
  # One job per host by default, and rd-score uses all the CPUs of its host.
  IFS=, read -r -a hosts <<<"$logins"
  shards=${shards:-${#hosts[@]}}
  jobs=${jobs:-1}
else
  # Single-threaded processes side by side use the cores best: nothing to synchronise.
  shards=${shards:-$cpus}
  jobs=${jobs:-$shards}
  per_job=$((cpus / (jobs < shards ? jobs : shards)))
  threads=(--threads $((per_job > 0 ? per_job : 1)))
fi

# rd-score's exit 4 means "done, some images unreadable": the shard is complete, so parallel must
# not count it as failed (and rerun it). The error records tell us afterwards.
# shellcheck disable=SC2016  # expanded by sh -c, not here
wrapper='"$@"; s=$?; [ "$s" -eq 4 ] && exit 0; exit "$s"'
mapfile -t numbers < <(seq "$shards")
cmd=(parallel -q --jobs "$jobs" --joblog "$out/joblog-of-$shards.tsv" --resume-failed
     --results "$out/shard-{}-of-$shards.jsonl")
[[ -n $logins ]] && cmd+=(--sshlogin "$logins" --basefile "$model")
cmd+=(sh -c "$wrapper" sh "${rd}rd-score" -m "$model" "${threads[@]}" --shard "{}/$shards"
      "${extra[@]}" "${inputs[@]}" ::: "${numbers[@]}")
parts=()
for k in "${numbers[@]}"; do parts+=("$out/shard-$k-of-$shards.jsonl"); done

if [[ $dry != 0 ]]; then
  printf '%q ' "${cmd[@]}"
  printf '> /dev/null\ncat '
  printf '%q ' "${parts[@]}"
  printf '> %q\n' "$out/scores.jsonl"
  exit 0
fi

mkdir -p "$out"
# --results keeps each shard's stdout in its file; parallel's own copy is not needed.
failed=0
"${cmd[@]}" >/dev/null || failed=$?
if ((failed)); then
  echo "parallel.sh: $failed shard(s) failed; see $out/shard-*-of-$shards.jsonl.err and $out/joblog-of-$shards.tsv;" \
       "run again to retry only those" >&2
  exit 1
fi
cat "${parts[@]}" >"$out/scores.jsonl"
errors=$(grep -c '"error":' "$out/scores.jsonl" || true)
echo "parallel.sh: $(wc -l <"$out/scores.jsonl") records in $out/scores.jsonl ($errors with an error)" >&2
((errors == 0)) || exit 4
