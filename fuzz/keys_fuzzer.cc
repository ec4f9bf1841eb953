// Fuzzes the key material parser (src/audit/key_parse.h): the input is scanned as a whole
// key file and as a binary (PEM blocks, embedded DER), and its first line, when it is an
// authorized_keys-style "type base64", as an SSH public key blob.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/key_parse.h"
#include "clearbox/core/encoding.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView bytes(data, size);
  for (bool whole : {true, false}) {
    audit::KeyScan scan = audit::ScanKeyMaterial(bytes, {whole, !whole});
    for (const audit::ParsedKey& k : scan.keys) (void)k.Describe();
  }
  (void)audit::ParseSshPublicBlob(bytes);
  std::string_view text = AsChars(bytes);
  size_t space = text.find(' ');
  if (space != std::string_view::npos) {
    std::string_view b64 = text.substr(space + 1, text.find_first_of(" \n", space + 1) - space - 1);
    if (auto blob = Base64Decode(b64)) (void)audit::ParseSshPublicBlob(*blob);
  }
  return 0;
}
