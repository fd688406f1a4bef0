#!/usr/bin/env bash
# The paper's protocol on MVTec LOCO AD (AUPRO is MVTec AD's, not LOCO's sPRO):
# examples/mvtec.sh with --layout mvtec-loco. Usage: examples/mvtec-loco.sh ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
exec "$(dirname "$0")/mvtec.sh" --layout mvtec-loco "$@"
