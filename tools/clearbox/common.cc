// Helpers the command files share: limit flags, image names, notes on stderr, failures.
#include "common.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "clearbox/core/file.h"

namespace clearbox::cli {

using unpack::Note;

void AddLimitFlags(CLI::App* cmd, unpack::Options* options) {
  unpack::Limits& l = options->limits;
  cmd->add_option("--max-depth", l.max_depth, "containers inside containers")
      ->capture_default_str();
  cmd->add_option("--max-bytes", l.max_total_bytes,
                  "total bytes unpacked (later entries are still listed, without content)")
      ->capture_default_str();
  cmd->add_option("--max-total-ratio", l.max_total_ratio,
                  "total bytes unpacked at most this many times the image's size (never below "
                  "256 MiB; 0: no such limit)")
      ->capture_default_str();
  cmd->add_option("--max-file-bytes", l.max_file_bytes, "bytes of one file or payload")
      ->capture_default_str();
  cmd->add_option("--max-ratio", l.max_ratio, "decompressed/compressed ratio of one stream")
      ->capture_default_str();
  cmd->add_option("--max-entries", l.max_entries, "entries across the image")
      ->capture_default_str();
  cmd->add_option("--timeout", l.max_seconds, "wall-time limit in seconds")->capture_default_str();
  cmd->add_option("--threads", options->threads, "extraction threads (0: two per core)")
      ->capture_default_str();
  cmd->add_flag("--carve-files", options->carve_files,
                "also carve inside files of unpacked filesystems (slow)");
}

std::string ImageName(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  return name.empty() ? path : name;
}

// One line per note that makes the result partial, on stderr.
void ReportNotes(const std::vector<Note>& notes, bool partial) {
  size_t shown = 0, total = 0;
  for (const Note& n : notes) {
    if (n.kind == Note::Kind::kInfo) continue;
    ++total;
    if (shown < 20) {
      std::fprintf(stderr, "clearbox: %s: %s%s%s\n", std::string(NoteKindName(n.kind)).c_str(),
                   n.where.c_str(), n.where.empty() ? "" : ": ", n.message.c_str());
      ++shown;
    }
  }
  if (total > shown) std::fprintf(stderr, "clearbox: ... and %zu more notes\n", total - shown);
  if (partial) std::fprintf(stderr, "clearbox: partial result: %zu notes (see above)\n", total);
}

// Before creating an output directory: the input must be a readable regular file.
Status CheckReadable(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return Error::NotFound(path + ": no such file");
  if (!std::filesystem::is_regular_file(status)) {
    return Error::InvalidInput(path + ": not a regular file");
  }
  if (access(path.c_str(), R_OK) != 0) return Error::FromErrno("read", path, errno);
  return Status::Ok();
}

Status WriteReport(const std::string& path, std::string_view text) {
  if (path.empty()) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
      return Error::Io("write to stdout failed");
    }
    return Status::Ok();
  }
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) return Error::FromErrno("open", path, errno);
    size_t written = std::fwrite(text.data(), 1, text.size(), out);
    int closed = std::fclose(out);
    if (written != text.size() || closed != 0) return Error::FromErrno("write", path, errno);
    return Status::Ok();
  }
  return WriteFileAtomic(path, AsBytes(text));
}

int Fail(const Error& e) {
  std::fprintf(stderr, "clearbox: %s\n", e.message().c_str());
  return kExitInputError;
}

}  // namespace clearbox::cli
