#!/usr/bin/env bash
# Integration test of `clearbox unpack` / `clearbox ls` over the images that
# tests/images/build-images.sh makes from Debian packages (cached under the build tree):
# every packed image must unpack to the reference rootfs through the expected containers,
# and every hostile input must be contained, reported and survived (see check_images.py).
#
# CTest sets CLEARBOX (the CLI), CLEARBOX_BUILD and CLEARBOX_SOURCE. By hand:
#   CLEARBOX=build/clearbox CLEARBOX_BUILD=build tests/unpack_images_test.sh [-k REGEX]
set -euo pipefail
: "${CLEARBOX:?set CLEARBOX to the clearbox binary}" "${CLEARBOX_BUILD:?set CLEARBOX_BUILD}"
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}

bash "$CLEARBOX_SOURCE/tests/images/build-images.sh" "$CLEARBOX_BUILD/test-images"
exec python3 "$CLEARBOX_SOURCE/tests/images/check_images.py" --clearbox "$CLEARBOX" \
  --images "$CLEARBOX_BUILD/test-images" --work "$CLEARBOX_BUILD/test-images-work" -j 2 "$@"
