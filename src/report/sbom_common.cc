// The facts both SBOM writers need, worked out once per inventory: which files make up each
// component, what kind of software it is, and what it depends on.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/unpack/manifest.h"
#include "sbom_internal.h"

namespace clearbox::report::internal {
namespace {

using inventory::ComponentSource;
using inventory::FileKind;
using inventory::FileRecord;
using inventory::Inventory;
using unpack::NodeType;

// A symlink chain longer than this is a loop or a trap; DT_NEEDED links are one or two hops.
constexpr int kMaxLinkHops = 8;

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "/usr/lib" + "../lib/libc.so.6" -> "/usr/lib/libc.so.6", lexically, clamped at the root (as
// the unpacker normalises node paths).
std::string JoinNormalized(std::string_view dir, std::string_view target) {
  std::vector<std::string_view> parts;
  auto push = [&](std::string_view path) {
    size_t i = 0;
    while (i <= path.size()) {
      size_t end = path.find('/', i);
      if (end == std::string_view::npos) end = path.size();
      std::string_view part = path.substr(i, end - i);
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      i = end + 1;
    }
  };
  if (target.empty() || target[0] != '/') push(dir);
  push(target);
  std::string out;
  for (std::string_view p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

// Files by filesystem and path, by filesystem and SONAME, by filesystem and base name.
class FileIndex {
 public:
  explicit FileIndex(const Inventory& inv) : inv_(inv) {
    for (size_t i = 0; i < inv.files.size(); ++i) {
      const unpack::Node& node = inv.files[i].node;
      std::string fs(unpack::NodeFilesystem(node));
      by_path_.emplace(std::make_pair(fs, node.path), i);
    }
    for (size_t i = 0; i < inv.files.size(); ++i) {
      const FileRecord& f = inv.files[i];
      std::string fs(unpack::NodeFilesystem(f.node));
      if (f.elf && !f.elf->soname.empty()) soname_[{fs, f.elf->soname}].push_back(i);
      if (f.node.type == NodeType::kFile || f.node.type == NodeType::kSymlink ||
          f.node.type == NodeType::kHardLink) {
        std::optional<size_t> target = Resolve(fs, i);
        if (target && inv.files[*target].elf) {
          base_name_[{fs, std::string(BaseName(f.node.path))}].push_back(*target);
        }
      }
    }
  }

  // The library files a DT_NEEDED `name` of `user` (an ELF file in filesystem `fs`) loads:
  // those whose SONAME is `name`, else those (or the links) whose file name is `name`; of the
  // same machine and class only (an image may carry libraries of several architectures, and
  // the loader never mixes them).
  std::vector<size_t> Needed(const std::string& fs, const inventory::ElfInfo& user,
                             const std::string& name) const {
    std::vector<size_t> out;
    auto take = [&](const auto& index) {
      auto it = index.find(std::make_pair(fs, name));
      if (it == index.end()) return;
      for (size_t lib : it->second) {
        const inventory::ElfInfo& e = *inv_.files[lib].elf;
        if (e.machine == user.machine && e.elf_class == user.elf_class) out.push_back(lib);
      }
    };
    take(soname_);
    if (out.empty()) take(base_name_);
    return out;
  }

 private:
  // The regular file a node is, following symbolic and hard links within its filesystem.
  std::optional<size_t> Resolve(const std::string& fs, size_t index) const {
    for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
      const unpack::Node& node = inv_.files[index].node;
      if (node.type == NodeType::kFile) return index;
      if (node.type != NodeType::kSymlink && node.type != NodeType::kHardLink) return {};
      std::string dir = node.path.substr(0, node.path.rfind('/'));
      auto it = by_path_.find({fs, JoinNormalized(dir, node.link_target)});
      if (it == by_path_.end()) return {};
      index = it->second;
    }
    return {};
  }

  const Inventory& inv_;
  std::map<std::pair<std::string, std::string>, size_t> by_path_;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> soname_;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> base_name_;
};

bool IsExecutable(const FileRecord& f) {
  if (!f.elf) return false;
  if (f.elf->type_name == "EXEC") return true;
  // A PIE has an interpreter; a shared library normally has neither that nor no SONAME.
  return f.elf->type_name == "DYN" && !f.elf->interpreter.empty() && f.elf->soname.empty();
}

bool IsLibrary(const FileRecord& f) {
  if (!f.elf || IsExecutable(f)) return false;
  std::string_view base = BaseName(f.node.path);
  return !f.elf->soname.empty() || base.find(".so") != std::string_view::npos;
}

ComponentRole RoleOf(const Inventory& inv, const inventory::Component& c,
                     const std::vector<size_t>& files) {
  if (c.source == ComponentSource::kOsRelease || c.cpe.starts_with("cpe:2.3:o:")) {
    return ComponentRole::kOperatingSystem;
  }
  bool executable = false, library = false;
  for (size_t i : files) {
    const FileRecord& f = inv.files[i];
    if (f.kind == FileKind::kKernel) return ComponentRole::kOperatingSystem;
    if (f.kind == FileKind::kBootloader) return ComponentRole::kFirmware;
    executable = executable || IsExecutable(f);
    library = library || IsLibrary(f);
  }
  // A boot loader found in a flash region no file claims has no file to tell.
  if (c.name == "u-boot") return ComponentRole::kFirmware;
  if (executable) return ComponentRole::kApplication;
  if (library || c.name.starts_with("lib")) return ComponentRole::kLibrary;
  return ComponentRole::kApplication;
}

bool ParseDigits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

SbomModel BuildModel(const Inventory& inv) {
  const size_t n = inv.components.size();
  SbomModel model;
  model.files.resize(n);
  model.roles.resize(n);
  model.single_file_sha256.resize(n);
  model.depends.resize(n);

  for (size_t i = 0; i < inv.files.size(); ++i) {
    for (size_t c : inv.files[i].components) {
      if (c < n) model.files[c].push_back(i);
    }
  }
  for (size_t c = 0; c < n; ++c) {
    std::vector<size_t>& files = model.files[c];
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    model.roles[c] = RoleOf(inv, inv.components[c], files);
    if (files.size() == 1) {
      std::string hash = inv.files[files[0]].sha256;
      for (char& ch : hash) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (IsSha256Hex(hash)) model.single_file_sha256[c] = std::move(hash);
    }
  }

  FileIndex index(inv);
  std::map<std::string, std::vector<size_t>> by_name;
  for (size_t c = 0; c < n; ++c) by_name[inv.components[c].name].push_back(c);
  for (size_t c = 0; c < n; ++c) {
    std::set<size_t> deps;
    for (size_t file : model.files[c]) {
      const FileRecord& f = inv.files[file];
      if (!f.elf) continue;
      std::string fs(unpack::NodeFilesystem(f.node));
      for (const std::string& needed : f.elf->needed) {
        for (size_t lib : index.Needed(fs, *f.elf, needed)) {
          for (size_t d : inv.files[lib].components) {
            if (d < n) deps.insert(d);
          }
        }
      }
    }
    for (const std::string& name : inv.components[c].depends) {
      auto it = by_name.find(name);
      if (it != by_name.end()) deps.insert(it->second.begin(), it->second.end());
    }
    deps.erase(c);
    model.depends[c].assign(deps.begin(), deps.end());
  }
  return model;
}

std::string DocumentUuid(const Inventory& inv) {
  std::string name = "clearbox-sbom:";
  if (IsSha256Hex(inv.sha256)) {
    name += inv.sha256;
  } else {
    name += inv.image + ":" + std::to_string(inv.size);
  }
  Sha256Digest d = Sha256(ByteView(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
  d[6] = static_cast<uint8_t>((d[6] & 0x0f) | 0x50);  // version 5 (name-based)
  d[8] = static_cast<uint8_t>((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

std::string AsWritten(std::string_view s) {
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(s);
  }
  const std::string quoted =
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::optional<std::string> NormalizeDateTime(std::string_view s, bool utc_seconds) {
  // YYYY-MM-DD, then optionally [T ]hh:mm:ss[.frac], then optionally Z or +hh:mm / +hhmm.
  int year, month, day, hour = 0, minute = 0, second = 0, offset_minutes = 0;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &month) || s[7] != '-' || !ParseDigits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  size_t at = 10;
  std::string fraction;
  if (at < s.size() && (s[at] == 'T' || s[at] == 't' || s[at] == ' ')) {
    if (!ParseDigits(s, at + 1, 2, &hour) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !ParseDigits(s, at + 4, 2, &minute) || at + 6 >= s.size() || s[at + 6] != ':' ||
        !ParseDigits(s, at + 7, 2, &second)) {
      return std::nullopt;
    }
    at += 9;
    if (at < s.size() && s[at] == '.') {
      size_t end = at + 1;
      while (end < s.size() && s[end] >= '0' && s[end] <= '9' && end - at <= 9) ++end;
      if (end == at + 1) return std::nullopt;
      fraction = std::string(s.substr(at, end - at));
      at = end;
    }
  }
  std::string zone = "Z";
  if (at < s.size()) {
    if ((s[at] == 'Z' || s[at] == 'z') && at + 1 == s.size()) {
      // UTC
    } else if (s[at] == '+' || s[at] == '-') {
      int oh, om;
      size_t colon = (at + 3 < s.size() && s[at + 3] == ':') ? 1 : 0;
      if (!ParseDigits(s, at + 1, 2, &oh) || !ParseDigits(s, at + 3 + colon, 2, &om) ||
          at + 5 + colon != s.size() || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_minutes = (s[at] == '-' ? -1 : 1) * (oh * 60 + om);
      zone = std::string(s.substr(at, 3)) + ":" + std::string(s.substr(at + 3 + colon, 2));
      if (offset_minutes == 0) zone = "Z";
    } else {
      return std::nullopt;
    }
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  char buf[64];
  if (utc_seconds && offset_minutes != 0) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t t = timegm(&tm) - static_cast<time_t>(offset_minutes) * 60;
    std::tm utc{};
    if (gmtime_r(&t, &utc) == nullptr) return std::nullopt;
    year = utc.tm_year + 1900;
    month = utc.tm_mon + 1;
    day = utc.tm_mday;
    hour = utc.tm_hour;
    minute = utc.tm_min;
    second = utc.tm_sec;
    zone = "Z";
  }
  if (utc_seconds) fraction.clear();
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute,
                second);
  return std::string(buf) + fraction + zone;
}

bool IsPlainUrl(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  if (url.size() > 4096) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
        c == '|' || c == '}') {
      return false;
    }
  }
  return true;
}

}  // namespace clearbox::report::internal
