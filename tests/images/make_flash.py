#!/usr/bin/env python3
"""Assembles a raw NOR flash dump the way a router's SPI flash looks, to be found by carving.

    make_flash.py OUT ENV_BIN KERNEL_UIMAGE ROOTFS_SQUASHFS

Layout (every part at an erase-block-aligned offset, gaps filled with 0xff as erased flash):
    0x000000  bootloader: a made-up header ("FKBL", version, size, CRC32 of the body) and a
              body of MIPS-looking instruction words and U-Boot-like strings
    0x040000  U-Boot environment (mkenvimage output: CRC32 + NUL-separated variables)
    0x050000  "art" calibration partition: a MAC address, then erased
    0x060000  kernel: a legacy uImage (lzma payload)
    0x200000  rootfs: squashfs
    then      erased space up to the next 64 KiB boundary plus one more erase block
Writes OUT and OUT.layout.json (the offset and length of each part) for the tests.
"""
import json
import struct
import sys
import zlib

ERASE_BLOCK = 0x10000
BOOTLOADER_AT, ENV_AT, ART_AT, KERNEL_AT, ROOTFS_AT = 0x0, 0x40000, 0x50000, 0x60000, 0x200000


def fake_bootloader(size):
    # Instruction-like words; no byte pattern here resembles a container magic.
    words = []
    for i in range((size - 4096) // 16):
        words += [0x27BD0000 | ((-(i % 64) * 8) & 0xFFFF), 0xAFBF0000 | (i * 4 & 0xFFFF),
                  0x0C000000 | (0x40000 + i * 4) >> 2, 0x03E00008]
    body = struct.pack(">%dI" % len(words), *words)
    strings = (b"U-Boot 2016.01 (Nov 14 2023 - 22:13:20 +0000) clearbox-test-board\0"
               b"bootcmd\0bootm 0x9f060000\0Hit any key to stop autoboot: %2d \0"
               b"## Booting kernel from Legacy Image at %08lx ...\0")
    body += strings + b"\0" * (size - 16 - len(body) - len(strings))
    header = struct.pack(">4sIII", b"FKBL", 1, len(body), zlib.crc32(body))
    return header + body


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    out, env_path, kernel_path, rootfs_path = sys.argv[1:]
    env = open(env_path, "rb").read()
    kernel = open(kernel_path, "rb").read()
    rootfs = open(rootfs_path, "rb").read()
    if len(env) > ART_AT - ENV_AT or len(kernel) > ROOTFS_AT - KERNEL_AT:
        raise SystemExit("a part does not fit its partition")

    blob = bytearray(b"\xff" * ROOTFS_AT)
    loader = fake_bootloader(0x30000)
    blob[BOOTLOADER_AT:BOOTLOADER_AT + len(loader)] = loader
    blob[ENV_AT:ENV_AT + len(env)] = env
    blob[ART_AT:ART_AT + 6] = bytes.fromhex("0013370c1ea7")
    blob[KERNEL_AT:KERNEL_AT + len(kernel)] = kernel
    blob += rootfs
    end = -(-len(blob) // ERASE_BLOCK) * ERASE_BLOCK + ERASE_BLOCK
    blob += b"\xff" * (end - len(blob))
    with open(out, "wb") as f:
        f.write(blob)

    layout = {
        "bootloader": {"offset": BOOTLOADER_AT, "length": len(loader)},
        "env": {"offset": ENV_AT, "length": len(env)},
        "kernel_uimage": {"offset": KERNEL_AT, "length": len(kernel)},
        "rootfs_squashfs": {"offset": ROOTFS_AT, "length": len(rootfs)},
        "size": len(blob),
    }
    with open(out + ".layout.json", "w") as f:
        json.dump(layout, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
