// Authenticated submissions to a log: how `POST /add` proves which submitter sent an entry.
//
// The request carries one header
//
//   Clearbox-Submitter: <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>
//
// which is a c2sp.org/signed-note signature line (without the leading "— ") over the note text
//
//   clearbox.dev/log-add/v1\n
//   <log origin>\n
//   <base64 SHA-256 of the request body>\n
//
// made with the submitter's Ed25519 note key (`clearbox key generate`); the log's config lists
// the submitters' verifier keys. The first line separates this from every other use of the key
// (a submission can never be mistaken for a signed checkpoint); the origin binds it to one
// log, so a captured request cannot be replayed into another log that trusts the same key.
// Replaying it into the same log is harmless: identical entries are deduplicated.
//
//   client:  headers.emplace_back(kSubmitterHeader, *SignSubmission(origin, body, signer));
//   server:  Status s = VerifySubmission(origin, body, header_value, submitter_verifiers);
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"

namespace clearbox::tlog {

inline constexpr std::string_view kSubmitterHeader = "Clearbox-Submitter";
inline constexpr std::string_view kSubmissionContext = "clearbox.dev/log-add/v1";

// The note text a submitter signs for `body` sent to the log `origin`.
std::string SubmissionText(std::string_view origin, ByteView body);

// The Clearbox-Submitter header value. Errors: kInternal (signing failed).
Result<std::string> SignSubmission(std::string_view origin, ByteView body,
                                   const crypto::NoteSigner& signer);

// Checks a Clearbox-Submitter header value against the allowed submitters and returns the
// submitter's key name. Errors, all kPermissionDenied with a message for the client:
// "missing Clearbox-Submitter header", "malformed Clearbox-Submitter header",
// "unknown submitter key <name>+<hex8>", "bad submitter signature by <name>".
Result<std::string> VerifySubmission(std::string_view origin, ByteView body,
                                     std::string_view header_value,
                                     std::span<const crypto::NoteVerifier* const> submitters);

}  // namespace clearbox::tlog
