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
# Not under test-images-work: unpack_images_test empties that directory as it starts.
work=$CLEARBOX_BUILD/inventory-work
mkdir -p "$work"
bash "$CLEARBOX_SOURCE/tests/images/build-inventory-images.sh" "$images"
# The test advisory set, imported fresh.
rm -f "$work/advisories.db"
"$CLEARBOX" vulndb import "$CLEARBOX_SOURCE/tests/data/advisories/osv" \
  "$CLEARBOX_SOURCE/tests/data/advisories/nvd" --db "$work/advisories.db" >/dev/null
# The CycloneDX project's own validator (scripts/install-deps.sh puts it under build/npm).
npm_prefix=${CLEARBOX_NPM_PREFIX:-$CLEARBOX_SOURCE/build/npm}
[[ -d $npm_prefix/node_modules/@cyclonedx/cyclonedx-library ]] ||
  { echo "FAIL: no @cyclonedx/cyclonedx-library under $npm_prefix (scripts/install-deps.sh)" >&2; exit 1; }
export CLEARBOX_NPM_PREFIX=$npm_prefix
exec python3 "$CLEARBOX_SOURCE/tests/images/check_inventory.py" --clearbox "$CLEARBOX" \
  --images "$images" --work "$work" --corpus "$CLEARBOX_SHARED/corpus/real" \
  --vulndb "$work/advisories.db" --validator "node $CLEARBOX_SOURCE/tests/sbom_validate.js"
