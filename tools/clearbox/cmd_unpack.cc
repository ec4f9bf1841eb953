// clearbox unpack IMAGE -o DIR   and   clearbox ls IMAGE [--json]
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/unpack/directory_writer.h"
#include "clearbox/unpack/manifest.h"
#include "clearbox/unpack/unpack.h"
#include "commands.h"

namespace clearbox::cli {
namespace {

using unpack::Note;

struct UnpackFlags {
  std::string image;
  std::string output;
  bool force = false;
  bool json = false;
  bool hash = false;
  bool deep = false;
  unpack::Options options;
  uint64_t timeout = 0;
};

void AddLimitFlags(CLI::App* cmd, UnpackFlags* f) {
  unpack::Limits& l = f->options.limits;
  cmd->add_option("--max-depth", l.max_depth, "containers inside containers")
      ->capture_default_str();
  cmd->add_option("--max-bytes", l.max_total_bytes,
                  "total bytes unpacked (later entries are still listed, without content)")
      ->capture_default_str();
  cmd->add_option("--max-file-bytes", l.max_file_bytes, "bytes of one file or payload")
      ->capture_default_str();
  cmd->add_option("--max-ratio", l.max_ratio, "decompressed/compressed ratio of one stream")
      ->capture_default_str();
  cmd->add_option("--max-entries", l.max_entries, "entries across the image")
      ->capture_default_str();
  cmd->add_option("--timeout", l.max_seconds, "wall-time limit in seconds")->capture_default_str();
  cmd->add_option("--threads", f->options.threads, "extraction threads (0: two per core)")
      ->capture_default_str();
  cmd->add_flag("--carve-files", f->options.carve_files,
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

int Fail(const Error& e) {
  std::fprintf(stderr, "clearbox: %s\n", e.message().c_str());
  return kExitInputError;
}

int RunUnpack(UnpackFlags& f) {
  if (Status readable = CheckReadable(f.image); !readable.ok()) return Fail(readable.error());
  Result<std::unique_ptr<unpack::ManifestWriter>> manifest = unpack::ManifestWriter::Create();
  if (!manifest.ok()) return Fail(manifest.error());
  Result<std::unique_ptr<unpack::DirectoryWriter>> writer =
      unpack::DirectoryWriter::Create(f.output, f.force, **manifest);
  if (!writer.ok()) return Fail(writer.error());

  const std::string name = ImageName(f.image);
  Progress progress("unpack " + name);
  if (progress.enabled()) f.options.progress = &progress;
  Result<unpack::Summary> summary = unpack::UnpackFile(f.image, f.options, **writer);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.error());

  const bool partial = summary->partial || (*writer)->not_written() > 0;
  std::string manifest_path = (std::filesystem::path(f.output) / "manifest.json").string();
  Status s = (*manifest)->WriteFile(manifest_path, name, summary->image_sha256, partial);
  if (!s.ok()) return Fail(s.error());
  ReportNotes((*manifest)->notes(), partial);
  std::printf("%s: %llu nodes from %llu containers, %llu files (%llu bytes) written to %s\n",
              name.c_str(), static_cast<unsigned long long>(summary->nodes),
              static_cast<unsigned long long>(summary->filesystems),
              static_cast<unsigned long long>((*writer)->files_written()),
              static_cast<unsigned long long>((*writer)->bytes_written()), f.output.c_str());
  return kExitOk;
}

// `ls --deep`: asks the engine for file contents so that it looks for containers inside
// every file, but passes on none of it (the listing neither writes nor hashes), so a file
// that holds no container costs one decompressed block.
class DeepListing : public unpack::Sink {
 public:
  explicit DeepListing(unpack::Sink& inner) : inner_(inner) {}
  void OnFilesystem(const unpack::FilesystemInfo& fs) override { inner_.OnFilesystem(fs); }
  Status OnNode(const unpack::Node& node, unpack::ContentReader* content) override {
    return inner_.OnNode(node, inner_.WantsContent() ? content : nullptr);
  }
  void OnNote(const Note& note) override { inner_.OnNote(note); }
  bool WantsContent() const override { return true; }

 private:
  unpack::Sink& inner_;
};

Result<unpack::Summary> List(UnpackFlags& f, unpack::Sink& sink) {
  if (!f.deep) return unpack::UnpackFile(f.image, f.options, sink);
  DeepListing deep(sink);
  return unpack::UnpackFile(f.image, f.options, deep);
}

int RunList(UnpackFlags& f) {
  if (Status readable = CheckReadable(f.image); !readable.ok()) return Fail(readable.error());
  const std::string name = ImageName(f.image);
  // The image's own digest only with --hash: hashing a large image costs more than listing
  // it ("sha256" is then null).
  f.options.hash_image = f.hash;
  if (f.json) {
    Result<std::unique_ptr<unpack::ManifestWriter>> manifest = unpack::ManifestWriter::Create();
    if (!manifest.ok()) return Fail(manifest.error());
    unpack::ManifestSink sink(**manifest, f.hash);
    Result<unpack::Summary> summary = List(f, sink);
    if (!summary.ok()) return Fail(summary.error());
    Status s = (*manifest)->WriteTo(stdout, name, summary->image_sha256, summary->partial);
    if (!s.ok()) return Fail(s.error());
    ReportNotes((*manifest)->notes(), summary->partial);
    return kExitOk;
  }
  unpack::TextListingSink sink(stdout);
  Result<unpack::Summary> summary = List(f, sink);
  sink.Flush();
  if (!summary.ok()) return Fail(summary.error());
  std::fflush(stdout);
  ReportNotes(sink.TakeNotes(), summary->partial);
  return kExitOk;
}

}  // namespace

void RegisterUnpackCommands(CLI::App& app) {
  auto flags = std::make_shared<UnpackFlags>();

  CLI::App* unpack_cmd = app.add_subcommand(
      "unpack", "extract a firmware image into a directory, with DIR/manifest.json");
  unpack_cmd->add_option("IMAGE", flags->image, "firmware image")->required();
  unpack_cmd->add_option("-o,--output", flags->output, "output directory")->required();
  unpack_cmd->add_flag("--force", flags->force, "write into a non-empty directory");
  AddLimitFlags(unpack_cmd, flags.get());
  unpack_cmd->callback([flags] { ExitCode() = RunUnpack(*flags); });

  CLI::App* ls_cmd =
      app.add_subcommand("ls", "list what an image holds, with provenance, without writing");
  ls_cmd->footer(
      "Depth: ls opens every container it can reach without decompressing file contents of "
      "its own: archives and compressed streams (whose bytes pass by anyway, so a squashfs in "
      "a uImage in a tar.gz is listed) and payloads of firmware containers. Files inside "
      "compressed filesystems (squashfs, ext, JFFS2, UBIFS, cramfs) are listed from their "
      "metadata only; --deep also looks inside each of them (one decompressed block per file), "
      "as unpack does. The image's \"sha256\" is filled only with --hash.");
  ls_cmd->add_option("IMAGE", flags->image, "firmware image")->required();
  ls_cmd->add_flag("--json", flags->json, "the manifest JSON instead of lines");
  ls_cmd->add_flag("--hash", flags->hash,
                   "with --json: SHA-256 of the image and of every file (slower)");
  ls_cmd->add_flag("--deep", flags->deep,
                   "look for containers inside files of compressed filesystems too (slower)");
  AddLimitFlags(ls_cmd, flags.get());
  ls_cmd->callback([flags] { ExitCode() = RunList(*flags); });
}

}  // namespace clearbox::cli
