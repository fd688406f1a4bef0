#!/usr/bin/env bash
# The paper's protocol on MPDD (the MVTec AD layout):
# examples/mvtec.sh with --layout mpdd. Usage: examples/mpdd.sh ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
exec "$(dirname "$0")/mvtec.sh" --layout mpdd "$@"
