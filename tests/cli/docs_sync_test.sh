#!/usr/bin/env bash
# --help, the man pages and the shell completions name the same options (STYLE.md, "One
# definition per option"): for each tool (each rd-threshold command), the long options of
# --help equal those under OPTIONS in man/<tool>.1, those the bash completion offers after
# "--", and those of its zsh function and fish lines. Every difference is reported with the
# option and the file. Also: each page has the usual sections and the tools' version, and
# renders without warnings under groff -ww and mandoc -Tlint when those are installed.
#
# The Markdown documentation, README.md and docs/*.md (tests/cli/doc_check.py):
# - Options: every long option (--name, --name=value) they show exists in the --help of the
#   tool it belongs to. In a shell code block (```sh, ```console, unlabelled), an option belongs
#   to the rd tool named last before it in the same simple command (`find … | rd-score -0 --maps
#   DIR`, `xargs rd-score …`, `build/rd-eval …`), "rd-threshold fit|apply" to that command; a
#   command of another program (`cmake --install`, `inotifywait -m`, `examples/cron/…sh --report`)
#   is not checked, nor a comment beside one. In prose (a paragraph, a list item, a table row,
#   a heading, or a comment in a code block), a code span that is a command line is read the
#   same way; any other option belongs to the rd tool named last before it in that paragraph,
#   in text or code ("rd-train's --log", "`rd-score` … `--maps`"), and where none is named it
#   must be an option of some rd tool. So name the tool before its options, and write other
#   programs' options as a code span that starts with the program: `inotifywait --format`.
#   Code blocks in other languages (```json, ```python) are not checked.
# - Links, in those files and in bench/README.md and examples/**/README.md (all installed): every
#   relative link ([text](path), ![alt](path), reference definitions, href/src) points to a file
#   that exists, and a #anchor to a heading of the target Markdown file, by
#   GitHub's rules (lower case, punctuation but - and _ dropped, spaces to -, -1, -2 for repeats).
#   External links (http:, https:, mailto:) are not fetched. Guides are installed beside the
#   README (share/doc/rd, cmake/install.cmake): link only to files that are installed (docs/,
#   bench/README.md, examples/ but demo.sh), which tests/cli/install_test.sh checks there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=(rd-train rd-score rd-threshold rd-map rd-eval rd-export rd-report)
problems=()
problem() { problems+=("$*"); }

# The long options of a --help text (stdin): cxxopts prints "  -o, --output arg" or
# "      --backbone arg"; wrapped descriptions are indented further.
help_longs() { sed -nE 's/^  (-[^ -], |    )--([A-Za-z0-9][A-Za-z0-9-]*).*/--\2/p' | sort; }

# The long options under OPTIONS in a man page: the tag line after each .TP. SCOPE "fit" or
# "apply" keeps the subsections titled so and those titled otherwise (the common options).
man_longs() {
  awk -v want="${2-}" '
    /^\.SH/ { in_opts = ($0 ~ /^\.SH +"?OPTIONS"?[ \t]*$/); scope = ""; next }
    !in_opts { next }
    /^\.SS/ { t = $0; sub(/^\.SS +"?/, "", t); split(t, w, /[ "]/)
              scope = (w[1] == "fit" || w[1] == "apply") ? w[1] : ""; next }
    /^\.TP/ { tag = 1; next }
    tag { tag = 0; if (want == "" || scope == "" || scope == want) print }
  ' "$1" | grep -oE '\\-\\-[A-Za-z0-9]([A-Za-z0-9]|\\-)*' | sed 's/\\-/-/g' | sort
}

# The long options the bash completion offers for "$@ --".
bash_longs() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@" --); COMP_CWORD=$#
    spec=$(complete -p "$1") || exit 1
    fn=${spec#*-F }; fn=${fn%% *}
    "$fn" "$1" -- "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/rd.bash" "$@" | grep -E '^--' | sort
}

# The long options of zsh function $1 in completions/_rd: one _arguments spec per line, the
# option names before the first '[' once the exclusion list '(...)' is cut off.
zsh_longs() {
  sed -n "/^$1() {/,/^}/p" "$src/completions/_rd" |
    sed -nE "s/^[[:space:]]*'(\([^)]*\)'?)?//p" | sed 's/\[.*//' |
    grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' | sort
}

# The long options (-l) of the fish lines for command $1; for rd-threshold, $2 is the command
# whose condition (__fish_seen_subcommand_from ...) must name it.
fish_longs() {
  grep -E "^complete -c $1 " "$src/completions/rd.fish" |
    if [[ -n ${2-} ]]; then grep -E "__fish_seen_subcommand_from [a-z ]*\b$2\b" | grep -v "not __fish_seen"; else cat; fi |
    sed 's/ -d .*//' | grep -oE -- ' -l [A-Za-z0-9-]+' | sed 's/ -l /--/' | sort
}

# compare WHAT HELP_SET DOC_SET DOC_NAME: both directions, and no option listed twice.
compare() {
  local what=$1 help=$2 doc=$3 name=$4 o
  for o in $(comm -23 <(sort -u <<<"$help") <(sort -u <<<"$doc")); do
    problem "$what: $o is in --help but missing from $name"
  done
  for o in $(comm -13 <(sort -u <<<"$help") <(sort -u <<<"$doc")); do
    problem "$what: $o is in $name but not in --help"
  done
  for o in $(uniq -d <<<"$doc"); do problem "$what: $o is listed twice in $name"; done
  [[ -n $help ]] || problem "$what: no options found in --help"
}

version=""
for tool in "${tools[@]}"; do
  bin=$RD_BIN_DIR/$tool
  [[ -x $bin ]] || { echo "skip $tool: not built"; continue; }
  page=$src/man/$tool.1
  [[ -f $page ]] || { problem "$tool: no man page man/$tool.1"; continue; }
  version=$("$bin" --version | awk '{print $2}')
  fn=_${tool//-/_}
  if [[ $tool == rd-threshold ]]; then
    for command in fit apply; do
      help=$("$bin" "$command" --help | help_longs)
      what="rd-threshold $command"
      compare "$what" "$help" "$(man_longs "$page" "$command")" "man/$tool.1 (OPTIONS: '$command options' and common)"
      compare "$what" "$help" "$(bash_longs rd-threshold "$command")" "completions/rd.bash"
      compare "$what" "$help" "$(zsh_longs "${fn}_$command")" "completions/_rd (${fn}_$command)"
      compare "$what" "$help" "$(fish_longs rd-threshold "$command")" "completions/rd.fish (rd-threshold $command)"
    done
  else
    help=$("$bin" --help | help_longs)
    compare "$tool" "$help" "$(man_longs "$page")" "man/$tool.1 (OPTIONS)"
    compare "$tool" "$help" "$(bash_longs "$tool")" "completions/rd.bash"
    compare "$tool" "$help" "$(zsh_longs "$fn")" "completions/_rd ($fn)"
    compare "$tool" "$help" "$(fish_longs "$tool")" "completions/rd.fish"
  fi
done
grep -q "^#compdef rd-train rd-score rd-threshold rd-map rd-eval rd-export rd-report\$" "$src/completions/_rd" ||
  problem "completions/_rd: first line is not '#compdef rd-train rd-score rd-threshold rd-map rd-eval rd-export rd-report'"

# Every page: its sections, and the version of the tools in its .TH line.
for page in "$src"/man/*.[17]; do
  name=man/$(basename "$page")
  sections=(NAME DESCRIPTION "EXIT STATUS" "SEE ALSO")
  [[ $page == *.1 ]] && sections+=(SYNOPSIS OPTIONS ENVIRONMENT EXAMPLES)
  for s in "${sections[@]}"; do
    grep -qE "^\.SH +\"?$s\"?\$" "$page" || problem "$name: no section $s"
  done
  if [[ -n $version ]]; then
    grep -qE "^\.TH .*\"rd $version\"" "$page" || problem "$name: .TH does not say \"rd $version\" (the tools' --version)"
  fi
done

# Rendering: no warnings from groff -ww or mandoc -Tlint (skipped where they are missing).
if command -v groff >/dev/null; then
  for page in "$src"/man/*.[17]; do
    out=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null) || problem "man/$(basename "$page"): groff failed"
    [[ -z $out ]] || problem "man/$(basename "$page"): groff -ww: $out"
  done
else
  echo "skip: groff is not installed (Debian package groff-base, or groff)"
fi
if command -v mandoc >/dev/null; then
  for page in "$src"/man/*.[17]; do
    out=$(mandoc -Tlint "$page" 2>&1) || true
    [[ -z $out ]] || problem "man/$(basename "$page"): mandoc -Tlint: $out"
  done
else
  echo "skip: mandoc is not installed (Debian package mandoc)"
fi

# The README and the guides: options against --help; their links and those of the other
# installed READMEs: relative links and anchors.
docs=("$src/README.md" "$src"/docs/*.md)
readmes=("$src/bench/README.md" "$src"/examples/README.md "$src"/examples/*/README.md)
py=${RD_PYTHON:-python3}
for check in options links; do
  args=(options "$RD_BIN_DIR" "${docs[@]}")
  [[ $check == links ]] && args=(links "${docs[@]}" "${readmes[@]}")
  rc=0
  out=$("$py" "$src/tests/cli/doc_check.py" --root "$src" "${args[@]}") || rc=$?
  ((rc <= 1)) || problem "doc_check.py $check failed (exit $rc): $out"
  while IFS= read -r line; do [[ -n $line ]] && problem "$line"; done <<<"$out"
done

if ((${#problems[@]})); then
  printf '%s\n' "${problems[@]}" >&2
  fail "${#problems[@]} difference(s) between --help, man/, completions/ and the documentation (listed above)"
fi
pass
