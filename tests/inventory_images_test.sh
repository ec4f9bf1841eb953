#!/usr/bin/env bash
# Integration test of `clearbox inventory` over the images tests/images/build-inventory-images.sh
# makes from Debian packages of known versions (cached under the build tree), and over the real
# samples in ../shared/corpus/real: components exactly as the packages say, no false ones, file
# hashes and kinds, and ELF hardening equal to Debian checksec's on every ELF (check_inventory.py).
#
# CTest sets CLEARBOX, CLEARBOX_BUILD, CLEARBOX_SOURCE and CLEARBOX_SHARED. By hand:
#   CLEARBOX=build/clearbox CLEARBOX_BUILD=build tests/inventory_images_test.sh
set -euo pipefail
: "${CLEARBOX:?set CLEARBOX to the clearbox binary}" "${CLEARBOX_BUILD:?set CLEARBOX_BUILD}"
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
CLEARBOX_SHARED=${CLEARBOX_SHARED:-$CLEARBOX_SOURCE/../shared}
export CLEARBOX_SHARED

images=$CLEARBOX_BUILD/test-images/inventory
bash "$CLEARBOX_SOURCE/tests/images/build-inventory-images.sh" "$images"
exec python3 "$CLEARBOX_SOURCE/tests/images/check_inventory.py" --clearbox "$CLEARBOX" \
  --images "$images" --work "$CLEARBOX_BUILD/test-images-work/inventory" \
  --corpus "$CLEARBOX_SHARED/corpus/real"
