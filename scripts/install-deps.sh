#!/usr/bin/env bash
# Installs the Debian 12 packages rd needs. --test adds what the tests compare against
# (PyTorch, torchvision, SciPy and scikit-learn for /usr/bin/python3); --fuzz adds clang and its
# libFuzzer runtime (tests/fuzz/run.sh). Skips apt when all are present.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config libtorch-dev libopenblas0-pthread
      libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
      libcxxopts-dev libfmt-dev nlohmann-json3-dev doctest-dev libcurl4-openssl-dev)
[[ " $* " == *" --test "* ]] && pkgs+=(python3-torch python3-torchvision python3-scipy python3-sklearn python3-numpy mandoc groff-base)
[[ " $* " == *" --fuzz "* ]] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
