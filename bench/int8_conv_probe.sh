#!/bin/sh
# Builds and runs int8_conv_probe.cpp against Debian's LibTorch (not part of rd's build).
#   bench/int8_conv_probe.sh > bench/results/int8-conv-probe-$(date +%F).json
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${TMPDIR:-/tmp}/rd-int8-conv-probe
g++ -O2 -std=c++17 -w "$here/int8_conv_probe.cpp" -o "$bin" \
  -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10
exec "$bin"
