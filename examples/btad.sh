#!/usr/bin/env bash
# The paper's protocol on BTAD:
# examples/mvtec.sh with --layout btad. Usage: examples/btad.sh ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
exec "$(dirname "$0")/mvtec.sh" --layout btad "$@"
