#!/usr/bin/env bash
# cmake --install into a temporary prefix: the tools run from there, and the man pages,
# completions and examples land where man, bash-completion, zsh and fish look (cmake/install.cmake);
# the README and the guides land in share/doc/rd with every relative link resolving there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
prefix=$TEST_TMP/prefix
tools=(rd-train rd-score rd-map rd-eval rd-threshold rd-export rd-report)

cmake --install "$RD_BIN_DIR" --prefix "$prefix" > "$TEST_TMP/install.log" ||
  fail "cmake --install: $(tail -5 "$TEST_TMP/install.log")"

# The installed tool runs on its own (no build-tree RPATH needed).
out=$("$prefix/bin/rd-score" --version) || fail "installed rd-score --version"
assert_contains "$out" "rd-score " "installed rd-score --version"
installed=()
for tool in "${tools[@]}"; do
  [[ -x $RD_BIN_DIR/$tool ]] || continue
  [[ -x $prefix/bin/$tool ]] || fail "$tool built but not installed in bin/"
  installed+=("$tool")
done

expect() { [[ -f $prefix/$1 ]] || fail "not installed: $1 (from $2)"; }

# Man pages: every page in man/ goes to its section.
for page in "$src"/man/*.[17]; do
  [[ -e $page ]] || continue
  name=$(basename "$page")
  expect "share/man/man${name##*.}/$name" "$page"
done

# Completions, whatever form completions/ has: one file for all tools or one per tool.
c=$src/completions
bash_any=0 zsh_any=0 fish_any=0
[[ -f $c/rd.bash ]] && bash_any=1
[[ -f $c/_rd || -f $c/rd.zsh ]] && zsh_any=1
[[ -f $c/rd.fish ]] && fish_any=1
for tool in "${installed[@]}"; do
  if ((bash_any)) || [[ -f $c/$tool.bash || -f $c/bash/$tool ]]; then
    expect "share/bash-completion/completions/$tool" "completions/ (bash)"
  fi
  if ((fish_any)) || [[ -f $c/$tool.fish ]]; then
    expect "share/fish/vendor_completions.d/$tool.fish" "completions/ (fish)"
  fi
  [[ -f $c/_$tool ]] && zsh_any=1
done
if ((zsh_any)); then
  # site-functions (zsh's default), or vendor-completions for a Debian build configured for /usr.
  compgen -G "$prefix/share/zsh/*/_rd*" >/dev/null || fail "zsh completion not installed under share/zsh/"
fi
# A bash completion file must load in bash and register a completion for the tool.
if [[ -f $prefix/share/bash-completion/completions/rd-score ]]; then
  registered=$(bash --norc -c 'source "$1" && complete -p rd-score' _ "$prefix/share/bash-completion/completions/rd-score") ||
    fail "the installed bash completion does not register rd-score"
  assert_contains "$registered" "rd-score" "bash completion for rd-score"
fi

# Examples as documentation, still executable.
[[ -x $prefix/share/doc/rd/examples/mvtec.sh ]] || fail "examples not installed in share/doc/rd/examples"
[[ ! -e $prefix/share/doc/rd/examples/demo.sh ]] || fail "demo.sh needs the source tree; it is not installed"

# The README and the guides, laid out as in the source tree (share/doc/rd/README.md,
# share/doc/rd/docs/*.md), and every relative link of theirs resolves there too: to a guide, a
# picture, bench/README.md or an example (docs_sync_test.sh checks them in the source tree).
doc=$prefix/share/doc/rd
expect share/doc/rd/README.md README.md
guides=()
for guide in "$src"/docs/*.md; do
  [[ -e $guide ]] || continue
  expect "share/doc/rd/docs/$(basename "$guide")" "${guide#$src/}"
  guides+=("$doc/docs/$(basename "$guide")")
done
((${#guides[@]})) || fail "no guides in $src/docs"
mapfile -t readmes < <(find "$doc/bench" "$doc/examples" -name README.md)
links=$("${RD_PYTHON:-python3}" "$src/tests/cli/doc_check.py" --root "$doc" links "$doc/README.md" "${guides[@]}" "${readmes[@]}") ||
  fail "links that do not resolve in the installed documentation:"$'\n'"$links"

# The Debian package: its dependencies are the runtime packages of this release (dpkg-shlibdeps),
# apt can install it here, and its tools run from it. apt only simulates the install and dpkg
# unpacks into a private root, so running the tests never installs rd into the system.
# (Not in the sanitizer build: packaging is the same, and its tools need libasan.)
if ldd "$RD_BIN_DIR/rd-score" | grep -q libasan; then
  echo "note: sanitizer build; the .deb is checked by the plain build"
elif command -v cpack >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
  (cd "$TEST_TMP" && cpack -G DEB --config "$RD_BIN_DIR/CPackConfig.cmake" -B "$TEST_TMP/deb" > cpack.log 2>&1) ||
    fail "cpack: $(tail -5 "$TEST_TMP/cpack.log")"
  deb=$(ls "$TEST_TMP"/deb/rd_*.deb)
  depends=$(dpkg-deb -f "$deb" Depends)
  torch_pkg=$(dpkg-query -S "$(readlink -f "$(ldd "$RD_BIN_DIR/rd-score" | awk '/libtorch_cpu/ {print $3}')")" | cut -d: -f1)
  assert_contains "$depends" "$torch_pkg" ".deb depends on this release's LibTorch package"
  assert_contains "$depends" "libopenblas0-pthread" ".deb depends on OpenBLAS"
  apt-get -s install "$deb" > "$TEST_TMP/apt.log" 2>&1 || fail "apt cannot install the .deb here: $(tail -3 "$TEST_TMP/apt.log")"
  grep -q '^Inst rd ' "$TEST_TMP/apt.log" || fail "apt would not install rd: $(tail -3 "$TEST_TMP/apt.log")"
  dpkg-deb -x "$deb" "$TEST_TMP/root"
  for tool in "${installed[@]}"; do
    "$TEST_TMP/root/usr/bin/$tool" --version >/dev/null || fail "$tool from the .deb does not run"
  done
  [[ -f $TEST_TMP/root/usr/share/man/man7/rd.7 ]] || fail "the .deb has no man pages"
  debdoc=$TEST_TMP/root/usr/share/doc/rd
  [[ -f $debdoc/README.md ]] && compgen -G "$debdoc/docs/*.md" >/dev/null || fail "the .deb has no README or guides in /usr/share/doc/rd"
  links=$("${RD_PYTHON:-python3}" "$src/tests/cli/doc_check.py" --root "$debdoc" links "$debdoc/README.md" "$debdoc"/docs/*.md) ||
    fail "links that do not resolve in the .deb's documentation:"$'\n'"$links"
else
  echo "note: cpack or dpkg-shlibdeps missing; the .deb is not checked"
fi
pass
