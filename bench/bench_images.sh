# Sourced by the end-to-end benchmarks: builds once, cached under $B, a Debian bookworm minbase
# root filesystem (debootstrap, about 200 MB) and packs it as squashfs-xz, squashfs-gzip,
# tar.gz and nested (tar.gz -> uImage -> squashfs-xz). Expects B, log and die from the caller;
# sets I (the images' directory) and IMAGES (their names).
# --- the root filesystem (cached) -----------------------------------------------------------
if [[ ! -f "$B/rootfs.done" ]]; then
  mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources \
    2>/dev/null || true)}
  mirror=${mirror:-http://deb.debian.org/debian}
  log "debootstrap --variant=minbase bookworm from $mirror (a few minutes, once)"
  rm -rf "$B/rootfs" "$B/rootfs.tmp"
  debootstrap --variant=minbase bookworm "$B/rootfs.tmp" "$mirror" >"$B/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $B/debootstrap.log"
  mv "$B/rootfs.tmp" "$B/rootfs"
  touch "$B/rootfs.done"
fi

# --- the images (cached) --------------------------------------------------------------------
I=$B/images
if [[ ! -f "$I/done" ]]; then
  log "packing the images"
  rm -rf "$I"
  mkdir -p "$I/nested/firmware"
  mksquashfs "$B/rootfs" "$I/rootfs-xz.squashfs" -comp xz -noappend -quiet -no-progress >/dev/null
  mksquashfs "$B/rootfs" "$I/rootfs-gzip.squashfs" -comp gzip -noappend -quiet -no-progress \
    >/dev/null
  tar -C "$B/rootfs" -cf - . | gzip -6 >"$I/rootfs.tar.gz"
  mkimage -A mips -O linux -T filesystem -C none -a 0 -e 0 -n "rootfs" \
    -d "$I/rootfs-xz.squashfs" "$I/nested/firmware/rootfs.uimg" >/dev/null
  tar -C "$I/nested" -cf - firmware | gzip -6 >"$I/nested.tar.gz"
  rm -rf "$I/nested"
  touch "$I/done"
fi
IMAGES=(rootfs-xz.squashfs rootfs-gzip.squashfs rootfs.tar.gz nested.tar.gz)
