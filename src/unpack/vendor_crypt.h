// Vendor firmware encryptions and obfuscations whose keys and algorithms are public.
//
//   Result<vendor_crypt::Decoded> d = vendor_crypt::DecryptShrs(image, budget);
//   for (const Note& n : d->notes) ...;   // scheme and key source, digest checks, truncation
//   Use(d->data);                         // the plaintext firmware
//
// Schemes (implemented from the published descriptions; no code copied):
//
// D-Link "encrpted_img" (DIR-X1560, DIR-X5460, ...): "encrpted_img" (12 bytes), BE32 size of
//   the ciphertext, then AES-256-CBC data (no padding) with the fixed key/IV that EMBA
//   recovered from the device (e-m-b-a.github.io "Dlink encrpted_img extractor", 2022) and
//   unblob publishes (unblob/handlers/archive/dlink/encrpted_img.py). The plaintext is a UBI
//   image; each 128 KiB erase block is encrypted with the IV afresh (EMBA's extractor
//   decrypts block by block; unblob patches the first 16 bytes of every block instead), so
//   each block is decrypted on its own, or chained when only that yields a UBI header.
// D-Link SHRS (DIR-3040, DIR-X...): header of 0x6DC bytes, big-endian: "SHRS", plaintext size,
//   ciphertext size, IV[16], SHA-512(plaintext || key), SHA-512(plaintext),
//   SHA-512(ciphertext), 512 unused bytes, two 512-byte signatures; then AES-128-CBC data
//   with the key C05FBF19...6AD8 (0xricksanchez/dlink-decrypt: the key is itself an AES
//   decryption of a constant found in the firmware; also unblob's shrs.py). The three
//   digests are verified.
// D-Link / Alpha Networks "alpha_encimg" (DIR-842, DIR-859, DIR-850L, DAP-1665, ...): the
//   whole image is AES-256-CBC encrypted with a per-model key and IV from D-Link's GPL
//   releases (fw_sign_data.c), each XORed with the SEAMA signature and (i + 1) (OpenWrt
//   firmware-utils alpha_encimg.c, OpenWrt image commands; unblob alpha_encimg.py lists the
//   keys). The plaintext is a SEAMA image: a seal header (magic 0x5EA3A417, metasize, size
//   0) with "signature=<model signature>", then an entity header with the image size and
//   the MD5 of the image (OpenWrt oseama.c), which is verified.
// Arcadyan obfuscated LZMA (binwalk v2 "Obfuscated Arcadyan firmware", binwalk v3
//   extractors/arcadyan.rs): an LZMA stream at offset 4 whose first 32 bytes (at 4) and the
//   32 bytes at 0x68 are swapped, and the block that lands at 4 has each byte's nibbles
//   swapped and each pair of bytes swapped.
// EnGenius XOR (ryancdotorg's write-up, EMBA P16, unblob engenius.py): a big-endian header
//   (magic 0x12345678 at 0x5C followed by the regulatory domain, model name at 0x88 of
//   model_len bytes) then `length` bytes XORed with the 8-byte key AC 78 3C 9E CF 67 B3 59.
//   The key's phase is where the key first shows in clear (a run of zero plaintext), as
//   unblob finds it; without such a run the phase starts at the data.
//
// Pure functions; thread-safe. Every length is checked against the input; the output never
// exceeds `max_out` (kLimitExceeded otherwise).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::vendor_crypt {

// What a scheme decoded.
struct Decoded {
  Bytes data;                   // the plaintext payload
  uint64_t payload_offset = 0;  // where its bytes start in the container
  uint64_t length = 0;          // bytes the container spans (clamped to the input)
  std::string detail;           // for the summary note: "AES-256-CBC, 2 erase blocks"
  std::vector<Note> notes;      // kCorrupt facts (digest mismatch, truncation), kInfo facts
};

// AES-CBC decryption of whole 16-byte blocks, no padding, with OpenSSL. `key` is 16 or 32
// bytes, `iv` 16; `out` receives in.size() bytes (in.size() a multiple of 16).
Status AesCbcDecrypt(ByteView key, ByteView iv, ByteView in, uint8_t* out);

// ---- D-Link encrpted_img
inline constexpr std::string_view kEncrptedImgMagic = "encrpted_img";
inline constexpr size_t kEncrptedImgHeaderSize = 16;
inline constexpr size_t kEncrptedImgBlockSize = 0x20000;  // UBI erase block
std::string_view EncrptedImgKey();                        // 32 bytes, AES-256
std::string_view EncrptedImgIv();                         // 16 bytes
// The ciphertext size, or nullopt without the magic.
std::optional<uint32_t> ReadEncrptedImgSize(ByteView data);
Result<Decoded> DecryptEncrptedImg(ByteView container, uint64_t max_out);

// ---- D-Link SHRS
inline constexpr size_t kShrsHeaderSize = 0x6DC;
struct ShrsHeader {
  uint32_t plain_size = 0;
  uint32_t cipher_size = 0;
  ByteView iv, digest_plain_key, digest_plain, digest_cipher;  // views into the header
  ByteView reserved;                                           // 512 bytes, zero when unused
};
ByteView ShrsKey();  // 16 bytes, AES-128
// The header at the start of `data`: nullopt without the magic or the 0x6DC bytes.
std::optional<ShrsHeader> ReadShrsHeader(ByteView data);
// Sizes an SHRS image has: whole AES blocks, a plaintext at most one block shorter.
bool ShrsSizesConsistent(const ShrsHeader& h);
// Worth opening: consistent sizes, or (lying sizes, reported as notes) the unused bytes zero.
bool ShrsPlausible(const ShrsHeader& h);
Result<Decoded> DecryptShrs(ByteView container, uint64_t max_out);

// ---- D-Link alpha_encimg
struct AlphaDevice {
  std::string_view model;               // "DIR-842 C1/C2"
  std::string_view signature;           // SEAMA signature, the key mangling input
  std::string_view key;                 // 32 characters; empty: no key is published
  std::string_view iv;                  // 16 characters
  std::array<uint8_t, 16> first_block;  // the image's first ciphertext block
};
std::span<const AlphaDevice> AlphaDevices();
// The device whose known first ciphertext block starts `data`, or nullptr.
const AlphaDevice* FindAlphaDevice(ByteView data);
// secret[i] ^ (i + 1) ^ signature[i % size]: how the stored key and IV become the AES ones.
Bytes AlphaMangle(std::string_view signature, std::string_view secret);
// The plaintext first block checked against the device's signature: a device with a key whose
// SEAMA seal decrypts and names it. Used by the probe.
bool AlphaHeaderDecrypts(const AlphaDevice& device, ByteView data);
Result<Decoded> DecryptAlphaEncimg(ByteView container, uint64_t max_out);

// ---- D-Link / Alpha Networks encimg v2 (DAP-2xxx access points): a plain WRGG03 header
// (OpenWrt mkwrggimg.c: signature[32], magic 0x20080321 twice, version, model, flags,
// build number, fsize at 0x68, offset, device name, digest[16]; 0xA0 bytes, little- or
// big-endian: the fsize reading that fits tells) and fsize bytes of AES-256-CBC with one key and IV
// for all models, mangled with the signature as above (unblob alpha_encimg.py, devttys0's
// delink encimg.rs).
inline constexpr size_t kWrggHeaderSize = 0xA0;
struct WrggHeader {
  std::string signature;  // "wapnd15_dlink_dap2695"
  std::string model, version;
  bool big_endian = false;
  uint32_t fsize = 0;
  ByteView digest;  // 16 bytes
};
// The header, when its payload's first block does not look like plaintext (a WRGG03 image
// that is not encrypted is left to others).
std::optional<WrggHeader> ReadEncryptedWrggHeader(ByteView data);
std::string_view WrggKey();  // before mangling
std::string_view WrggIv();
Result<Decoded> DecryptAlphaEncimgV2(ByteView container, uint64_t max_out);

// ---- Arcadyan obfuscated LZMA
inline constexpr size_t kArcadyanBlockSize = 32;
inline constexpr size_t kArcadyanBlock1 = 4;
inline constexpr size_t kArcadyanBlock2 = 0x68;
inline constexpr size_t kArcadyanLzmaOffset = 4;
inline constexpr size_t kArcadyanMinSize = kArcadyanBlock2 + kArcadyanBlockSize;
inline constexpr std::string_view kArcadyanMagic{"\x00\xD5\x08\x00", 4};  // at 0x68
// De-obfuscates (or obfuscates: the two are the same operation in reverse order) the first
// 0x88 bytes in place. `image` must hold at least kArcadyanMinSize bytes.
void ArcadyanDeobfuscate(std::span<uint8_t> image);
void ArcadyanObfuscate(std::span<uint8_t> image);
// Whether the de-obfuscated header is a plausible .lzma header (props, dictionary size).
bool ArcadyanPlausible(ByteView container);
// The whole container de-obfuscated (payload_offset 4: the LZMA stream starts there).
Result<Decoded> DeobfuscateArcadyan(ByteView container, uint64_t max_out);

// ---- EnGenius XOR
inline constexpr size_t kEngeniusMagicOffset = 0x5C;
inline constexpr size_t kEngeniusModelOffset = 0x88;
inline constexpr size_t kEngeniusMaxModel = 64;
inline constexpr std::array<uint8_t, 8> kEngeniusKey = {0xAC, 0x78, 0x3C, 0x9E,
                                                        0xCF, 0x67, 0xB3, 0x59};
struct EngeniusHeader {
  uint32_t vendor_id = 0, product_id = 0, length = 0;
  std::string version, reg_domain, model;
  ByteView checksum;  // 16 bytes; its algorithm is not published
  size_t header_size = 0;
};
std::optional<EngeniusHeader> ReadEngeniusHeader(ByteView data);
// XORs `data` with the key at `phase` (key index of data[0]).
void EngeniusXor(std::span<uint8_t> data, size_t phase);
Result<Decoded> DecodeEngenius(ByteView container, uint64_t max_out);

}  // namespace clearbox::unpack::vendor_crypt
