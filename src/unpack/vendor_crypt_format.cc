// Format handlers for vendor encryptions and obfuscations with public keys (vendor_crypt.h):
// each decrypts its container and hands the plaintext on as one payload, with a note naming
// the scheme and where the key comes from, and the header's digests checked.
#include <fmt/format.h>

#include <cstring>

#include "decompress.h"
#include "decompress_payload.h"
#include "internal/format.h"
#include "vendor_crypt.h"

namespace clearbox::unpack::internal {
namespace {

namespace vc = vendor_crypt;

// Reports the notes and the summary, then hands the plaintext on (decoded again when it is a
// bare compressed stream; listed as the file `file_name` when no format recognises it).
Result<uint64_t> HandOnDecoded(Walker& walker, vc::Decoded d, std::string_view scheme,
                               std::string_view file_name) {
  walker.AddNote(Note::Kind::kInfo, 0, fmt::format("{}: {}", scheme, d.detail));
  for (Note& n : d.notes) walker.AddNote(n.kind, n.offset, std::move(n.message));
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d.data.size()));
  CLEARBOX_RETURN_IF_ERROR(
      HandOn(walker, d.data, "", d.payload_offset, PayloadFile{std::string(file_name)}));
  return d.length;
}

// ---- D-Link encrpted_img

std::optional<Match> ProbeEncrptedImg(ByteView data) {
  std::optional<uint32_t> size = vc::ReadEncrptedImgSize(data);
  if (!size || *size < 16) return std::nullopt;
  Match m;
  m.length = vc::kEncrptedImgHeaderSize + uint64_t{*size};
  m.detail = fmt::format("{} bytes of ciphertext", *size);
  return m;
}

Result<uint64_t> OpenEncrptedImg(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(
      vc::Decoded d, vc::DecryptEncrptedImg(container, walker.OutputBudget(container.size())));
  return HandOnDecoded(walker, std::move(d), "D-Link encrpted_img, published key (EMBA, unblob)",
                       "decrypted");
}

// ---- D-Link SHRS

std::optional<Match> ProbeShrs(ByteView data) {
  std::optional<vc::ShrsHeader> h = vc::ReadShrsHeader(data);
  if (!h || !vc::ShrsPlausible(*h)) return std::nullopt;
  Match m;
  m.length = vc::kShrsHeaderSize + uint64_t{h->cipher_size};
  m.detail = fmt::format("{} bytes of plaintext", h->plain_size);
  return m;
}

Result<uint64_t> OpenShrs(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(vc::Decoded d,
                            vc::DecryptShrs(container, walker.OutputBudget(container.size())));
  return HandOnDecoded(walker, std::move(d), "D-Link SHRS, published key (dlink-decrypt, unblob)",
                       "decrypted");
}

// ---- D-Link / Alpha Networks encimg

std::vector<Magic> AlphaMagics() {
  std::vector<Magic> magics;
  for (const vc::AlphaDevice& dev : vc::AlphaDevices()) {
    magics.push_back(
        {std::string_view(reinterpret_cast<const char*>(dev.first_block.data()), 16), 0});
  }
  return magics;
}

std::optional<Match> ProbeAlpha(ByteView data) {
  const vc::AlphaDevice* dev = vc::FindAlphaDevice(data);
  if (dev == nullptr) return std::nullopt;
  Match m;
  m.detail = std::string(dev->model);
  if (dev->key.empty()) {
    // Sixteen bytes of known ciphertext are proof enough; without a key it stays closed.
    m.unsupported = true;
    m.detail += ", no published key";
    return m;
  }
  if (!vc::AlphaHeaderDecrypts(*dev, data)) return std::nullopt;
  return m;
}

Result<uint64_t> OpenAlpha(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(
      vc::Decoded d, vc::DecryptAlphaEncimg(container, walker.OutputBudget(container.size())));
  return HandOnDecoded(walker, std::move(d),
                       "D-Link alpha_encimg, published key (D-Link GPL fw_sign_data.c)", "image");
}

std::optional<Match> ProbeAlphaV2(ByteView data) {
  std::optional<vc::WrggHeader> h = vc::ReadEncryptedWrggHeader(data);
  if (!h) return std::nullopt;
  Match m;
  m.length = vc::kWrggHeaderSize + uint64_t{h->fsize};
  m.detail = fmt::format("signature \"{}\"", h->signature);
  return m;
}

Result<uint64_t> OpenAlphaV2(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(
      vc::Decoded d, vc::DecryptAlphaEncimgV2(container, walker.OutputBudget(container.size())));
  return HandOnDecoded(walker, std::move(d),
                       "D-Link alpha_encimg v2, published key (unblob, delink)", "image");
}

// ---- Arcadyan obfuscated LZMA

std::optional<Match> ProbeArcadyan(ByteView data) {
  if (!vc::ArcadyanPlausible(data)) return std::nullopt;
  // Only a stream that decodes is one: try the LZMA format's probe on the de-obfuscated start.
  static const FormatHandler* lzma = FindFormat("lzma");
  if (lzma == nullptr || lzma->probe == nullptr) return std::nullopt;
  Bytes head(data.begin(), data.begin() + std::min(data.size(), kMaxProbeBytes));
  vc::ArcadyanDeobfuscate(head);
  if (!lzma->probe(ByteView(head).subspan(vc::kArcadyanLzmaOffset))) return std::nullopt;
  Match m;
  m.detail = fmt::format("tag {:#010x}", LoadBE32(data.data()));
  return m;
}

Result<uint64_t> OpenArcadyan(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(
      vc::Decoded d, vc::DeobfuscateArcadyan(container, walker.OutputBudget(container.size())));
  walker.AddNote(
      Note::Kind::kInfo, 0,
      fmt::format("Arcadyan obfuscated LZMA, published algorithm (binwalk): {}", d.detail));
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d.data.size()));
  ByteView stream = ByteView(d.data).subspan(vc::kArcadyanLzmaOffset);
  DecompressOptions options;
  options.max_out = walker.OutputBudget(stream.size());
  options.keep_partial = true;
  Result<Decompressed> out = DecompressEx(Codec::kLzmaAlone, stream, options);
  if (!out.ok() || out->data.empty()) {
    if (!out.ok() && out.error().code() == ErrorCode::kLimitExceeded) {
      walker.AddNote(Note::Kind::kLimit, vc::kArcadyanLzmaOffset,
                     fmt::format("arcadyan: {}", out.error().message()));
      return uint64_t{0};
    }
    walker.AddNote(Note::Kind::kCorrupt, vc::kArcadyanLzmaOffset,
                   fmt::format("arcadyan: {}; the de-obfuscated stream is handed on as stored",
                               out.ok() ? out->failure->message() : out.error().message()));
    CLEARBOX_RETURN_IF_ERROR(
        HandOn(walker, stream, "", vc::kArcadyanLzmaOffset, PayloadFile{"lzma"}));
    return uint64_t{0};
  }
  if (out->failure) {
    walker.AddNote(Note::Kind::kCorrupt, vc::kArcadyanLzmaOffset,
                   fmt::format("arcadyan: {}; handing on the {} bytes decoded",
                               out->failure->message(), out->data.size()));
  }
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(out->data.size()));
  uint64_t end = out->consumed ? vc::kArcadyanLzmaOffset + *out->consumed : 0;
  CLEARBOX_RETURN_IF_ERROR(
      HandOn(walker, out->data, "", vc::kArcadyanLzmaOffset, PayloadFile{"kernel"}, stream.size()));
  return end;
}

// ---- EnGenius XOR

std::optional<Match> ProbeEngenius(ByteView data) {
  std::optional<vc::EngeniusHeader> h = vc::ReadEngeniusHeader(data);
  if (!h) return std::nullopt;
  Match m;
  m.length = h->header_size + uint64_t{h->length};
  m.detail = fmt::format("model \"{}\"", h->model);
  return m;
}

Result<uint64_t> OpenEngenius(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(vc::Decoded d,
                            vc::DecodeEngenius(container, walker.OutputBudget(container.size())));
  return HandOnDecoded(walker, std::move(d), "EnGenius XOR, published key (ryancdotorg, unblob)",
                       "decoded");
}

}  // namespace

extern const FormatHandler kDlinkEncrptedImgFormat = {
    .name = "dlink_encrpted_img",
    .magics = {{vc::kEncrptedImgMagic, 0}},
    .flags = 0,
    .probe = ProbeEncrptedImg,
    .open = OpenEncrptedImg,
    .open_stream = nullptr,
};

extern const FormatHandler kDlinkShrsFormat = {
    .name = "dlink_shrs",
    .magics = {{"SHRS", 0}},
    .flags = 0,
    .probe = ProbeShrs,
    .open = OpenShrs,
    .open_stream = nullptr,
};

extern const FormatHandler kDlinkAlphaEncimgFormat = {
    .name = "dlink_alpha_encimg",
    .magics = AlphaMagics(),
    .flags = 0,
    .probe = ProbeAlpha,
    .open = OpenAlpha,
    .open_stream = nullptr,
};

// The WRGG03 magic 0x20080321 twice, in either byte order, after the 32-byte signature.
extern const FormatHandler kDlinkAlphaEncimgV2Format = {
    .name = "dlink_alpha_encimg_v2",
    .magics = {{std::string_view("\x21\x03\x08\x20\x21\x03\x08\x20", 8), 0x20},
               {std::string_view("\x20\x08\x03\x21\x20\x08\x03\x21", 8), 0x20}},
    .flags = 0,
    .probe = ProbeAlphaV2,
    .open = OpenAlphaV2,
    .open_stream = nullptr,
};

extern const FormatHandler kArcadyanObfuscatedFormat = {
    .name = "arcadyan_obfuscated",
    .magics = {{vc::kArcadyanMagic, vc::kArcadyanBlock2}},
    .flags = 0,
    .probe = ProbeArcadyan,
    .open = OpenArcadyan,
    .open_stream = nullptr,
};

// unblob's pattern: the magic and the regulatory domain "all" (four bytes alone are too
// common in binaries to carve on).
extern const FormatHandler kEngeniusFormat = {
    .name = "engenius",
    .magics = {{std::string_view("\x12\x34\x56\x78"
                                 "all",
                                 7),
                vc::kEngeniusMagicOffset}},
    .flags = 0,
    .probe = ProbeEngenius,
    .open = OpenEngenius,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
