// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): a log's signed tree head as a signed note.
//
//   example.com/behind-the-sofa                      origin
//   20852163                                         tree size, decimal, no leading zeros
//   CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=     root hash, base64
//   [extension lines, non-empty, opaque]
//
//   CLEARBOX_ASSIGN_OR_RETURN(std::string note, SignCheckpoint(cp, signers));
//   CLEARBOX_ASSIGN_OR_RETURN(VerifiedCheckpoint v, OpenCheckpoint(note, *log_verifier));
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::tlog {

// The note text of a checkpoint.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // opaque extension lines, without newlines
  bool operator==(const Checkpoint&) const = default;
};

// The note text: origin, size, base64 root, extension lines, each ending in '\n'.
// Errors: kInvalidInput if the origin or an extension line is empty or contains a newline or
// a control character (it could not be parsed back).
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// Parses a checkpoint note text (the part before the signatures, ending in '\n').
// Errors: kInvalidInput naming the line: fewer than 3 lines, missing final newline, empty
// origin or extension line, a size that is not canonical decimal or overflows uint64, a root
// that is not base64 of 32 bytes.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Formats and signs a checkpoint with each signer, in order.
// Errors: FormatCheckpoint's, SignNote's.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint,
                                   std::span<const crypto::NoteSigner* const> signers);

// A checkpoint whose log signature verified.
struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  crypto::OpenedNote note;  // which signatures verified (the log's, and any of `others`)
  std::string signed_note;  // the note as received, byte for byte
};

// Verifies a signed checkpoint: the note must carry a valid signature by `log_key` (a valid
// signature by one of `others` alone is not enough), every signature by a known key must
// verify, and the text must be a checkpoint. If `expected_origin` is not empty the origin
// must equal it.
// Errors: OpenNote's; kVerificationFailed "checkpoint is not signed by <name>+<hex8>",
// "checkpoint origin <o>, want <e>"; ParseCheckpoint's.
Result<VerifiedCheckpoint> OpenCheckpoint(std::string_view signed_note,
                                          const crypto::NoteVerifier& log_key,
                                          std::span<const crypto::NoteVerifier* const> others = {},
                                          std::string_view expected_origin = {});

}  // namespace clearbox::tlog
