#!/usr/bin/env bash
# Installs the Debian packages rd needs, on Debian 12 (bookworm) and Debian 13 (trixie): every name
# below exists in both (llvm-defaults' libclang-rt-dev follows each release's clang). --test adds
# what the tests compare against (PyTorch, torchvision, SciPy, scikit-learn and ONNX for
# /usr/bin/python3; Node.js and npm for onnxruntime-node; Chromium, run headless on rd-report's
# page; inotify-tools for the watch-folder recipe); --fuzz adds clang and its libFuzzer runtime
# (tests/fuzz/run.sh). Skips apt when all are present.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config libtorch-dev libopenblas0-pthread
      libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
      libcxxopts-dev libfmt-dev nlohmann-json3-dev doctest-dev libcurl4-openssl-dev libonnx-dev libprotobuf-dev)
# dpkg-dev and file: cpack computes the .deb's dependencies with dpkg-shlibdeps, for the install test.
[[ " $* " == *" --test "* ]] && pkgs+=(dpkg-dev file python3-torch python3-torchvision python3-scipy python3-sklearn python3-numpy mandoc groff-base)
if [[ " $* " == *" --test "* ]]; then
  # tifffile: the reader MVTec AD 2's submission checker uses (tests/cli/rd_map_test.sh).
  pkgs+=(python3-onnx python3-tifffile)
  # node and npm run onnxruntime-node on exported models; a machine with its own Node.js keeps it.
  command -v npm >/dev/null || pkgs+=(nodejs npm)
  # rd-report's page is checked in a real browser (tests/cli/rd_report_test.sh, headless).
  pkgs+=(chromium)
  # The watch-folder recipe runs with a real inotifywait (tests/cli/watch_test.sh).
  pkgs+=(inotify-tools)
fi
[[ " $* " == *" --fuzz "* ]] && pkgs+=(clang libclang-rt-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
