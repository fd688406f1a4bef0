#!/usr/bin/env bash
# The paper's protocol on VisA (the 1cls split of split_csv/1cls.csv in VISA_ROOT):
# examples/mvtec.sh with --layout visa. Usage: examples/visa.sh ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
exec "$(dirname "$0")/mvtec.sh" --layout visa "$@"
