# bash completion for the rd tools: rd-train, rd-score, rd-threshold, rd-map, rd-eval, rd-export,
# rd-report.
#
# Installed once per tool name into share/bash-completion/completions (bash-completion loads it
# on the first <Tab> after the command), or load it by hand:  source completions/rd.bash
# It needs nothing from the bash-completion package.
#
# Every long option of each tool's --help is listed here; tests/cli/docs_sync_test.sh fails when
# they drift apart, and tests/cli/completion_test.sh drives these functions in a real bash.

_rd_common_opts='--help --version --quiet --verbose --threads --progress --no-progress'

# Long options of each tool (of each rd-threshold command), and the options that take a value.
_rd_train_opts="--output --backbone --method --proj-lr --weights --offline --image-size --tile --tile-scale --epochs --batch-size --lr --seed --val
  --layout --split --log --checkpoint --checkpoint-every --resume --precision --cache-features --import-reference --max-pixels
  --null $_rd_common_opts --device"
_rd_train_args='-o --output --backbone --method --proj-lr --weights --image-size --tile --tile-scale --epochs --batch-size --lr --seed
  --val --layout --split --log --checkpoint --checkpoint-every --resume --precision --cache-features --import-reference
  --max-pixels --threads --device'

_rd_score_opts="--model --dataset --layout --split --batch-size --maps --map-format --map-mode --reduce --shard
  --resume --workers --precision --max-pixels --null $_rd_common_opts --device"
_rd_score_args='-m --model --dataset --layout --split --batch-size --maps --map-format --map-mode --reduce --shard
  --resume --workers --precision --max-pixels --threads --device'

_rd_map_opts="--out --model --threshold --range --normalize --colormap --alpha --contour-width
  --panel --no-legend --format --quality --mvtec-ad2 --precision --max-pixels --null $_rd_common_opts --device"
_rd_map_args='-o --out -m --model -t --threshold --range --normalize --colormap --alpha
  --contour-width --format --quality --mvtec-ad2 --precision --max-pixels --threads --device'

_rd_eval_opts="--format --by --curves --fpr-limit --pro-mode --no-pixel --exact-pixels $_rd_common_opts"
_rd_eval_args='-f --format --by --curves --fpr-limit --pro-mode --exact-pixels --threads'

_rd_export_opts="--model --output --opset --no-map --map-mode --reduce --precision $_rd_common_opts"
_rd_export_args='-m --model -o --output --opset --map-mode --reduce --precision --threads'

_rd_report_opts="--output --model --threshold --pixel-threshold --colormap --title --gallery --embed
  --embed-limit --json --fail-on-drift --false-alarm-rate --outlier-share --precision-tolerance --no-pixel
  --max-pixels $_rd_common_opts"
_rd_report_args='-o --output -m --model -t --threshold --pixel-threshold --colormap --title --gallery
  --embed-limit --false-alarm-rate --outlier-share --precision-tolerance --max-pixels --threads'

_rd_threshold_fit_opts="--method --pixel --model --from-model --output $_rd_common_opts"
_rd_threshold_fit_args='--method -m --model -o --output --threads'
_rd_threshold_apply_opts="--threshold --fail-on-anomaly --force --model $_rd_common_opts"
_rd_threshold_apply_args='-t --threshold -m --model --threads'

# The helpers below add to COMPREPLY what fits $_rd_value, the value typed so far (a local
# of _rd_complete).

# Adds the words of "$@" that start with $_rd_value. Words ending in ':' are
# prefixes of a value (topk:K, percentile:P) and get no space after them.
_rd_choices() {
  local w
  for w in "$@"; do
    [[ $w == "$_rd_value"* ]] || continue
    [[ $w == *: && $w == "$_rd_value" ]] && continue
    COMPREPLY+=("$w")
    [[ $w == *: ]] && compopt -o nospace 2>/dev/null
  done
  return 0
}

# Adds the files ending in .$1 (any file without $1) and the directories that start with
# $_rd_value.
_rd_files() {
  local f
  compopt -o filenames 2>/dev/null
  if [[ -n ${1-} ]]; then
    while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -X "!*.$1" -- "$_rd_value")
    while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -d -- "$_rd_value")
  else
    while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$_rd_value")
  fi
  return 0
}

_rd_dirs() {
  local f
  compopt -o filenames 2>/dev/null
  while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -d -- "$_rd_value")
  return 0
}

# The value of option $2 of tool $1.
_rd_complete_value() {
  case $1:$2 in
    *:-m | *:--model) _rd_files rdm ;;
    rd-train:-o | rd-train:--output) _rd_files rdm ;;
    rd-train:--backbone) _rd_choices resnet18 resnet34 resnet50 wide_resnet50_2 wide_resnet101_2 ;;
    rd-train:--method) _rd_choices rd4ad rd++ ;;
    rd-train:--weights) _rd_choices auto none; _rd_files pth ;;
    rd-train:--import-reference) _rd_files pth ;;
    rd-train:--resume) _rd_files ckpt ;;
    rd-train:--log | rd-train:--checkpoint | rd-score:--resume) _rd_files ;;
    rd-train:--cache-features) _rd_choices auto ram off ;;
    rd-train:--precision) _rd_choices fp32 bf16 ;;
    rd-train:--val | rd-score:--dataset | rd-score:--maps | rd-map:-o | rd-map:--out | rd-map:--mvtec-ad2 | \
      rd-eval:--curves)
      _rd_dirs ;;
    rd-train:--layout | rd-score:--layout) _rd_choices auto images mvtec mvtec-ad2 visa mvtec-loco btad mpdd ;;
    rd-train:--split) _rd_files csv ;;
    rd-score:--split) _rd_choices test_public test_private test_private_mixed validation; _rd_files csv ;;
    rd-score:--map-format) _rd_choices npy tiff ;;
    rd-score:--map-mode | rd-export:--map-mode) _rd_choices add mul ;;
    rd-score:--reduce | rd-export:--reduce) _rd_choices max topk: ;;
    rd-export:-o | rd-export:--output) _rd_files onnx ;;
    rd-export:--opset) _rd_choices 13 14 15 16 17 ;;
    rd-export:--precision) _rd_choices fp32 fp16 ;;
    rd-score:--precision | rd-map:--precision) _rd_choices fp32 bf16 int8 auto ;;
    rd-map:-t | rd-map:--threshold | rd-threshold-apply:-t | rd-threshold-apply:--threshold) _rd_files json ;;
    rd-map:--normalize) _rd_choices fixed per-image ;;
    rd-map:--colormap | rd-report:--colormap) _rd_choices jet turbo inferno ;;
    rd-report:-o | rd-report:--output) _rd_files html ;;
    rd-report:-t | rd-report:--threshold | rd-report:--pixel-threshold) _rd_files json ;;
    rd-map:--format) _rd_choices png jpg ;;
    rd-eval:-f | rd-eval:--format) _rd_choices json table csv markdown ;;
    rd-eval:--by) _rd_choices defect ;;
    rd-eval:--pro-mode) _rd_choices mvtec rd4ad ;;
    rd-threshold-fit:--method) _rd_choices percentile: sigma: fpr: f1 ;;
    rd-threshold-fit:-o | rd-threshold-fit:--output) _rd_files json ;;
    *:--device) _rd_choices auto cpu cuda ;;
    *) ;;  # a number: nothing to offer
  esac
}

# Completes the command line for tool $1 (rd-threshold-fit and rd-threshold-apply for the
# commands of rd-threshold) with long options $2, of which $3 (and short ones) take a value.
# Bash splits words at '=' and ':' (COMP_WORDBREAKS): "--reduce=topk:5" arrives as --reduce,
# =, topk, :, 5. The pieces are joined again here, and the candidates are cut back to the part
# after the last '=' or ':', which is what bash replaces.
_rd_complete() {
  local tool=$1 opts=$2 args=$3
  local i=$COMP_CWORD word=${COMP_WORDS[COMP_CWORD]} start=$COMP_CWORD
  while ((start > 1)) && [[ ${COMP_WORDS[start]} == [:=] || ${COMP_WORDS[start - 1]} == [:=] ]]; do
    ((start--))
  done
  word=""
  for ((i = start; i <= COMP_CWORD; i++)); do word+=${COMP_WORDS[i]}; done
  local option="" prev=${COMP_WORDS[start - 1]}
  local _rd_value=$word  # the value typed so far; the helpers above read it
  if [[ $word == --*=* ]]; then
    option=${word%%=*} _rd_value=${word#*=}
  elif [[ " ${args//$'\n'/ } " == *" $prev "* ]]; then
    option=$prev
  fi
  COMPREPLY=()
  if [[ -n $option ]]; then
    _rd_complete_value "$tool" "$option"
  elif [[ $word == -* ]]; then
    local w
    for w in $opts; do [[ $w == "$word"* ]] && COMPREPLY+=("$w"); done
  else
    _rd_files  # images, directories, JSON-lines files
  fi
  # Bash replaces only the part after the last word-break character; cut the rest off.
  local cut="" k
  for ((k = ${#_rd_value} - 1; k >= 0; k--)); do
    if [[ ${_rd_value:k:1} == [:=] && ${COMP_WORDBREAKS-:=} == *"${_rd_value:k:1}"* ]]; then
      cut=${_rd_value:0:k+1}
      break
    fi
  done
  if [[ -n $cut ]]; then
    for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$cut"}; done
  fi
  return 0
}

_rd_train() { _rd_complete rd-train "$_rd_train_opts" "$_rd_train_args"; }
_rd_score() { _rd_complete rd-score "$_rd_score_opts" "$_rd_score_args"; }
_rd_map() { _rd_complete rd-map "$_rd_map_opts" "$_rd_map_args"; }
_rd_eval() { _rd_complete rd-eval "$_rd_eval_opts" "$_rd_eval_args"; }
_rd_export() { _rd_complete rd-export "$_rd_export_opts" "$_rd_export_args"; }
_rd_report() { _rd_complete rd-report "$_rd_report_opts" "$_rd_report_args"; }

_rd_threshold() {
  local i command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      fit | apply) command=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $command in
    fit) _rd_complete rd-threshold-fit "$_rd_threshold_fit_opts" "$_rd_threshold_fit_args" ;;
    apply) _rd_complete rd-threshold-apply "$_rd_threshold_apply_opts" "$_rd_threshold_apply_args" ;;
    *)
      local word=${COMP_WORDS[COMP_CWORD]} w
      COMPREPLY=()
      if [[ $word == -* ]]; then
        for w in --help --version; do [[ $w == "$word"* ]] && COMPREPLY+=("$w"); done
      else
        for w in fit apply; do [[ $w == "$word"* ]] && COMPREPLY+=("$w"); done
      fi
      ;;
  esac
  return 0
}

complete -F _rd_train rd-train
complete -F _rd_score rd-score
complete -F _rd_threshold rd-threshold
complete -F _rd_map rd-map
complete -F _rd_eval rd-eval
complete -F _rd_export rd-export
complete -F _rd_report rd-report
