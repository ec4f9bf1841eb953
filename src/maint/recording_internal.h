// Internals of the recording format shared by the writer, the verifier and their tests.
#pragma once

#include <cstddef>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::maint::internal {

// Appends `data` to `out` as the body of a JSON string (no quotes), mapping bytes that are
// not valid UTF-8 as BytesToText does. Unless `final`, an incomplete UTF-8 sequence at the
// end (at most 3 bytes) is left unconsumed, for the next call to complete it: a read from a
// pty can split a character. Returns the number of bytes consumed.
size_t AppendJsonText(std::string& out, ByteView data, bool final);

}  // namespace clearbox::maint::internal
