# Sourced by the tests that run exported ONNX files: puts onnxruntime-node (the npm package,
# which bundles onnxruntime's CPU library) in a cache shared by builds, and sets NODE_PATH to it.
# node and npm come from scripts/install-deps.sh --test. Where the npm registry cannot be reached
# the test is skipped (exit 77, which ctest reports as skipped) with the reason, not failed.
ORT_VERSION=1.30.0
ort_cache=${RD_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rd-tests}/onnxruntime-node-$ORT_VERSION
skip() { echo "SKIP ($TEST_NAME): $*"; exit 77; }
command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm are not installed (scripts/install-deps.sh --test)"
if [[ ! -f $ort_cache/node_modules/onnxruntime-node/package.json ]]; then
  mkdir -p "$(dirname "$ort_cache")"
  staging=$(mktemp -d "$ort_cache.XXXXXX")
  # --ignore-scripts: the post-install step only downloads GPU extras, from outside the registry.
  if ! timeout 600 npm install --prefix "$staging" --ignore-scripts --no-audit --no-fund --loglevel=error \
      "onnxruntime-node@$ORT_VERSION" >"$staging.log" 2>&1; then
    reason=$(tail -3 "$staging.log" | tr '\n' ' ')
    rm -rf "$staging" "$staging.log"
    skip "npm could not install onnxruntime-node@$ORT_VERSION: $reason"
  fi
  rm -f "$staging.log"
  mv -T "$staging" "$ort_cache" 2>/dev/null || rm -rf "$staging"  # another test got there first
fi
export NODE_PATH=$ort_cache/node_modules
