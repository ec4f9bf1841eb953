// The SSH key types clearbox reads, shared by the certificate and KRL code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "maint/ssh_wire.h"

namespace clearbox::maint {

enum class KeyShape { kEd25519, kEcdsa, kRsa, kSkEd25519, kSkEcdsa };

struct KeyKind {
  std::string_view name;       // "ssh-ed25519"
  std::string_view cert_name;  // "ssh-ed25519-cert-v01@openssh.com"
  std::string_view label;      // "ED25519", as ssh-keygen prints it
  KeyShape shape;
  std::string_view curve;  // ECDSA curve name
  size_t point;            // Ed25519 key or ECDSA point length
};

const KeyKind* FindKeyKind(std::string_view type);
const KeyKind* FindCertKind(std::string_view cert_type);

// Reads the key fields of `kind` (after its type string) and returns the plain public key
// blob: string kind.name, then the fields. Checks each field's shape.
Result<Bytes> ReadKeyFields(wire::WireReader& r, const KeyKind& kind);

// One "TYPE BASE64 [COMMENT]" line, base64 decoded.
struct SplitLine {
  std::string type;
  Bytes blob;
  std::string comment;
};
Result<SplitLine> SplitKeyFileLine(std::string_view line, std::string_view what);

}  // namespace clearbox::maint
