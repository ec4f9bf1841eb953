#include "decompress_payload.h"

#include <fmt/format.h>

namespace clearbox::unpack::internal {

Payload StoredPayload(const std::string& label, uint64_t offset, ByteView data) {
  Payload payload;
  payload.label = label;
  payload.offset = offset;
  payload.view = data;
  return payload;
}

Status AddDecompressedPayload(Walker& walker, Codec codec, ByteView data, const std::string& label,
                              uint64_t offset, bool fault_is_corruption) {
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
    return walker.AddPayload(StoredPayload(label, offset, data));
  }
  if (d->failure) {
    walker.AddNote(Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}; handing on the {} bytes decoded", what,
                               d->failure->message(), d->data.size()));
  }
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d->data.size()));
  Payload payload = StoredPayload(label, offset, d->data);
  payload.compressed_size = data.size();
  return walker.AddPayload(std::move(payload));
}

}  // namespace clearbox::unpack::internal
