// The verifier key of the test log "example.com/log/testdata" that the tlog targets check
// signatures against (the C2SP test vectors' key): parsed once, shared by the targets.
#pragma once

#include "clearbox/crypto/note.h"

namespace clearbox::fuzz {

inline const crypto::NoteVerifier& TestLogKey() {
  static auto v = crypto::Ed25519NoteVerifier::FromVerifierKey(
                      "example.com/log/testdata+33d7b496+"
                      "AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx")
                      .value();
  return *v;
}

}  // namespace clearbox::fuzz
