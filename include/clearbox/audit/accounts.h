// accounts: /etc/passwd, /etc/shadow and /etc/group as busybox, shadow-utils and uClibc write
// them, and the crypt(3) hashes in them tried against a list of vendor default passwords.
//
//   AccountFile<PasswdEntry> pw = ParsePasswd(text);   // never fails: bad lines are counted
//   for (const auto& e : pw.entries) ... e.name, e.uid, e.shell, e.offset
//   CryptMatches("admin", "$1$salt$...");              // libcrypt, every scheme it knows
//   DefaultPasswords();                                // rules/default-passwords.txt
//
// Parsing is bounded: lines longer than kMaxAccountLineBytes, lines with the wrong number of
// fields and numeric fields that are not a decimal uint32 are skipped and counted, comments
// ('#') and NIS lines ('+', '-') are not accounts. At most kMaxAccountEntries per file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clearbox::audit {

inline constexpr size_t kMaxAccountLineBytes = 64 * 1024;
inline constexpr size_t kMaxAccountEntries = 100000;

struct PasswdEntry {  // name:password:uid:gid:gecos:home:shell
  std::string name, password;
  uint32_t uid = 0, gid = 0;
  std::string gecos, home, shell;
  uint64_t offset = 0;  // of the line in the file
  std::string line;     // without the newline
};

struct ShadowEntry {  // name:password:lastchg:min:max:warn:inactive:expire:reserved
  std::string name, password;
  uint64_t offset = 0;
  std::string line;
};

struct GroupEntry {  // name:password:gid:member,member
  std::string name, password;
  uint32_t gid = 0;
  std::vector<std::string> members;
  uint64_t offset = 0;
  std::string line;
};

template <typename Entry>
struct AccountFile {
  std::vector<Entry> entries;
  size_t malformed_lines = 0;  // skipped: wrong field count, bad number, too long
  uint64_t first_malformed_offset = 0;
};

AccountFile<PasswdEntry> ParsePasswd(std::string_view text);
AccountFile<ShadowEntry> ParseShadow(std::string_view text);
AccountFile<GroupEntry> ParseGroup(std::string_view text);

// A password field that disables password login: "*", "!", "!!", "!<hash>", "*LK*", "x" ...
// (anything starting with '!' or '*'). Empty is not locked (no password at all).
bool IsLockedPassword(std::string_view field);
// "root:$6$saltsalt$hash...:19675:..." -> "root:$6$saltsalt$ha…:19675:...": the hash field
// shortened so a report does not carry the whole hash; the line capped at 240 bytes.
std::string RedactLine(std::string_view line, size_t password_field);

// True when crypt(password, hash) == hash with libcrypt (DES, MD5 "$1$", SHA-256 "$5$",
// SHA-512 "$6$", bcrypt "$2b$"/"$2a$"/"$2y$", yescrypt "$y$", and the rest libcrypt knows).
// False for anything libcrypt rejects. Thread-safe (crypt_rn with its own buffer).
bool CryptMatches(std::string_view password, std::string_view hash);

// The embedded list of well-known vendor default passwords, in file order, without comments.
const std::vector<std::string>& DefaultPasswords();

// False for a hash whose parameters make one try too costly to run the list (bcrypt cost
// above 12, SHA-crypt above 500,000 rounds, yescrypt above 128 MiB, non-default scrypt, ...):
// a hostile shadow file must not hang the audit or exhaust memory in one crypt call.
bool AffordableHash(std::string_view hash);

// The first password of `candidates` whose hash is `hash`, or empty. Empty at once for a
// hash that is not AffordableHash; gives up once `budget_seconds` have passed.
std::string CrackWithList(std::string_view hash, const std::vector<std::string>& candidates,
                          double budget_seconds);

}  // namespace clearbox::audit
