#!/usr/bin/python3
"""DSSE envelopes checked and made by securesystemslib (Debian python3-securesystemslib 0.26),
the independent peer of clearbox's release module (tests/release_dsse_interop_test.sh).

Debian's 0.26 ships no Envelope class (securesystemslib.metadata came later), so PAE and the
JSON envelope are written here from the DSSE spec; the keys, keyids, signing and
verification are securesystemslib's own.

  sslib_dsse.py verify ENVELOPE VERIFIER_KEY   a clearbox envelope, clearbox's note key
  sslib_dsse.py sign ed25519|ecdsa ENVELOPE PUBLIC_KEY_OUT
"""
import base64
import hashlib
import json
import sys

from securesystemslib import keys as sslib_keys
from securesystemslib.signer import Signature, SSlibKey, SSlibSigner

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def key_from_note_vkey(text: str) -> SSlibKey:
    """A C2SP verifier key (name+hex8+base64(0x01 || key)) as a securesystemslib key."""
    name, _, b64 = text.strip().split("+", 2)
    raw = base64.b64decode(b64)
    assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 note key"
    meta = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": raw[1:].hex()}}
    key_dict, _ = sslib_keys.format_metadata_to_key(meta)  # computes the keyid
    return SSlibKey.from_securesystemslib_key(key_dict)


def verify(envelope_path: str, vkey_path: str) -> int:
    env = json.load(open(envelope_path))
    key = key_from_note_vkey(open(vkey_path).read())
    payload = base64.b64decode(env["payload"], validate=True)
    assert env["payloadType"] == PAYLOAD_TYPE, env["payloadType"]
    ok = 0
    for s in env["signatures"]:
        sig = Signature(s["keyid"], base64.b64decode(s["sig"], validate=True).hex())
        if s["keyid"] != key.keyid:
            print(f"keyid {s['keyid']} differs from securesystemslib's {key.keyid}")
            return 1
        key.verify_signature(sig, pae(env["payloadType"], payload))  # raises if invalid
        ok += 1
        # And a one-byte change must not verify.
        try:
            key.verify_signature(sig, pae(env["payloadType"], payload + b" "))
            print("a tampered payload verified")
            return 1
        except Exception:  # securesystemslib raises UnverifiedSignatureError
            pass
    statement = json.loads(payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    print(f"securesystemslib: {ok} signature(s) verified, keyid {key.keyid}, "
          f"predicateType {statement['predicateType']}")
    return 0 if ok else 1


def note_vkey(name: str, public: bytes) -> str:
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    typed = base64.b64encode(bytes([1]) + public).decode()
    return f"{name}+{key_id.hex()}+{typed}\n"


def sign(kind: str, envelope_path: str, public_out: str) -> int:
    if kind == "ed25519":
        key_dict = sslib_keys.generate_ed25519_key()
        public_text = note_vkey("sslib.example", bytes.fromhex(key_dict["keyval"]["public"]))
    else:
        key_dict = sslib_keys.generate_ecdsa_key("ecdsa-sha2-nistp256")
        public_text = key_dict["keyval"]["public"]
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "fw.bin", "digest": {"sha256": hashlib.sha256(b"fw").hexdigest()}}],
        "predicateType": "https://clearbox.dev/release/v1",
        "predicate": {"vendor": "sslib", "product": "p", "version": "1", "securityVersion": 3,
                      "pledgeDigest": {"sha256": "a" * 64}},
    }
    payload = json.dumps(statement, separators=(",", ":")).encode()
    sig = SSlibSigner(key_dict).sign(pae(PAYLOAD_TYPE, payload))
    env = {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
           "signatures": [{"keyid": sig.keyid,
                           "sig": base64.b64encode(bytes.fromhex(sig.signature)).decode()}]}
    json.dump(env, open(envelope_path, "w"))
    open(public_out, "w").write(public_text)
    print(f"securesystemslib signed with {kind} key {sig.keyid}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    sys.exit(sign(sys.argv[2], sys.argv[3], sys.argv[4]))
