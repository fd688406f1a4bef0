# Shared helpers for the command-line tests (sourced). Tools are in $RD_BIN_DIR.
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rd-$TEST_NAME.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
: "${RD_BIN_DIR:?run the CLI tests through ctest (RD_BIN_DIR unset)}"

fail() { echo "FAIL ($TEST_NAME): $*" >&2; exit 1; }
pass() { echo "PASS ($TEST_NAME)"; }

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [[ "$1" == "$2" ]] || fail "$3: expected [$2], got [$1]"; }

# assert_contains TEXT NEEDLE WHAT
assert_contains() { [[ "$1" == *"$2"* ]] || fail "$3: [$2] not in [$1]"; }

# assert_exit CODE COMMAND... (output discarded)
assert_exit() {
  local want=$1 rc=0
  shift
  "$@" >/dev/null 2>&1 || rc=$?
  [[ $rc -eq $want ]] || fail "exit status of '$*': expected $want, got $rc"
}
