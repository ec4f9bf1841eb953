// Fuzzes the C2SP signed-note parser and verifier (clearbox/crypto/note.h), and the verifier
// and signer key parsers. Invariant: a note that parses formats back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/crypto/note.h"

namespace {
const clearbox::crypto::NoteVerifier& Peter() {
  static auto v = clearbox::crypto::Ed25519NoteVerifier::FromVerifierKey(
                      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                      .value();
  return *v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::crypto;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto note = ParseNote(input);
  if (note.ok() && FormatNote(*note) != input) std::abort();
  auto opened = OpenNote(input, Peter());
  if (opened.ok() && (!note.ok() || opened->text != note->text)) std::abort();
  (void)ParseVerifierKey(input);
  (void)ParseSignerKey(input);
  (void)Ed25519NoteVerifier::FromVerifierKey(input);
  return 0;
}
