// Helpers the command files share.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/unpack/unpack.h"
#include "commands.h"

namespace clearbox::cli {

// --max-depth, --max-bytes, ..., --threads, --carve-files: the unpacker's limits.
void AddLimitFlags(CLI::App* cmd, unpack::Options* options);
// The base name of an image path (what provenance strings start with).
std::string ImageName(const std::string& path);
// One line per note that makes the result partial, on stderr (the first 20, then a count).
void ReportNotes(const std::vector<unpack::Note>& notes, bool partial);
// Before any work: the input must be a readable regular file.
Status CheckReadable(const std::string& path);
// Writes a report to `path`, or to stdout when `path` is empty. A regular file (or a new one)
// is replaced atomically; anything else that exists (/dev/null, /dev/stdout, a FIFO) is
// written through, never renamed over: a report must not replace a device node.
Status WriteReport(const std::string& path, std::string_view text);
// Prints "clearbox: <message>" on stderr and returns the input-error exit code.
int Fail(const Error& e);

}  // namespace clearbox::cli
