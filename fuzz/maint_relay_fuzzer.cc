// Fuzzes the live-observer protocol (clearbox/maint/observer.h) as the relay, the recorder and
// an observer read it: the frame splitter fed in pieces, every frame's message parser, and
// re-encoding what parsed (it must parse again to the same message). Also checks a challenge
// answer taken from the input against a fixed approver list (it must never verify).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "clearbox/maint/observer.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  maint::FrameReader reader;
  // The first byte picks how the stream is cut, as reads of a socket would cut it.
  size_t step = size > 0 ? size_t(data[0] % 17) + 1 : 1;
  for (size_t at = 0; at < size; at += step) {
    reader.Append(in.subspan(at, std::min(step, size - at)));
    for (;;) {
      auto f = reader.Next();
      if (!f.ok() || !*f) break;
      if ((*f)->payload.size() + 1 > maint::RelayLimits::kMaxFrameBytes) abort();
      auto m = maint::ParseMessage(**f);
      if (!m.ok()) continue;
      std::string again = maint::EncodeMessage(*m);
      maint::FrameReader r2;
      r2.Append(AsBytes(again));
      auto f2 = r2.Next();
      if (!f2.ok() || !*f2) abort();
      auto m2 = maint::ParseMessage(**f2);
      if (!m2.ok()) abort();
      if (m2->type != m->type || !(m2->session == m->session) || m2->nonce != m->nonce ||
          m2->keyid != m->keyid || m2->signature != m->signature ||
          m2->observer != m->observer || m2->name != m->name || m2->text != m->text ||
          m2->data != m->data) {
        abort();
      }
      if (m->type == maint::FrameType::kJoin || m->type == maint::FrameType::kAuth) {
        std::vector<maint::Person> none;
        if (maint::VerifyObserver(none, m->session, m->nonce, m->keyid, m->signature).ok()) {
          abort();
        }
      }
    }
  }
  (void)reader.AtEnd();
  return 0;
}
