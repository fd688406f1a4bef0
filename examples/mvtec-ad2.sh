#!/usr/bin/env bash
# The paper's protocol on MVTec AD 2 (scores test_public, the labelled test set; the private ones go to MVTec's server, see docs/datasets.md):
# examples/mvtec.sh with --layout mvtec-ad2. Usage: examples/mvtec-ad2.sh ROOT OUT_DIR [options] [-- RD_TRAIN_OPTIONS...]
exec "$(dirname "$0")/mvtec.sh" --layout mvtec-ad2 "$@"
