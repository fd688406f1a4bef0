#!/usr/bin/env bash
# --weights auto|URL downloads, verifies and caches teacher weights (docs/install.md, "Real
# ImageNet weights"), against a server on 127.0.0.1 that this test starts and stops: one GET for two runs,
# a truncated file, a wrong hash, a 404, a stalled connection, offline runs, file:// and two
# processes fetching the same file at once. Failures leave nothing in the cache and exit 3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
cd "$TEST_TMP"
python=${RD_PYTHON:-/usr/bin/python3}
train=("$RD_BIN_DIR/rd-train" --backbone resnet18 --image-size 64 --batch-size 2 --epochs 1)

"$python" - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(3)
os.makedirs("good", exist_ok=True)
for i in range(2):
    Image.fromarray((rng.random((64, 64, 3)) * 100 + 80).astype(np.uint8)).save(f"good/{i}.png")
PY

# The served file: a torchvision-format resnet18 named with its own hash prefix, and a file of
# another content under torchvision's own resnet18 name (for auto through a mirror).
mkdir -p served
sum=$(sha256sum "$RD_FIXTURES/model/resnet18_legacy.pth" | cut -c1-8)
name=resnet18-$sum.pth
cp "$RD_FIXTURES/model/resnet18_legacy.pth" "served/$name"
cp "$RD_FIXTURES/model/resnet18_zip.pth" served/resnet18-f37072fd.pth

"$python" "$RD_SOURCE_DIR/tests/cli/weights_server.py" "$PWD/served" port requests.log &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 100); do [[ -s port ]] && break; sleep 0.1; done
[[ -s port ]] || fail "the test server did not start"
url=http://127.0.0.1:$(cat port)

cache() { ls -A "$1/hub/checkpoints" 2>/dev/null | tr '\n' ' '; }
gets() { grep -c "^$1\$" requests.log || true; }
# run_fails STATUS NEEDLE WHAT ARGS...: rd-train fails with STATUS and NEEDLE in its message.
run_fails() {
  local want=$1 needle=$2 what=$3 rc=0 msg
  shift 3
  msg=$("$@" 2>&1 >/dev/null) || rc=$?
  assert_eq "$rc" "$want" "$what: exit status (message: $msg)"
  assert_contains "$msg" "$needle" "$what: message"
  LAST_MESSAGE=$msg
}

# A URL: downloaded into TORCH_HOME, byte for byte, and used; the second run makes no request.
TORCH_HOME=$PWD/th "${train[@]}" -q --weights "$url/good/$name" -o a.rdm good > a.json
cmp "th/hub/checkpoints/$name" "served/$name" || fail "the cached file differs from the served one"
assert_eq "$(cache th)" "$name " "only the weights file is in the cache"
TORCH_HOME=$PWD/th "${train[@]}" -q --weights "$url/good/$name" -o b.rdm good > /dev/null
assert_eq "$(gets "/good/$name")" "1" "GET requests for two runs"
TORCH_HOME=$PWD/th RD_OFFLINE=1 "${train[@]}" -q --weights "$url/good/$name" -o c.rdm good > /dev/null
# Without a TTY the download is announced on one line of stderr.
msg=$(TORCH_HOME=$PWD/th2 "${train[@]}" --weights "$url/good/$name" -o d.rdm good 2>&1 >/dev/null)
assert_eq "$(grep -c "downloading $url/good/$name" <<<"$msg")" "1" "one line announces the download"

# Failures: each names the URL and its cause, exits 3, and leaves nothing in the cache.
export TORCH_HOME=$PWD/fail
run_fails 3 "ended early: " "truncated transfer" "${train[@]}" --weights "$url/truncated/$name" -o x.rdm good
assert_contains "$LAST_MESSAGE" "$url/truncated/$name" "truncated transfer names the URL"
assert_eq "$(cache fail)" "" "nothing cached after a truncated transfer"
cp "served/$name" "served/resnet18-0badc0de.pth"
run_fails 3 "does not start with 0badc0de" "wrong hash" "${train[@]}" --weights "$url/good/resnet18-0badc0de.pth" -o x.rdm good
assert_eq "$(cache fail)" "" "nothing cached after a hash mismatch"
run_fails 3 "HTTP 404" "missing file" "${train[@]}" --weights "$url/good/resnet18-12345678.pth" -o x.rdm good
assert_eq "$(cache fail)" "" "nothing cached after a 404"
start=$SECONDS
run_fails 3 "no data for 2 s" "stalled transfer" env RD_IDLE_TIMEOUT=2 "${train[@]}" --weights "$url/stall/$name" -o x.rdm good
(( SECONDS - start < 20 )) || fail "the stalled transfer took $((SECONDS - start)) s to give up"
assert_eq "$(cache fail)" "" "nothing cached after a stall"
run_fails 3 "Connection refused" "closed port" "${train[@]}" --weights "http://127.0.0.1:9/$name" -o x.rdm good
run_fails 2 "no hash prefix" "name without a hash prefix" "${train[@]}" --weights "$url/good/resnet18.pth" -o x.rdm good
# A full disk: the temporary file is removed and the cause named.
msg=$(trap '' XFSZ; ulimit -f 64; "${train[@]}" --weights "$url/good/$name" -o x.rdm good 2>&1 >/dev/null) && fail "full disk: succeeded"
assert_contains "$msg" "File too large" "full disk: the cause"
assert_eq "$(cache fail)" "" "nothing cached after a full disk"
[[ ! -e x.rdm ]] || fail "a model was written after a failed download"

# auto: torchvision's URL, here through RD_WEIGHTS_MIRROR, whose file does not match the hash in
# torchvision's name; offline it fails fast naming torchvision's URL, before any request.
run_fails 3 "does not start with f37072fd" "auto through a mirror" env RD_WEIGHTS_MIRROR="$url/good/" "${train[@]}" --weights auto -o x.rdm good
assert_contains "$LAST_MESSAGE" "$url/good/resnet18-f37072fd.pth" "auto names the mirror URL"
assert_eq "$(cache fail)" "" "nothing cached after auto's mismatch"
before=$(wc -l < requests.log)
run_fails 2 "https://download.pytorch.org/models/resnet18-f37072fd.pth" "offline auto" "${train[@]}" --offline --weights auto -o x.rdm good
run_fails 2 "$url/good/$name" "RD_OFFLINE URL" env RD_OFFLINE=1 "${train[@]}" --weights "$url/good/$name" -o x.rdm good
assert_eq "$(wc -l < requests.log)" "$before" "offline runs make no request"

# file:// URLs are copied into the cache the same way.
TORCH_HOME=$PWD/file "${train[@]}" -q --weights "file://$PWD/served/$name" -o f.rdm good > /dev/null
cmp "file/hub/checkpoints/$name" "served/$name" || fail "file:// copy differs"

# Two processes fetching the same file at once both train, and the cache holds one whole copy.
export TORCH_HOME=$PWD/both
"${train[@]}" -q --weights "$url/slow/$name" -o p1.rdm good > /dev/null & p1=$!
"${train[@]}" -q --weights "$url/slow/$name" -o p2.rdm good > /dev/null & p2=$!
wait $p1 || fail "first concurrent run failed"
wait $p2 || fail "second concurrent run failed"
cmp "both/hub/checkpoints/$name" "served/$name" || fail "concurrent downloads left a corrupt file"
assert_eq "$(cache both)" "$name " "only the weights file after concurrent downloads"
pass
