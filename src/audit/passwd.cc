// Parsers for /etc/passwd, /etc/shadow and /etc/group, and the crypt(3) comparison.
#include <crypt.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

#include "clearbox/audit/accounts.h"

namespace clearbox::embedded {
extern const char kDefaultPasswordsTxt[];
extern const std::size_t kDefaultPasswordsTxt_size;
}  // namespace clearbox::embedded

namespace clearbox::audit {
namespace {

// Calls fn(line, offset) for each line of text (without "\n" or a trailing "\r").
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, static_cast<uint64_t>(pos));
    pos = end + 1;
  }
}

// Splits on ':' into at most max_fields + 1 fields (one more tells "too many").
std::vector<std::string_view> SplitFields(std::string_view line, size_t max_fields) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (fields.size() <= max_fields) {
    size_t colon = line.find(':', pos);
    if (colon == std::string_view::npos) {
      fields.push_back(line.substr(pos));
      break;
    }
    fields.push_back(line.substr(pos, colon - pos));
    pos = colon + 1;
  }
  return fields;
}

bool ParseId(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// Not an account: blank, a comment, or a NIS compat entry ("+", "+name", "-name", "+@group").
bool Skipped(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos) return true;
  return line[i] == '#' || line[0] == '+' || line[0] == '-';
}

template <typename Entry>
void Malformed(AccountFile<Entry>& file, uint64_t offset) {
  if (file.malformed_lines++ == 0) file.first_malformed_offset = offset;
}

// Shared skeleton: fn(fields, entry) fills entry and returns false when the line is bad.
template <typename Entry, typename Fill>
AccountFile<Entry> Parse(std::string_view text, size_t min_fields, size_t max_fields, Fill fill) {
  AccountFile<Entry> file;
  ForEachLine(text, [&](std::string_view line, uint64_t offset) {
    if (line.size() > kMaxAccountLineBytes) return Malformed(file, offset);
    if (Skipped(line)) return;
    if (file.entries.size() >= kMaxAccountEntries) return Malformed(file, offset);
    std::vector<std::string_view> fields = SplitFields(line, max_fields);
    if (fields.size() < min_fields || fields.size() > max_fields || fields[0].empty()) {
      return Malformed(file, offset);
    }
    Entry e;
    if (!fill(fields, e)) return Malformed(file, offset);
    e.name = std::string(fields[0]);
    e.password = std::string(fields[1]);
    e.offset = offset;
    e.line = std::string(line);
    file.entries.push_back(std::move(e));
  });
  return file;
}

}  // namespace

AccountFile<PasswdEntry> ParsePasswd(std::string_view text) {
  // Exactly 7 fields (busybox, glibc and uClibc all insist on it).
  return Parse<PasswdEntry>(text, 7, 7, [](const auto& f, PasswdEntry& e) {
    if (!ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) return false;
    e.gecos = std::string(f[4]);
    e.home = std::string(f[5]);
    e.shell = std::string(f[6]);
    return true;
  });
}

AccountFile<ShadowEntry> ParseShadow(std::string_view text) {
  // 9 fields from shadow-utils; busybox and uClibc read shorter lines (name:hash at least).
  return Parse<ShadowEntry>(text, 2, 9, [](const auto&, ShadowEntry&) { return true; });
}

AccountFile<GroupEntry> ParseGroup(std::string_view text) {
  return Parse<GroupEntry>(text, 3, 4, [](const auto& f, GroupEntry& e) {
    if (!ParseId(f[2], &e.gid)) return false;
    if (f.size() == 4) {
      std::string_view list = f[3];
      size_t pos = 0;
      while (pos <= list.size() && e.members.size() < kMaxAccountEntries) {
        size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos) comma = list.size();
        std::string_view m = list.substr(pos, comma - pos);
        while (!m.empty() && (m.front() == ' ' || m.front() == '\t')) m.remove_prefix(1);
        while (!m.empty() && (m.back() == ' ' || m.back() == '\t')) m.remove_suffix(1);
        if (!m.empty()) e.members.emplace_back(m);
        pos = comma + 1;
      }
    }
    return true;
  });
}

bool IsLockedPassword(std::string_view field) {
  return !field.empty() && (field[0] == '!' || field[0] == '*' || field == "x");
}

std::string RedactLine(std::string_view line, size_t password_field) {
  constexpr size_t kMaxExcerpt = 240;
  constexpr size_t kShownHash = 12;  // "$6$saltsalt$" or so: the scheme and part of the salt
  std::string out;
  size_t field = 0;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t colon = line.find(':', pos);
    if (colon == std::string_view::npos) colon = line.size();
    std::string_view value = line.substr(pos, colon - pos);
    if (field == password_field && value.size() > kShownHash && !IsLockedPassword(value)) {
      out.append(value.substr(0, kShownHash));
      out.append("\u2026");
    } else {
      out.append(value);
    }
    if (colon == line.size()) break;
    out.push_back(':');
    pos = colon + 1;
    ++field;
    if (out.size() > kMaxExcerpt) break;
  }
  if (out.size() > kMaxExcerpt) {
    out.resize(kMaxExcerpt);
    // Do not cut a UTF-8 sequence in half.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
    out.append("\u2026");
  }
  return out;
}

bool CryptMatches(std::string_view password, std::string_view hash) {
  // crypt_rn wants NUL-terminated strings: an embedded NUL would compare a prefix.
  if (hash.empty() || hash.size() > CRYPT_OUTPUT_SIZE - 1 ||
      hash.find('\0') != std::string_view::npos || password.find('\0') != std::string_view::npos ||
      password.size() > CRYPT_MAX_PASSPHRASE_SIZE - 1) {
    return false;
  }
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password), setting(hash);
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  // Failure is nullptr or a string starting with '*' (never a valid hash).
  return out != nullptr && out[0] != '*' && hash == out;
}

const std::vector<std::string>& DefaultPasswords() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> out;
    std::string_view text(embedded::kDefaultPasswordsTxt, embedded::kDefaultPasswordsTxt_size);
    ForEachLine(text, [&](std::string_view line, uint64_t) {
      if (line.empty() || line[0] == '#') return;
      // "\#" at the start stands for a password that begins with '#'; "<empty>" is not used.
      if (line.size() > 1 && line[0] == '\\') line.remove_prefix(1);
      out.emplace_back(line);
    });
    return out;
  }();
  return list;
}

std::string CrackWithList(std::string_view hash, const std::vector<std::string>& candidates,
                          double budget_seconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (const std::string& password : candidates) {
    if (CryptMatches(password, hash)) return password;
    if (std::chrono::duration<double>(Clock::now() - start).count() > budget_seconds) break;
  }
  return {};
}

}  // namespace clearbox::audit
