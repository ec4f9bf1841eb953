// Fuzzes the maintenance recording reader: the asciicast lines (strict JSON per line), the
// header, the chain markers and the end marker, the byte mapping back to session bytes, with
// and without an expected head. Also round-trips any input through the text mapping.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "clearbox/maint/recording.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  maint::VerifyOptions options;
  options.allow_incomplete = true;
  uint64_t seen = 0;
  options.on_event = [&](const maint::RecordingEvent& e) -> Status {
    seen += e.data.size();
    return Status::Ok();
  };
  auto r = maint::VerifyRecording(in, options);
  if (r.ok()) {
    if (r->covered_bytes > size || r->head.bytes > size) abort();
    maint::VerifyOptions strict;
    strict.expected = r->head;
    auto again = maint::VerifyRecording(in, strict);
    if (again.ok() && !r->complete) abort();  // a cut-off file can never verify as whole
  } else {
    (void)r.error().message();
  }
  std::string text = maint::BytesToText(in);
  if (maint::TextToBytes(text) != Bytes(in.begin(), in.end())) abort();
  return 0;
}
