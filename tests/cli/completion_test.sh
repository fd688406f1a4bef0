#!/usr/bin/env bash
# The shell completions work in real shells: completions/rd.bash is sourced in a clean bash,
# its functions are driven as bash drives them (COMP_WORDS, COMP_CWORD, COMPREPLY), and the
# options, fixed choices and file names they offer are checked. The zsh and fish files are
# syntax-checked and loaded where zsh and fish are installed (skipped with a message if not).
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
completions=$src/completions

# A directory to complete file names in.
work=$TEST_TMP/work
mkdir -p "$work/images" "$work/maps"
touch "$work/model.rdm" "$work/my model.rdm" "$work/cam:2.rdm" "$work/threshold.json" "$work/resnet18-f37072fd.pth" \
  "$work/notes.txt" "$work/scores.jsonl"
cd "$work"

# complete WORD... : what bash offers for the last word (give "" for an empty one), one per
# line, sorted. Words are given as bash splits them: '--backbone=w' arrives as --backbone = w.
complete_words() {
  bash --norc --noprofile -c '
    source "$1" || exit 1
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    spec=$(complete -p "$1") || exit 1
    fn=${spec#*-F }
    fn=${fn%% *}
    COMPREPLY=()
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$completions/rd.bash" "$@" | sed '/^$/d' | LC_ALL=C sort
}
lines() { printf '%s\n' "$@" | LC_ALL=C sort; }
expect() {  # expect "WORDS..." EXPECTED-LINES...
  local words=$1
  shift
  local got want
  read -ra args <<<"$words"
  [[ $words == *" " ]] && args+=("")
  got=$(complete_words "${args[@]}") || fail "bash completion of '$words' failed"
  want=$(lines "$@")
  [[ $got == "$want" ]] || fail "bash: '$words<TAB>' offers [${got//$'\n'/ }], expected [${want//$'\n'/ }]"
}

# Loading registers all seven tools.
for tool in rd-train rd-score rd-threshold rd-map rd-eval rd-export rd-report; do
  out=$(bash --norc --noprofile -c 'source "$1" && complete -p "$2"' _ "$completions/rd.bash" "$tool") ||
    fail "completions/rd.bash does not register $tool"
  assert_contains "$out" "-F " "complete -p $tool"
done

# Options, and option values with fixed choices.
expect "rd-train --back" --backbone
expect "rd-train --backbone w" wide_resnet101_2 wide_resnet50_2
expect "rd-train --backbone = w" wide_resnet101_2 wide_resnet50_2
expect "rd-train --backbone = " resnet18 resnet34 resnet50 wide_resnet101_2 wide_resnet50_2
expect "rd-train --cache-features " auto off ram
expect "rd-train --epochs "  # a number: nothing to offer, and no file names
expect "rd-export --precision " fp16 fp32
expect "rd-export --no" --no-map --no-progress
expect "rd-score --device " auto cpu cuda
expect "rd-score --map-format " npy tiff
expect "rd-score --map-mode " add mul
expect "rd-score --reduce " max topk:
expect "rd-score --reduce = topk : "
expect "rd-map --colormap " inferno jet turbo
expect "rd-map --normalize " fixed per-image
expect "rd-map --format " jpg png
expect "rd-eval -f " csv json markdown table
expect "rd-eval --pro-mode " mvtec rd4ad
expect "rd-eval --by " defect
expect "rd-threshold " apply fit
expect "rd-threshold -" --help --version
expect "rd-threshold fit --method " f1 fpr: percentile: sigma:
expect "rd-threshold fit --method per" percentile:
expect "rd-threshold fit --method = s" sigma:
expect "rd-threshold fit --fr" --from-model
expect "rd-threshold apply --fa" --fail-on-anomaly
expect "rd-report --fa" --fail-on-drift --false-alarm-rate
expect "rd-report --colormap " inferno jet turbo

# File names: models for -m, thresholds for -t, weights, directories, anything for inputs.
expect "rd-score -m " "cam:2.rdm" "model.rdm" "my model.rdm" images maps
expect "rd-score --model = m" "model.rdm" "my model.rdm" maps
expect "rd-score -m cam :" 2.rdm  # bash splits "cam:" at the colon and replaces what follows it
expect "rd-map -t " threshold.json images maps
expect "rd-threshold apply -t " threshold.json images maps
expect "rd-train --weights " auto none resnet18-f37072fd.pth images maps
expect "rd-train --weights r" resnet18-f37072fd.pth
expect "rd-score --maps " images maps
expect "rd-eval --curves m" maps
expect "rd-eval s" scores.jsonl
expect "rd-report -t " threshold.json images maps
expect "rd-report --pixel-threshold t" threshold.json
expect "rd-score -m model.rdm i" images

# zsh: the file parses, and compinit registers it for the seven commands.
if command -v zsh >/dev/null; then
  zsh -n "$completions/_rd" || fail "zsh -n completions/_rd"
  # The dump goes to a scratch file: compinit replaces its dump file by rename, and as root
  # `-d /dev/null` turned /dev/null into a regular file for the whole machine.
  out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2"
                   print -r -- $_comps[rd-train] $_comps[rd-score] $_comps[rd-threshold] $_comps[rd-map] $_comps[rd-eval] $_comps[rd-export] $_comps[rd-report]' \
          _ "$completions" "$TEST_TMP/zcompdump" 2>&1) || fail "zsh compinit with completions/: $out"
  assert_eq "$out" "_rd _rd _rd _rd _rd _rd _rd" "zsh completion functions of the seven tools"
else
  echo "skip: zsh is not installed; completions/_rd not checked"
fi

# fish: the file parses, and fish completes options, choices and commands from it.
if command -v fish >/dev/null; then
  fish --no-execute "$completions/rd.fish" || fail "fish --no-execute completions/rd.fish"
  fish_complete() {
    fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$completions/rd.fish" "$1" | cut -f1 | LC_ALL=C sort
  }
  assert_eq "$(fish_complete 'rd-train --back')" "--backbone" "fish: rd-train --back<TAB>"
  assert_eq "$(fish_complete 'rd-train --backbone w')" "$(lines wide_resnet101_2 wide_resnet50_2)" \
    "fish: rd-train --backbone w<TAB>"
  assert_eq "$(fish_complete 'rd-threshold ')" "$(lines apply fit)" "fish: rd-threshold <TAB>"
  assert_eq "$(fish_complete 'rd-threshold fit --method ')" "$(lines f1 fpr: percentile: sigma:)" \
    "fish: rd-threshold fit --method <TAB>"
  assert_eq "$(fish_complete 'rd-eval --format ')" "$(lines csv json markdown table)" "fish: rd-eval --format <TAB>"
  assert_eq "$(fish_complete 'rd-report --fail')" "--fail-on-drift" "fish: rd-report --fail<TAB>"
  out=$(fish_complete 'rd-score -m ')
  assert_contains "$out" "model.rdm" "fish: rd-score -m <TAB>"
  # The commands of rd-threshold keep their options apart.
  out=$(fish_complete 'rd-threshold apply --')
  [[ $out != *--method* && $out == *--fail-on-anomaly* ]] || fail "fish: rd-threshold apply --<TAB> offers [$out]"
else
  echo "skip: fish is not installed; completions/rd.fish not checked"
fi

pass
