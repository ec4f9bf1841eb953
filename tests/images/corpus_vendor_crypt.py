"""Corpus cases of vendor encryptions and obfuscations with public keys (src/unpack/vendor_crypt.h).

The oracle is independent of clearbox: the D-Link samples are decrypted here with Python's
`cryptography` and the published keys (FACT's tests say what the plaintext holds), the
Arcadyan sample is de-obfuscated here as binwalk describes it and decompressed with Python's
lzma module; clearbox must list exactly those bytes.
"""
import hashlib
import lzma
import os

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text

ENCRPTED_KEY = b"he9-4+M!)d6=m~we1,q2a3d1n&2*Z^%8"  # EMBA / unblob
ENCRPTED_IV = b"J%1iQl8$=lm-;8AE"
SHRS_KEY = bytes.fromhex("c05fbf1936c99429ce2a0781f08d6ad8")  # dlink-decrypt / unblob
# What the two D-Link samples decrypt to, for when `cryptography` is not installed.
PLAINTEXT = {"dlink_encrpted_img_fact.bin": b"foobar 123 test 321 foobar test!",
             "dlink_shrs_fact.bin": b"This is a decrypted test file!\n\n"}


def aes_cbc_decrypt(key, iv, data):
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        return None
    d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def expected_plaintext(case):
    data = open(case.image, "rb").read()
    if case.name == "dlink_encrpted_img_fact.bin":
        size = int.from_bytes(data[12:16], "big")
        plain = aes_cbc_decrypt(ENCRPTED_KEY, ENCRPTED_IV, data[16:16 + size])
    else:
        plain_size, cipher_size = int.from_bytes(data[4:8], "big"), int.from_bytes(data[8:12], "big")
        plain = aes_cbc_decrypt(SHRS_KEY, data[12:28], data[0x6DC:0x6DC + cipher_size])
        plain = plain[:plain_size] if plain is not None else None
    return PLAINTEXT[case.name] if plain is None else plain


def dlink(fmt, phrase, digests):
    """One decrypted file holding `phrase` (FACT's test), named by a note with the key source."""
    def check(case):
        if not case.unpack():
            return
        r = case.result
        fs = case.filesystem([tok(fmt, "0x0")], fmt)
        if fs is None:
            return
        plain = expected_plaintext(case)
        r.expect(phrase in plain, f"the oracle's plaintext lacks {phrase!r}: {plain!r}")
        files = [n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])
                 if n.get("type") == "file"]
        r.expect(len(files) == 1, f"{len(files)} files, want 1: {files}")
        if files:
            r.expect(files[0].get("sha256") == hashlib.sha256(plain).hexdigest(),
                     f"{files[0]['path']}: not the plaintext {plain!r}")
        r.expect(bool(case.notes(kinds=("info",), pattern=r"published key")),
                 f"no note names the key source: {notes_text(case.manifest)}")
        for what in digests:
            r.expect(bool(case.notes(kinds=("info",), pattern=rf"{what} verified")),
                     f"{what} not verified: {notes_text(case.manifest)}")
        r.expect(not case.notes(kinds=("corrupt", "warning")),
                 f"problems on a sound image: {notes_text(case.manifest)}")
        r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")
    return check


def arcadyan(case):
    """binwalk v2: "Obfuscated Arcadyan firmware, signature bytes: 0x30051120". De-obfuscated:
    an LZMA stream at 4 (0x2AED44 bytes: the N300v5 MIPS firmware, no filesystem inside),
    1042 bytes after it."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("arcadyan_obfuscated", "0x0")], "arcadyan_obfuscated")
    if fs is None:
        return
    data = bytearray(open(case.image, "rb").read())
    data[4:0x24], data[0x68:0x88] = data[0x68:0x88], data[4:0x24]
    block = bytes(((b << 4) | (b >> 4)) & 0xFF for b in data[4:0x24])
    data[4:0x24] = b"".join(block[i + 1:i + 2] + block[i:i + 1] for i in range(0, 32, 2))
    decoder = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    kernel = decoder.decompress(bytes(data[4:]))
    files = {n["path"]: n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])}
    node = files.get("/kernel")
    if r.expect(node is not None, f"no /kernel: {sorted(files)}"):
        r.expect(node.get("size") == len(kernel) == 2813252 and
                 node.get("sha256") == hashlib.sha256(kernel).hexdigest(),
                 f"/kernel is not the LZMA stream's {len(kernel)} bytes: {node}")
    r.expect(bool(case.notes(kinds=("info",), pattern=r"Arcadyan.*tag 0x30051120")),
             f"the signature bytes are not reported: {notes_text(case.manifest)}")
    tail = len(decoder.unused_data)
    r.expect(any(u.get("offset") == os.path.getsize(case.image) - tail
                 for u in case.manifest.get("unclaimed", [])),
             f"the {tail} bytes after the LZMA stream are not left unclaimed")
    r.expect(not case.notes(kinds=("corrupt",)), f"corrupt notes: {notes_text(case.manifest)}")


CASES = {
    "dlink_encrpted_img_fact.bin": dlink("dlink_encrpted_img", b"foobar test!", []),
    "dlink_shrs_fact.bin": dlink("dlink_shrs", b"This is a decrypted test file!",
                                 ["SHA-512 of the ciphertext", "SHA-512 of the plaintext",
                                  "SHA-512 of the plaintext and key"]),
    "arcadyan_obfuscated_fw.bin": arcadyan,
}
