// The inventory sink: each node's content is read once, as the unpacker produces it, and
// hashed, typed, parsed and scanned there; package databases wait for the end of the walk
// (they need the os-release facts), then components are merged and indexed.
#include "clearbox/inventory/inventory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/inventory/packages.h"
#include "clearbox/inventory/signatures.h"
#include "internal/components.h"
#include "internal/file_kind.h"
#include "internal/kernel.h"

namespace clearbox::inventory {

const FileRecord* Inventory::FindFile(std::string_view provenance) const {
  auto it = std::lower_bound(
      files.begin(), files.end(), provenance,
      [](const FileRecord& f, std::string_view p) { return f.node.provenance < p; });
  return it != files.end() && it->node.provenance == provenance ? &*it : nullptr;
}

namespace {

using internal::Classified;

// Bytes kept around a window's edge when a large file is scanned piecewise: longer than any
// signature's match and version window.
constexpr uint64_t kWindowOverlap = 4096;
// A package database larger than this is parsed up to here, with a note.
constexpr uint64_t kMaxPackageDbBytes = 64ull << 20;
using internal::kNoFile;

bool KeepsText(FileKind kind) {
  return kind == FileKind::kScript || kind == FileKind::kInitScript || kind == FileKind::kConfig ||
         kind == FileKind::kPublicKey || kind == FileKind::kPrivateKey ||
         kind == FileKind::kCertificate;
}

struct PendingDb {
  PackageDbKind kind;
  std::string provenance;
  std::string text;
};

// The package parsers' problems start with the file's provenance, which a note already names:
// "<provenance>:812 (offset 40213): what" becomes "line 812 (offset 40213): what".
std::string WithoutWhere(const std::string& problem, const std::string& where) {
  if (!problem.starts_with(where)) return problem;
  std::string_view rest = std::string_view(problem).substr(where.size());
  if (rest.starts_with(": ")) return std::string(rest.substr(2));
  if (rest.starts_with(":")) return "line " + std::string(rest.substr(1));
  return problem;
}

bool HasKernel(const std::vector<Component>& found) {
  return std::any_of(found.begin(), found.end(),
                     [](const Component& c) { return c.name == "linux-kernel"; });
}

class InventorySink : public unpack::Sink {
 public:
  InventorySink(const Options& options, const VersionSignatures& signatures)
      : options_(options), signatures_(signatures) {}

  void OnFilesystem(const unpack::FilesystemInfo& fs) override {
    std::lock_guard lock(mu_);
    filesystems_.push_back(fs);
  }
  void OnNote(const unpack::Note& note) override {
    std::lock_guard lock(mu_);
    unpack_notes_.push_back(note);
  }
  bool WantsContent() const override { return true; }
  bool WantsUnclaimed() const override { return true; }

  // A boot loader in a flash dump, a kernel in a bare compressed stream: scanned as a file
  // would be; the finds have evidence but no file record.
  void OnUnclaimed(const std::string& provenance, uint64_t offset, ByteView bytes) override {
    if (options_.on_content) {
      // The audit's scanners see these bytes too (a monolithic RTOS image, a program given as
      // the image itself): as a file with no path, named by its blob and offset.
      FileRecord region;
      region.node.provenance = offset == 0 ? provenance
                                           : fmt::format("{}@{}", provenance, HexOffset(offset));
      region.node.path = region.node.provenance;  // no filesystem: the blob names it
      region.node.type = unpack::NodeType::kFile;
      region.node.size = bytes.size();
      Classified kind =
          internal::ClassifyFile("", bytes.first(std::min<size_t>(bytes.size(), 4096)));
      region.kind = kind.kind;
      region.detail = "unclaimed bytes";
      options_.on_content(region, 0, bytes);
    }
    std::vector<Component> found = signatures_.Scan(bytes, provenance);
    for (Component& c : found) {
      for (Evidence& e : c.evidence) e.offset += offset;  // from the region to its blob
    }
    // A kernel image no container claimed (an ARM zImage at the start of a flash dump).
    Classified kind = internal::ClassifyFile("", bytes.first(std::min<size_t>(bytes.size(), 4096)));
    if (kind.kind == FileKind::kKernel && !HasKernel(found)) {
      if (auto payload = internal::DecompressKernel(bytes, options_.max_kernel_bytes)) {
        std::string inner = fmt::format("{}@{}!{}@{}", provenance, HexOffset(offset),
                                        payload->codec, HexOffset(payload->offset));
        for (Component& c : signatures_.Scan(payload->data, inner)) found.push_back(std::move(c));
      }
    }
    if (found.empty()) return;
    std::lock_guard lock(mu_);
    for (Component& c : found) binary_.push_back({kNoFile, std::move(c)});
  }

  Status OnNode(const unpack::Node& node, unpack::ContentReader* content) override {
    FileRecord record;
    record.node = node;
    std::vector<Component> found;
    std::vector<InventoryNote> notes;
    std::optional<PendingDb> db;
    if (node.type == unpack::NodeType::kFile && content != nullptr) {
      InspectFile(record, *content, found, notes, db);
    }
    std::lock_guard lock(mu_);
    for (Component& c : found) binary_.push_back({records_.size(), std::move(c)});
    records_.push_back(std::move(record));
    for (InventoryNote& n : notes) notes_.push_back(std::move(n));
    if (db) dbs_.push_back(std::move(*db));
    return Status::Ok();
  }

  Inventory Finish(const unpack::Summary& summary, std::string image);
  void AttachFileLists(std::vector<Component>& components);

 private:
  void InspectFile(FileRecord& record, unpack::ContentReader& content,
                   std::vector<Component>& found, std::vector<InventoryNote>& notes,
                   std::optional<PendingDb>& db);
  void InspectBuffer(FileRecord& record, ByteView data, std::vector<Component>& found,
                     std::vector<InventoryNote>& notes, std::optional<PendingDb>& db);

  const Options& options_;
  const VersionSignatures& signatures_;
  std::mutex mu_;
  std::vector<FileRecord> records_;
  // Components found in a file, with the index of that file's record.
  std::vector<std::pair<size_t, Component>> binary_;
  std::vector<PendingDb> dbs_;
  // info/<pkg>.list files of dpkg and opkg: the package's name and the file paths it owns,
  // made provenances (the list's filesystem prefix + path).
  std::map<std::string, std::vector<std::string>> file_lists_;
  std::vector<unpack::FilesystemInfo> filesystems_;
  std::vector<unpack::Note> unpack_notes_;
  std::vector<InventoryNote> notes_;
};

void InventorySink::InspectFile(FileRecord& record, unpack::ContentReader& content,
                                std::vector<Component>& found, std::vector<InventoryNote>& notes,
                                std::optional<PendingDb>& db) {
  const std::string& where = record.node.provenance;
  if (std::optional<ByteView> whole = content.Contiguous()) {
    InspectBuffer(record, *whole, found, notes, db);
    return;
  }
  // Read up to the buffer limit; a larger file goes on in overlapping windows that are
  // hashed and scanned, not parsed.
  Bytes buffer;
  const uint64_t cap = std::max<uint64_t>(options_.max_buffer_bytes, 2 * kWindowOverlap);
  buffer.resize(std::min<uint64_t>(content.size(), cap));
  Sha256Hasher hasher;
  uint64_t total = 0, filled = 0;
  bool first_window = true, read_failed = false;
  for (;;) {
    while (filled < buffer.size()) {
      Result<size_t> n = content.Read(std::span<uint8_t>(buffer).subspan(filled));
      if (!n.ok()) {
        read_failed = true;  // the engine has a note for it; keep what was read
        break;
      }
      if (*n == 0) break;
      filled += *n;
    }
    // A buffer smaller than the cap holds the whole declared size once it is full.
    bool at_end = read_failed || filled < buffer.size() || buffer.size() < cap;
    if (first_window && at_end) {
      buffer.resize(filled);
      InspectBuffer(record, buffer, found, notes, db);
      return;
    }
    if (first_window) {
      notes.push_back({where, 0,
                       fmt::format("{} bytes or more: hashed and scanned in {}-byte windows, not "
                                   "parsed as a whole",
                                   buffer.size(), buffer.size())});
      record.detail = "large file";
    }
    // The bytes after the overlap kept from the last window are new to the hash.
    uint64_t fresh_from = first_window ? 0 : kWindowOverlap;
    hasher.Update(ByteView(buffer).subspan(fresh_from, filled - fresh_from));
    total += filled - fresh_from;
    std::vector<Component> window = signatures_.Scan(ByteView(buffer).first(filled), where);
    uint64_t base = total - filled;
    for (Component& c : window) {
      for (Evidence& e : c.evidence) e.offset += base;
      found.push_back(std::move(c));
    }
    if (first_window) {
      Classified kind = internal::ClassifyFile(record.node.path, ByteView(buffer).first(4096));
      record.kind = kind.kind;
      if (record.detail.empty()) record.detail = kind.detail;
    }
    if (options_.on_content) options_.on_content(record, base, ByteView(buffer).first(filled));
    first_window = false;
    if (at_end) break;
    std::memmove(buffer.data(), buffer.data() + filled - kWindowOverlap, kWindowOverlap);
    filled = kWindowOverlap;
  }
  if (options_.hash_files) record.sha256 = HexEncode(hasher.Finish());
}

void InventorySink::InspectBuffer(FileRecord& record, ByteView data, std::vector<Component>& found,
                                  std::vector<InventoryNote>& notes, std::optional<PendingDb>& db) {
  const std::string& where = record.node.provenance;
  if (options_.hash_files) record.sha256 = Sha256Hex(data);
  Classified kind =
      internal::ClassifyFile(record.node.path, data.first(std::min<size_t>(data.size(), 4096)));
  record.kind = kind.kind;
  record.interpreter = std::move(kind.interpreter);
  record.detail = std::move(kind.detail);

  if (record.kind == FileKind::kElf) {
    Result<ElfInfo> elf = ParseElf(data);
    if (elf.ok()) {
      for (const std::string& p : elf->problems) notes.push_back({where, 0, "ELF: " + p});
      record.elf = std::move(*elf);
    } else {
      notes.push_back({where, 0, "ELF: " + elf.error().message()});
      record.kind = FileKind::kData;
    }
  }
  if (KeepsText(record.kind)) {
    ByteView kept = data.first(std::min<uint64_t>(data.size(), options_.max_text_bytes));
    record.text.assign(AsChars(kept));
  }
  if (std::optional<PackageDbKind> db_kind = PackageDbKindForPath(record.node.path)) {
    ByteView kept = data.first(std::min<uint64_t>(data.size(), kMaxPackageDbBytes));
    if (kept.size() < data.size()) {
      notes.push_back({where, kept.size(),
                       fmt::format("package database of {} bytes: only the first {} parsed",
                                   data.size(), kept.size())});
    }
    db = PendingDb{*db_kind, where, std::string(AsChars(kept))};
  }
  if (std::optional<PackageFileListName> list = PackageFileListForPath(record.node.path)) {
    std::vector<std::string> problems;
    std::vector<std::string> paths = ParsePackageFileList(AsChars(data), where, &problems);
    // The provenance of a path in the same filesystem: what precedes ":" + the list's path.
    std::string prefix = where.substr(0, where.size() - record.node.path.size());
    for (std::string& p : paths) p.insert(0, prefix);
    for (const std::string& p : problems) notes.push_back({where, 0, p});
    std::lock_guard lock(mu_);
    auto& owned = file_lists_[list->package];
    owned.insert(owned.end(), paths.begin(), paths.end());
  }

  found = signatures_.Scan(data, where);
  if (options_.on_content) options_.on_content(record, 0, data);
  if (record.kind == FileKind::kKernel || record.kind == FileKind::kData) {
    if (!HasKernel(found) && record.kind == FileKind::kKernel) {
      if (auto payload = internal::DecompressKernel(data, options_.max_kernel_bytes)) {
        std::string inner =
            fmt::format("{}!{}@{}", where, payload->codec, HexOffset(payload->offset));
        for (Component& c : signatures_.Scan(payload->data, inner)) found.push_back(std::move(c));
        record.detail += " (" + payload->codec + ")";
      } else {
        notes.push_back({where, 0, "kernel image: no compressed kernel with a banner found"});
      }
    }
  }
  // A data file that carries a kernel or boot loader banner is one (raw partitions, payloads).
  if (record.kind == FileKind::kData) {
    for (const Component& c : found) {
      if (c.name == "linux-kernel") record.kind = FileKind::kKernel;
      if (c.name == "u-boot") record.kind = FileKind::kBootloader;
    }
  }
}

void InventorySink::AttachFileLists(std::vector<Component>& components) {
  for (Component& c : components) {
    if (c.source != ComponentSource::kPackageDatabase) continue;
    auto it = file_lists_.find(c.name);
    if (it == file_lists_.end()) continue;
    for (const std::string& p : it->second) c.files.push_back(p);
  }
}

Inventory InventorySink::Finish(const unpack::Summary& summary, std::string image) {
  Inventory inv;
  inv.image = std::move(image);
  inv.sha256 = summary.image_sha256;
  inv.partial = summary.partial;
  inv.filesystems = std::move(filesystems_);
  inv.unpack_notes = std::move(unpack_notes_);
  inv.notes = std::move(notes_);

  // Package databases, after the os-release facts that qualify their purls.
  std::sort(dbs_.begin(), dbs_.end(), [](const PendingDb& a, const PendingDb& b) {
    return std::tie(a.kind, a.provenance) < std::tie(b.kind, b.provenance);
  });
  OsContext os;
  for (const PendingDb& db : dbs_) {
    if (db.kind == PackageDbKind::kOsRelease && os.id.empty()) os = OsContextFromOsRelease(db.text);
  }
  std::vector<Component> from_dbs;
  for (const PendingDb& db : dbs_) {
    PackageDbResult r = ParsePackageDb(db.kind, db.text, db.provenance, os);
    for (const std::string& p : r.problems)
      inv.notes.push_back({db.provenance, 0, WithoutWhere(p, db.provenance)});
    for (Component& c : r.components) from_dbs.push_back(std::move(c));
  }
  MergePackageComponents(from_dbs);
  AttachFileLists(from_dbs);

  // Files sorted by provenance; the component finds follow their file's new index.
  std::vector<size_t> order(records_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return records_[a].node.provenance < records_[b].node.provenance;
  });
  std::vector<size_t> new_index(records_.size());
  inv.files.reserve(records_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    inv.files.push_back(std::move(records_[order[i]]));
  }
  for (auto& [file, c] : binary_) {
    if (file != kNoFile) file = new_index[file];
  }
  internal::MergeComponents(inv, std::move(from_dbs), std::move(binary_));
  std::sort(inv.notes.begin(), inv.notes.end(), [](const InventoryNote& a, const InventoryNote& b) {
    return std::tie(a.where, a.offset, a.message) < std::tie(b.where, b.offset, b.message);
  });
  return inv;
}

// A distribution's package (Debian, Alpine) is judged by its distribution's advisories
// (OSV's Debian and Alpine records, matched by purl), whose fixed versions know the fixes the
// distribution backports: openssh 1:9.2p1-2+deb12u3 fixes CVE-2024-6387 while its upstream
// version, 9.2p1, lies inside NVD's range. NVD's upstream ranges would flag every backported
// fix, so its CPE matches are dropped for these packages (binaries that no package database
// claims are still matched by CPE).
bool JudgedByItsDistribution(const Component& c, const VulnerabilityMatch& m) {
  bool distro_package = c.source == ComponentSource::kPackageDatabase &&
                        (c.purl.starts_with("pkg:deb/") || c.purl.starts_with("pkg:apk/"));
  return distro_package && m.matched_by.starts_with("cpe:");
}

Result<Inventory> Run(const Options& options,
                      const std::function<Result<unpack::Summary>(unpack::Sink&)>& unpack_into,
                      const std::string& name) {
  const VersionSignatures& signatures =
      options.signatures != nullptr ? *options.signatures : VersionSignatures::Builtin();
  InventorySink sink(options, signatures);
  CLEARBOX_ASSIGN_OR_RETURN(unpack::Summary summary, unpack_into(sink));
  Inventory inv = sink.Finish(summary, name);
  if (options.vulndb != nullptr) {
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<VulnerabilityMatch> matches,
                              options.vulndb->Match(inv.components));
    for (VulnerabilityMatch& m : matches) {
      if (!JudgedByItsDistribution(inv.components[m.component_index], m)) {
        inv.vulnerabilities.push_back(std::move(m));
      }
    }
  }
  return inv;
}

}  // namespace

Result<Inventory> InventoryFile(const std::string& path, const Options& options) {
  std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  unpack::Options unpack_options = options.unpack;
  unpack_options.hash_image = true;
  unpack_options.progress = options.progress;
  CLEARBOX_ASSIGN_OR_RETURN(
      Inventory inv,
      Run(
          options,
          [&](unpack::Sink& sink) { return unpack::UnpackFile(path, unpack_options, sink); },
          name));
  CLEARBOX_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  inv.size = file->bytes().size();
  return inv;
}

Result<Inventory> InventoryBuffer(ByteView data, const std::string& name, const Options& options) {
  unpack::Options unpack_options = options.unpack;
  unpack_options.progress = options.progress;
  CLEARBOX_ASSIGN_OR_RETURN(Inventory inv, Run(
                                               options,
                                               [&](unpack::Sink& sink) {
                                                 return unpack::UnpackBuffer(data, name,
                                                                             unpack_options, sink);
                                               },
                                               name));
  inv.size = data.size();
  if (inv.sha256.empty()) inv.sha256 = Sha256Hex(data);
  return inv;
}

}  // namespace clearbox::inventory
