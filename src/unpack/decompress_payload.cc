#include "decompress_payload.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

namespace clearbox::unpack::internal {

Payload StoredPayload(const std::string& label, uint64_t offset, ByteView data) {
  Payload payload;
  payload.label = label;
  payload.offset = offset;
  payload.view = data;
  return payload;
}

namespace {

// Formats that describe bytes without containing them: a kernel's banner or embedded config,
// a UPX-packed executable. A payload they recognise is still a file of its own (a vmlinux
// that starts with its banner), listed and then carved, where they are found again.
bool DescribesOnly(const FormatHandler& f) {
  return f.name == "linux" || f.name == "ikconfig" || f.name == "upx";
}

const FormatHandler* FormatAtStart(ByteView data) {
  for (const FormatHandler* f : AllFormats()) {
    if (f->probe == nullptr || DescribesOnly(*f)) continue;
    for (const Magic& m : f->magics) {
      if (FitsIn(data, m.offset, m.bytes.size()) &&
          std::memcmp(data.data() + m.offset, m.bytes.data(), m.bytes.size()) == 0 &&
          f->probe(data)) {
        return f;
      }
    }
  }
  return nullptr;
}

// The codec of a bare compressed stream format (what a kernel part is often packed with).
std::optional<Codec> StreamCodecOf(const FormatHandler& f) {
  static constexpr std::pair<std::string_view, Codec> kStreams[] = {
      {"gzip", Codec::kGzip},   {"xz", Codec::kXz},     {"lzma", Codec::kLzmaAlone},
      {"bzip2", Codec::kBzip2}, {"zstd", Codec::kZstd}, {"lz4", Codec::kLz4Frame}};
  for (const auto& [name, codec] : kStreams) {
    if (f.name == name) return codec;
  }
  return std::nullopt;
}

// A compressed payload inside a compressed payload is decoded again, this many times at most.
constexpr int kMaxStreamNesting = 4;

Status HandOnAt(Walker& walker, ByteView data, const std::string& label, uint64_t offset,
                const PayloadFile& file, uint64_t compressed_size, int nesting);

Status Decode(Walker& walker, Codec codec, ByteView data, const std::string& label, uint64_t offset,
              const PayloadFile& file, bool fault_is_corruption, int nesting,
              uint64_t* consumed = nullptr) {
  const std::string what = label.empty() ? std::string("payload") : label;
  DecompressOptions options;
  options.max_out = walker.OutputBudget(data.size());
  options.keep_partial = true;
  Result<Decompressed> d = DecompressEx(codec, data, options);
  if (!d.ok() && d.error().code() == ErrorCode::kLimitExceeded) {
    walker.AddNote(Note::Kind::kLimit, offset, fmt::format("{}: {}", what, d.error().message()));
    return Status::Ok();
  }
  if (!d.ok() || d->data.empty()) {
    const std::string& why = d.ok() ? d->failure->message() : d.error().message();
    walker.AddNote(fault_is_corruption ? Note::Kind::kCorrupt : Note::Kind::kInfo, offset,
                   fmt::format("{}: {}; handed on as stored", what, why));
    return HandOnAt(walker, data, label, offset, file, 0, kMaxStreamNesting);
  }
  if (d->failure) {
    walker.AddNote(Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}; handing on the {} bytes decoded", what,
                               d->failure->message(), d->data.size()));
  }
  // A stream cut short spans what was read up to its fault; carving resumes there.
  if (consumed != nullptr) *consumed = d->consumed.value_or(d->failed_at.value_or(0));
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d->data.size()));
  return HandOnAt(walker, d->data, label, offset, file, data.size(), nesting + 1);
}

Status HandOnAt(Walker& walker, ByteView data, const std::string& label, uint64_t offset,
                const PayloadFile& file, uint64_t compressed_size, int nesting) {
  const FormatHandler* format = FormatAtStart(data);
  // A part that is one bare compressed stream (a multi-file uImage's lzma kernel, a TRX
  // partition's gzip) is decoded here, so that its content is listed as the part's file.
  if (format != nullptr && nesting < kMaxStreamNesting) {
    if (std::optional<Codec> codec = StreamCodecOf(*format)) {
      return Decode(walker, *codec, data, label, offset, file, /*fault_is_corruption=*/false,
                    nesting);
    }
  }
  if (format == nullptr) CLEARBOX_RETURN_IF_ERROR(AddPayloadFile(walker, data, file));
  Payload payload = StoredPayload(label, offset, data);
  payload.compressed_size = compressed_size;
  payload.listed_as_file = format == nullptr;
  return walker.AddPayload(std::move(payload));
}

}  // namespace

Status AddPayloadFile(Walker& walker, ByteView data, const PayloadFile& file) {
  Node node;
  node.path = file.name;
  node.type = NodeType::kFile;
  node.mode = 0644;
  node.mtime = file.mtime;
  node.size = data.size();
  ViewReader content(data);
  return walker.AddNode(std::move(node), &content);
}

bool IdentifiedAtStart(ByteView data) { return FormatAtStart(data) != nullptr; }

Status HandOn(Walker& walker, ByteView data, const std::string& label, uint64_t offset,
              const PayloadFile& file, uint64_t compressed_size) {
  return HandOnAt(walker, data, label, offset, file, compressed_size, 0);
}

Status AddDecompressedPayload(Walker& walker, Codec codec, ByteView data, const std::string& label,
                              uint64_t offset, const PayloadFile& file, bool fault_is_corruption) {
  return Decode(walker, codec, data, label, offset, file, fault_is_corruption, 0);
}

Result<uint64_t> OpenStreamContainer(Walker& walker, Codec codec, ByteView container,
                                     const PayloadFile& file) {
  uint64_t consumed = 0;
  CLEARBOX_RETURN_IF_ERROR(
      Decode(walker, codec, container, "", 0, file, /*fault_is_corruption=*/true, 0, &consumed));
  return consumed;
}

}  // namespace clearbox::unpack::internal
