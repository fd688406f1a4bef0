#!/usr/bin/env bash
# rd-demo-data: MVTec AD layout and counts; every defect image has a binary, non-empty mask of its size;
# the same seed gives the same bytes, another seed other images; bad options exit 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
tool="$RD_BIN_DIR/rd-demo-data"
py="${RD_PYTHON:-python3}"
tmp="$TEST_TMP"
count() { find "$1" -maxdepth 1 -type f -name '*.png' | wc -l; }
names() { (cd "$1" && printf '%s ' *); }

args=(--category demo --size 64 --train 7 --test-good 3 --test-defect 4 --seed 5)
"$tool" --out "$tmp/a" "${args[@]}"
root="$tmp/a/demo"

# Layout and counts.
assert_eq "$(count "$root/train/good")" 7 "train/good images"
assert_eq "$(count "$root/test/good")" 3 "test/good images"
assert_eq "$(names "$root/test")" "good hole scratch stain " "test/ folders"
assert_eq "$(names "$root/ground_truth")" "hole scratch stain " "ground_truth/ folders"
[[ -f "$root/train/good/000.png" && -f "$root/train/good/006.png" ]] || fail "train images not named 000.png ..."
grep -qi synthetic "$root/README.txt" || fail "README.txt does not say the data is synthetic"
for d in scratch stain hole; do
  assert_eq "$(count "$root/test/$d")" 4 "test/$d images"
  assert_eq "$(count "$root/ground_truth/$d")" 4 "ground_truth/$d masks"
  for img in "$root/test/$d"/*.png; do
    stem=$(basename "$img" .png)
    [[ -f "$root/ground_truth/$d/${stem}_mask.png" ]] || fail "no mask for test/$d/$stem.png"
  done
done

# Pixel checks with a PNG reader from the standard library only (zlib + the five PNG row filters).
"$py" - "$root" <<'EOF'
import os, struct, sys, zlib

def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and interlace == 0, f"{path}: depth {depth}, interlace {interlace}"
    ch = {0: 1, 2: 3, 6: 4}[ctype]
    raw, stride, rows, prev = zlib.decompress(idat), w * ch, [], bytearray(w * ch)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], prev[i - ch] if i >= ch else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, b"".join(rows)

root = sys.argv[1]
for d in ("scratch", "stain", "hole"):
    for name in sorted(os.listdir(f"{root}/test/{d}")):
        iw, ih, ich, _ = read_png(f"{root}/test/{d}/{name}")
        mw, mh, mch, m = read_png(f"{root}/ground_truth/{d}/{name[:-4]}_mask.png")
        assert (iw, ih, ich) == (64, 64, 3), f"{d}/{name}: {iw}x{ih}x{ich}, want 64x64 RGB"
        assert (mw, mh, mch) == (iw, ih, 1), f"{d}/{name}: mask {mw}x{mh}x{mch}, image {iw}x{ih}"
        assert set(m) <= {0, 255}, f"{d}/{name}: mask values {sorted(set(m))}"
        share = m.count(255) / len(m)
        assert 0.002 < share < 0.08, f"{d}/{name}: mask covers {share:.2%} of the image"
EOF

# Deterministic: the same arguments give the same bytes, another seed other images.
"$tool" --out "$tmp/b" "${args[@]}"
diff -r "$tmp/a" "$tmp/b" >/dev/null || fail "two runs with the same seed differ: $(diff -rq "$tmp/a" "$tmp/b" | head -3)"
"$tool" --out "$tmp/c" --category demo --size 64 --train 7 --test-good 3 --test-defect 4 --seed 6
for f in train/good/000.png test/good/000.png test/hole/000.png ground_truth/scratch/000_mask.png; do
  ! cmp -s "$root/$f" "$tmp/c/demo/$f" || fail "--seed 5 and --seed 6 give the same $f"
done
# An image depends on its folder and index only, not on how many images the other folders get.
"$tool" --out "$tmp/d" --category demo --size 64 --train 2 --test-good 0 --test-defect 0 --seed 5
cmp -s "$root/train/good/001.png" "$tmp/d/demo/train/good/001.png" || fail "train/good/001.png depends on the test counts"

# Errors: prefixed on stderr, exit 2 for bad options, 1 for an existing folder without --force.
expect() {  # expect STATUS ARGS...
  local want=$1 rc=0; shift
  "$tool" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [[ $rc == "$want" ]] || fail "rd-demo-data $* exited $rc, want $want"
  [[ $want == 0 ]] || grep -q '^rd-demo-data: ' "$tmp/err" || fail "rd-demo-data $*: no 'rd-demo-data: ' message"
}
expect 2
expect 2 --out "$tmp/e" --size 8
expect 2 --out "$tmp/e" --train many
expect 2 --out "$tmp/e" --texture marble
expect 2 --out "$tmp/e" --no-such-option
expect 1 --out "$tmp/a" "${args[@]}"
expect 0 --out "$tmp/a" "${args[@]}" --force
diff -r "$tmp/a" "$tmp/b" >/dev/null || fail "--force did not rewrite the same files"
"$tool" --help | grep -q -- '--test-defect' || fail "--help does not list --test-defect"
pass
