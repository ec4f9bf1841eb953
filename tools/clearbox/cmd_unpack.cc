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
#include "clearbox/unpack/unclaimed.h"
#include "clearbox/unpack/unpack.h"
#include "common.h"

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

// Regions below this size (a header's padding between two containers) are counted, not
// listed one by one.
constexpr uint64_t kListedRegionBytes = 512;
constexpr size_t kMaxListedRegions = 16;

// The regions no container claims, to stderr (padding is not worth a line); returns the
// summary's words: "2 regions not understood (1,234 bytes)", or "" when there are none.
std::string ReportUnclaimed(const std::vector<unpack::UnclaimedRegion>& regions) {
  size_t count = 0, listed = 0;
  uint64_t bytes = 0;
  for (const unpack::UnclaimedRegion& r : regions) {
    if (unpack::IsPadding(r.entropy)) continue;
    ++count;
    bytes += r.length;
    if (r.length < kListedRegionBytes || listed == kMaxListedRegions) continue;
    ++listed;
    fmt::print(stderr, "clearbox: not understood: {} @{:#x}: {} bytes, entropy {:.2f} bits/byte ({})\n",
               r.provenance, r.offset, r.length, r.entropy, unpack::DescribeEntropy(r.entropy));
  }
  if (count == 0) return "";
  if (count > listed) {
    fmt::print(stderr, "clearbox: not understood: {} more regions (small, or past the first {})\n",
               count - listed, kMaxListedRegions);
  }
  return fmt::format("{} region{} not understood ({} bytes)", count, count == 1 ? "" : "s",
                     bytes);
}

// Exit status of a listing or an unpack: an image in which nothing at all was recognised is
// not a success (a user must be able to tell "nothing here" from "nothing I understand").
int NothingOpenedExit(const std::string& name, const unpack::Summary& summary) {
  if (summary.filesystems > 0) return kExitOk;
  fmt::print(stderr,
             "clearbox: nothing in {} was recognised: no container, file system or compressed "
             "stream that clearbox opens (the regions not understood are listed above and in "
             "the manifest's \"unclaimed\")\n",
             name);
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
  unpack::UnclaimedRecorder recorder(**writer);
  Result<unpack::Summary> summary = unpack::UnpackFile(f.image, f.options, recorder);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.error());

  const bool partial = summary->partial || (*writer)->not_written() > 0;
  std::string manifest_path = (std::filesystem::path(f.output) / "manifest.json").string();
  (*manifest)->SetUnclaimed(recorder.Regions());
  Status s = (*manifest)->WriteFile(manifest_path, name, summary->image_sha256, partial);
  if (!s.ok()) return Fail(s.error());
  ReportNotes((*manifest)->notes(), partial);
  std::string unclaimed = ReportUnclaimed(recorder.Regions());
  std::printf("%s: %llu nodes from %llu containers, %llu files (%llu bytes) written to %s%s\n",
              name.c_str(), static_cast<unsigned long long>(summary->nodes),
              static_cast<unsigned long long>(summary->filesystems),
              static_cast<unsigned long long>((*writer)->files_written()),
              static_cast<unsigned long long>((*writer)->bytes_written()), f.output.c_str(),
              unclaimed.empty() ? "" : ("; " + unclaimed).c_str());
  return NothingOpenedExit(name, *summary);
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
  bool WantsUnclaimed() const override { return inner_.WantsUnclaimed(); }
  void OnUnclaimed(const std::string& provenance, uint64_t offset, ByteView bytes) override {
    inner_.OnUnclaimed(provenance, offset, bytes);
  }

 private:
  unpack::Sink& inner_;
};

Result<unpack::Summary> List(UnpackFlags& f, unpack::Sink& sink) {
  if (!f.deep) return unpack::UnpackFile(f.image, f.options, sink);
  DeepListing deep(sink);
  return unpack::UnpackFile(f.image, f.options, deep);
}

// The listing's last line, on stderr (stdout is the listing): what was opened and what not.
void ListSummary(const std::string& name, const unpack::Summary& summary,
                 const std::string& unclaimed) {
  fmt::print(stderr, "{}: {} nodes from {} containers{}{}\n", name, summary.nodes,
             summary.filesystems, unclaimed.empty() ? "" : "; ", unclaimed);
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
    unpack::UnclaimedRecorder recorder(sink);
    Result<unpack::Summary> summary = List(f, recorder);
    if (!summary.ok()) return Fail(summary.error());
    (*manifest)->SetUnclaimed(recorder.Regions());
    Status s = (*manifest)->WriteTo(stdout, name, summary->image_sha256, summary->partial);
    if (!s.ok()) return Fail(s.error());
    ReportNotes((*manifest)->notes(), summary->partial);
    ListSummary(name, *summary, ReportUnclaimed(recorder.Regions()));
    return NothingOpenedExit(name, *summary);
  }
  unpack::TextListingSink sink(stdout);
  unpack::UnclaimedRecorder recorder(sink);
  Result<unpack::Summary> summary = List(f, recorder);
  sink.Flush();
  if (!summary.ok()) return Fail(summary.error());
  std::fflush(stdout);
  ReportNotes(sink.TakeNotes(), summary->partial);
  ListSummary(name, *summary, ReportUnclaimed(recorder.Regions()));
  return NothingOpenedExit(name, *summary);
}

}  // namespace

void RegisterUnpackCommands(CLI::App& app) {
  auto flags = std::make_shared<UnpackFlags>();

  CLI::App* unpack_cmd = app.add_subcommand(
      "unpack", "extract a firmware image into a directory, with DIR/manifest.json");
  unpack_cmd->add_option("IMAGE", flags->image, "firmware image")->required();
  unpack_cmd->add_option("-o,--output", flags->output, "output directory")->required();
  unpack_cmd->add_flag("--force", flags->force, "write into a non-empty directory");
  AddLimitFlags(unpack_cmd, &flags->options);
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
  AddLimitFlags(ls_cmd, &flags->options);
  ls_cmd->callback([flags] { ExitCode() = RunList(*flags); });
}

}  // namespace clearbox::cli
