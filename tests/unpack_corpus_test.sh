#!/usr/bin/env bash
# Integration test of `clearbox unpack` over the real firmware samples in
# $CLEARBOX_SHARED/corpus/real: asserts what each must reach (TRX -> ZIP, JFFS2 and UBIFS
# test files, carved uImage/squashfs offsets, truncation notes, unsupported formats
# reported as "not unpacked"); see tests/images/check_corpus.py.
#
# CTest sets CLEARBOX, CLEARBOX_SHARED, CLEARBOX_BUILD and CLEARBOX_SOURCE. By hand:
#   CLEARBOX=build/clearbox CLEARBOX_BUILD=build CLEARBOX_SHARED=../shared \
#     tests/unpack_corpus_test.sh [-k REGEX]
set -euo pipefail
: "${CLEARBOX:?set CLEARBOX to the clearbox binary}" "${CLEARBOX_BUILD:?set CLEARBOX_BUILD}"
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
CLEARBOX_SHARED=${CLEARBOX_SHARED:-$CLEARBOX_SOURCE/../shared}

exec python3 "$CLEARBOX_SOURCE/tests/images/check_corpus.py" --clearbox "$CLEARBOX" \
  --corpus "$CLEARBOX_SHARED/corpus/real" --work "$CLEARBOX_BUILD/corpus-work" "$@"
