// Parsers for /etc/passwd, /etc/shadow and /etc/group, and the crypt(3) comparison.
#include <crypt.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

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

namespace {

constexpr std::string_view kItoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The number after `key` up to the next '$' or ',' (decimal), or nullopt.
std::optional<uint64_t> NumberAfter(std::string_view hash, std::string_view key) {
  size_t at = hash.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = hash.substr(at + key.size());
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || ptr == rest.data()) return std::nullopt;
  return value;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool AffordableHash(std::string_view hash) {
  // bcrypt "$2b$NN$": 2^NN rounds; 12 is ~0.3 s a try.
  if (StartsWith(hash, "$2") && hash.size() >= 4 && hash[3] == '$') {
    std::string_view cost = hash.substr(4, 3);
    return cost.size() == 3 && cost[2] == '$' && cost[0] >= '0' && cost[0] <= '1' &&
           cost[1] >= '0' && cost[1] <= '9' && (cost[0] - '0') * 10 + (cost[1] - '0') <= 12;
  }
  // SHA-crypt "$5$rounds=N$" / "$6$rounds=N$" (default 5000), Sun MD5 "$md5,rounds=N$",
  // "$sha1$N$" (PBKDF1 iterations).
  if (StartsWith(hash, "$5$") || StartsWith(hash, "$6$")) {
    if (!StartsWith(hash.substr(3), "rounds=")) return true;
    auto rounds = NumberAfter(hash, "rounds=");
    return rounds && *rounds <= 500000;
  }
  if (StartsWith(hash, "$md5")) {
    if (hash.find("rounds=") == std::string_view::npos) return true;
    auto rounds = NumberAfter(hash, "rounds=");
    return rounds && *rounds <= 100000;
  }
  if (StartsWith(hash, "$sha1$")) {
    auto rounds = NumberAfter(hash, "$sha1$");
    return rounds && *rounds <= 1000000;
  }
  // yescrypt "$y$" / "$gy$": flavor 'j', then N (log2 = index + 1) and r (index + 1) in one
  // character each, as crypt_gensalt writes them; memory is 128 * r * N: up to 2^15 * 32
  // (128 MiB). Longer parameter strings (p, t, g) are not tried.
  if (StartsWith(hash, "$y$") || StartsWith(hash, "$gy$")) {
    std::string_view params = hash.substr(hash[1] == 'y' ? 3 : 4);
    if (params.size() < 4 || params[0] != 'j' || params[3] != '$') return false;
    size_t n = kItoa64.find(params[1]), r = kItoa64.find(params[2]);
    return n != std::string_view::npos && r != std::string_view::npos && n <= 14 && r <= 31;
  }
  // scrypt "$7$": N as one character (log2), r and p in five each: the defaults only.
  if (StartsWith(hash, "$7$")) {
    if (hash.size() < 14) return false;
    size_t n = kItoa64.find(hash[3]);
    return n != std::string_view::npos && n <= 16 && hash.substr(4, 10) == "U..../....";
  }
  // BSDi "_CCCCSSSS": a 24-bit round count.
  if (StartsWith(hash, "_")) {
    if (hash.size() < 5) return false;
    uint32_t count = 0;
    for (int i = 4; i >= 1; --i) {
      size_t v = kItoa64.find(hash[i]);
      if (v == std::string_view::npos) return false;
      count = count * 64 + static_cast<uint32_t>(v);
    }
    return count <= (1u << 20);
  }
  return true;  // DES, MD5 "$1$", NT "$3$" and the rest: cheap, or rejected by libcrypt
}

std::string CrackWithList(std::string_view hash, const std::vector<std::string>& candidates,
                          double budget_seconds) {
  if (!AffordableHash(hash)) return {};
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (const std::string& password : candidates) {
    if (CryptMatches(password, hash)) return password;
    if (std::chrono::duration<double>(Clock::now() - start).count() > budget_seconds) break;
  }
  return {};
}

}  // namespace clearbox::audit
