#include "decompress_payload.h"

#include <fmt/format.h>

#include <cstring>

namespace clearbox::unpack::internal {

Payload StoredPayload(const std::string& label, uint64_t offset, ByteView data) {
  Payload payload;
  payload.label = label;
  payload.offset = offset;
  payload.view = data;
  return payload;
}

bool IdentifiedAtStart(ByteView data) {
  for (const FormatHandler* f : AllFormats()) {
    if (f->probe == nullptr) continue;
    for (const Magic& m : f->magics) {
      if (FitsIn(data, m.offset, m.bytes.size()) &&
          std::memcmp(data.data() + m.offset, m.bytes.data(), m.bytes.size()) == 0 &&
          f->probe(data)) {
        return true;
      }
    }
  }
  return false;
}

Status HandOn(Walker& walker, ByteView data, const std::string& label, uint64_t offset,
              const PayloadFile& file, uint64_t compressed_size) {
  if (!IdentifiedAtStart(data)) {
    Node node;
    node.path = file.name;
    node.type = NodeType::kFile;
    node.mode = 0644;
    node.mtime = file.mtime;
    node.size = data.size();
    ViewReader content(data);
    CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), &content));
  }
  Payload payload = StoredPayload(label, offset, data);
  payload.compressed_size = compressed_size;
  return walker.AddPayload(std::move(payload));
}

Status AddDecompressedPayload(Walker& walker, Codec codec, ByteView data, const std::string& label,
                              uint64_t offset, const PayloadFile& file, bool fault_is_corruption) {
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
    return HandOn(walker, data, label, offset, file);
  }
  if (d->failure) {
    walker.AddNote(Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}; handing on the {} bytes decoded", what,
                               d->failure->message(), d->data.size()));
  }
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d->data.size()));
  return HandOn(walker, d->data, label, offset, file, data.size());
}

}  // namespace clearbox::unpack::internal
