#!/usr/bin/env bash
# Scores every image that lands in a folder, as it lands, for a camera beside the line.
#
# inotifywait reports each file once its writer has closed it (close_write) or renamed it into
# the folder (moved_to); images still being written are never read. Each new image is claimed by
# renaming it into STATE/work/ under a unique prefix (microseconds since 1970), so a camera that
# reuses file names still gives every image its own path and record. Claimed images go through
# rd-score -> rd-threshold apply; each record is appended to STATE/log/YYYY-MM-DD.jsonl with its
# path pointing at the image's final place, and then the image moves to STATE/passed/,
# STATE/rejected/ (anomalous) or STATE/failed/ (unreadable). At start, images that landed while
# the watcher was down are scored too, and images left in STATE/work/ by a killed run are
# finished: those whose record is already in the log (of their claim's day or the next) are
# moved as it says, the others are scored. No record is written twice and no log is re-read
# beyond those two days.
#
# SIGTERM or SIGINT stops taking new images and finishes those in hand (at most --in-hand), then
# exits 143 or 130. Under systemd, use KillMode=mixed (see README.md).
#
# Usage: watch-score.sh -m MODEL -t THRESHOLD [--in-hand N] [--settle S] WATCH_DIR STATE_DIR
#                       [-- RD_SCORE_OPTIONS...]
# Exit status: 130/143 stopped by SIGINT/SIGTERM; 2 bad arguments, a threshold of another model,
# or STATE_DIR on another file system than WATCH_DIR; 3 fatal (rd-score cannot run, the watch
# failed or ended, another watcher holds STATE_DIR).
# Environment: RD_BIN  directory holding rd-score and rd-threshold (default: found on PATH).
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: watch-score.sh -m MODEL -t THRESHOLD [--in-hand N] [--settle S] WATCH_DIR STATE_DIR
                      [-- RD_SCORE_OPTIONS...]
EOF
  exit 2
}
say() { printf '%(%F %T)T watch-score: %s\n' -1 "$*" >&2; }
die() { say "$2"; exit "$1"; }

model="" threshold="" in_hand=16 settle=2
extra=()
positional=()
while (($#)); do
  case $1 in
    -m|--model|-t|--threshold|--in-hand|--settle)
      (($# >= 2)) || usage
      case $1 in
        -m|--model) model=$2 ;;
        -t|--threshold) threshold=$2 ;;
        --in-hand) in_hand=$2 ;;
        --settle) settle=$2 ;;
      esac
      shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "watch-score.sh: unknown option '$1'" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[[ ${#positional[@]} -eq 2 && -n $model && -n $threshold ]] || usage
[[ $in_hand =~ ^[1-9][0-9]*$ ]] || { echo "watch-score.sh: --in-hand wants a count, got '$in_hand'" >&2; exit 2; }
[[ $settle =~ ^[0-9]+$ ]] || { echo "watch-score.sh: --settle wants whole seconds, got '$settle'" >&2; exit 2; }
command -v inotifywait >/dev/null || die 2 "inotifywait not found (Debian package inotify-tools)"
rd=${RD_BIN:+${RD_BIN%/}/}

[[ -d ${positional[0]} ]] || die 2 "not a directory: '${positional[0]}'"
watch=$(realpath -e -- "${positional[0]}")
mkdir -p -- "${positional[1]}"
state=$(realpath -e -- "${positional[1]}")
work=$state/work
# The records name STATE's paths; the recorder finds them there as plain text, which holds as
# long as JSON escapes nothing in them.
if [[ $state == *[\"\\[:cntrl:]]* ]]; then
  die 2 "STATE_DIR's path must not hold quotes, backslashes or control characters: '$state'"
fi
mkdir -p -- "$work" "$state/passed" "$state/rejected" "$state/failed" "$state/log"
# A claim is a rename, which is atomic (and instant) only within one file system.
if [[ $(stat -c %d -- "$watch") != "$(stat -c %d -- "$work")" ]]; then
  die 2 "STATE_DIR ($state) must be on the file system of WATCH_DIR ($watch): claims are renames"
fi

# SIGTERM/SIGINT: no new claims ($run/stop, which the claimer checks), no new names (the watch and
# the listing end); the pipeline finishes what it holds. Set before anything starts, so that no
# child outlives this script.
stop=0 run="" inotify="" lister=""
stop_sources() {
  local pid
  for pid in $inotify $lister; do kill "$pid" 2>/dev/null || true; done
}
on_stop() {
  stop=$1
  [[ -z $run ]] || : 2>/dev/null >"$run/stop" || true
  stop_sources
}
trap 'on_stop 143' TERM
trap 'on_stop 130' INT
trap stop_sources USR1 EXIT

# One watcher per STATE_DIR. The lock is on a file descriptor that every stage inherits, so it
# is held until the last of them has ended, however the script itself ended.
exec 9>"$state/lock"
flock -n 9 || die 3 "another watcher holds $state/lock"

# A threshold of another model (or an unreadable one) stops us here, not at the first image.
status=0
"${rd}rd-threshold" apply -q -t "$threshold" -m "$model" </dev/null >/dev/null || status=$?
((stop == 0)) || exit "$stop"
((status == 0)) || die "$status" "rd-threshold cannot apply '$threshold' to '$model' (status $status)"

rm -rf -- "$state/run"
mkdir -- "$state/run"
mkfifo -- "$state/run/names" "$state/run/credits"
run=$state/run

# --- Finish what a killed run left. A log line cut short by the kill is dropped (its image is
# still in work/ and is scored again), so that the log stays valid JSON lines.
shopt -s nullglob
logs=("$state"/log/*.jsonl)
if ((${#logs[@]})); then
  last=${logs[-1]}
  if [[ -s $last && $(tail -c 1 -- "$last" | od -An -tx1 | tr -d ' ') != 0a ]]; then
    say "dropping the torn last line of $last"
    sed -i '$ d' -- "$last"
  fi
fi
# An image in work/ was claimed by an earlier run; its record, if written, is in the log of the
# claim's day or the next (records follow claims within seconds: at most --in-hand are in hand).
: >"$run/rescore"
finished=0 rescored=0
for f in "$work"/*; do
  name=${f##*/}
  stamp=${name%%-*}
  if [[ ! $stamp =~ ^[0-9]{16}$ || $name != "$stamp-"* ]]; then
    say "leaving '$f' alone: not a file this script claimed"
    continue
  fi
  printf -v day '%(%F)T' $((10#$stamp / 1000000))
  line=$(grep -h -m1 -F -- "/$stamp-" "$state/log/$day.jsonl" \
           "$state/log/$(date -d "$day + 1 day" +%F).jsonl" 2>/dev/null | head -n 1) || true
  decision=""
  for d in passed rejected failed; do
    [[ $line == *"\"path\":\"$state/$d/$stamp-"* ]] && decision=$d
  done
  if [[ -n $decision ]]; then
    mv -T -- "$f" "$state/$decision/$name"
    finished=$((finished + 1))
  else
    printf '%s\0' "$f" >>"$run/rescore"
    rescored=$((rescored + 1))
  fi
done
((finished + rescored == 0)) || say "from the last run: $finished already logged, $rescored to score again"
((stop == 0)) || exit "$stop"

# --- The stages. Each reads until its input ends; rd-score alone acts on SIGTERM/SIGINT.

# The claimer: the images to score again, then each name the watch (or the start-up listing)
# reports, renamed into work/ under a unique prefix; its new path goes to rd-score. At most
# $in_hand images are claimed and not yet logged: the recorder sends one byte back per record,
# so images wait in the folder, where a stop leaves them, rather than in a pipe.
claimer() {
  local names credits name stamp last=0 sent=0 logged=0 dest err
  # Opened first: the watch cannot start before its reader is there.
  exec {names}<"$run/names" {credits}<"$run/credits"
  shopt -s nocasematch
  take_one() {
    while ((sent - logged >= in_hand)); do
      IFS= read -r -N 1 -u "$credits" _ || return 1
      logged=$((logged + 1))
    done
    [[ ! -e $run/stop ]]
  }
  while IFS= read -r -d '' dest; do
    take_one || return 0
    printf '%s\0' "$dest"
    sent=$((sent + 1))
  done <"$run/rescore"
  while IFS= read -r -d '' name; do
    [[ -e $run/stop ]] && return 0
    # Images only, and no hidden files: a writer that writes "x.png.part" or ".x.png" and renames
    # it when done is seen once, at the rename.
    [[ $name != .* && $name =~ \.(png|jpe?g|bmp|tiff?|webp)$ && -f $watch/$name ]] || continue
    take_one || return 0
    stamp=${EPOCHREALTIME/[.,]/}
    ((stamp > last)) || stamp=$((last + 1))
    while [[ -e $work/$stamp-$name ]]; do stamp=$((stamp + 1)); done
    last=$stamp
    dest=$work/$stamp-$name
    # The start-up listing and the watch may both report a file; the second rename finds nothing.
    if ! err=$(mv -T -- "$watch/$name" "$dest" 2>&1); then
      [[ ! -e $watch/$name ]] || say "cannot claim '$watch/$name': $err"
      continue
    fi
    printf '%s\0' "$dest"
    sent=$((sent + 1))
  done <&"$names"
}

# The recorder: appends each record to today's log, its path rewritten to where the image goes,
# then moves the image there. A kill between the two is what the start-up check above finishes.
recorder() {
  local credits line rest stamp decision file day score
  trap '' PIPE
  exec {credits}<>"$run/credits"
  while IFS= read -r line; do
    decision=failed
    if [[ $line == *'"error":'* ]]; then decision=failed
    elif [[ $line == *'"anomalous":true'* ]]; then decision=rejected
    elif [[ $line == *'"anomalous":false'* ]]; then decision=passed
    fi
    rest=${line#*"\"path\":\"$work/"}
    file=""
    if [[ $rest != "$line" && $rest =~ ^([0-9]{16})- ]]; then
      stamp=${BASH_REMATCH[1]}
      line=${line/"\"path\":\"$work/$stamp-"/"\"path\":\"$state/$decision/$stamp-"}
      for file in "$work/$stamp-"*; do break; done
    fi
    printf -v day '%(%F)T' -1
    printf '%s\n' "$line" >>"$state/log/$day.jsonl"
    if [[ -n $file ]]; then
      mv -T -- "$file" "$state/$decision/${file##*/}" || say "cannot move '$file' to $decision/"
    fi
    if [[ $decision != passed ]]; then
      score=${line#*\"score\":}
      [[ $score == "$line" ]] && score="" || score=" (score ${score%%[,\}]*})"
      say "$decision: ${file##*/}$score"
    fi
    { printf x 1>&"$credits"; } 2>/dev/null || true
  done
  # rd-score has ended: the watch has nothing left to feed.
  kill -USR1 $$ 2>/dev/null || true
}

# The pipeline ignores SIGTERM and SIGINT, so that no stage dies before the records in hand are
# logged; rd-score installs its own handlers (finish the batch, exit 143/130) over that.
(
  trap '' TERM INT
  set +e
  claimer |
    "${rd}rd-score" -q -0 -m "$model" "${extra[@]}" - |
    "${rd}rd-threshold" apply -q -t "$threshold" -m "$model" |
    recorder
  echo "${PIPESTATUS[@]}" >"$run/status"
) &
pipeline=$!

# --- The watch first, then the listing of what is already there, so that nothing lands unseen
# in between; what both report is claimed once (the second rename fails).
start_watch() {
  inotifywait -m -e close_write,moved_to --format '%f%0' --no-newline -- "$watch" \
    >"$run/names" 2>"$run/inotify.err" &
  inotify=$!
  for _ in $(seq 300); do
    grep -qs '^Watches established' "$run/inotify.err" && return 0
    kill -0 "$inotify" 2>/dev/null || break
    sleep 0.1
  done
  ((stop)) && return 0
  stop_sources
  wait "$pipeline" || true
  die 3 "inotifywait could not watch $watch: $(tr '\n' ' ' 2>/dev/null <"$run/inotify.err")"
}

# What landed while nobody watched, oldest first. A file written in the last --settle seconds
# may still be open in its writer: it waits that long and is listed only if it has not changed
# since (its close, if it comes later, is reported by the watch).
list_backlog() {
  local recent=() now=$EPOCHSECONDS entry name mtime i
  exec 9>&-  # the lock stays with the stages: a sleep killed late must not hold it
  while IFS= read -r -d '' entry; do
    name=${entry#*$'\t'}
    mtime=${entry%%$'\t'*}
    if ((${mtime%.*} + settle >= now)); then
      recent+=("$(stat -c %.9Y -- "$watch/$name" 2>/dev/null || true)" "$name")
    else
      printf '%s\0' "$name"
    fi
  done < <(find "$watch" -mindepth 1 -maxdepth 1 -type f -printf '%T@\t%f\0' | sort -z -n)
  ((${#recent[@]})) || return 0
  sleep "$settle" >/dev/null
  for ((i = 0; i < ${#recent[@]}; i += 2)); do
    if [[ $(stat -c %.9Y -- "$watch/${recent[i + 1]}" 2>/dev/null) == "${recent[i]}" ]]; then
      printf '%s\0' "${recent[i + 1]}"
    fi
  done
}

((stop)) || start_watch
if ((stop)); then
  : <>"$run/names"  # stopped while starting: a writer that ends at once ends the claimer
else
  list_backlog >"$run/names" &
  lister=$!
  say "watching $watch (state: $state)"
fi

while kill -0 "$pipeline" 2>/dev/null; do
  wait "$pipeline" || true
done
stop_sources
wait "$inotify" 2>/dev/null || true
read -r -a ps <"$run/status" || ps=(0 3 0 0)
score_status=${ps[1]}
if ((stop)); then
  say "stopped; $(find "$work" -mindepth 1 -maxdepth 1 | wc -l) claimed image(s) left to the next start"
  exit "$stop"
fi
case $score_status in
  130|143) say "rd-score was stopped (status $score_status)"; exit "$score_status" ;;
  0|4) die 3 "the watch on $watch ended: $(tr '\n' ' ' 2>/dev/null <"$run/inotify.err")" ;;
  *) die "$score_status" "rd-score failed (status $score_status)" ;;
esac
