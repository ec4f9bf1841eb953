#include "clearbox/inventory/version.h"

#include <cstddef>
#include <string_view>

namespace clearbox::inventory {
namespace {

// Locale-free character classes: versions are ASCII, and a hostile byte >= 0x80 must not
// change class with the process locale.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int Sign(int v) { return (v > 0) - (v < 0); }

std::string_view StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i < digits.size() && digits[i] == '0') ++i;
  return digits.substr(i);
}

// Two runs of digits as numbers of any length (no overflow: by length, then digit by digit).
int CompareNumbers(std::string_view a, std::string_view b) {
  a = StripLeadingZeros(a);
  b = StripLeadingZeros(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return Sign(a.compare(b));
}

int CompareText(std::string_view a, std::string_view b, bool fold_case) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char ca = static_cast<unsigned char>(fold_case ? Lower(a[i]) : a[i]);
    unsigned char cb = static_cast<unsigned char>(fold_case ? Lower(b[i]) : b[i]);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

// ---- Debian (dpkg) ------------------------------------------------------------------------

// dpkg's weight of a character in a non-digit run: '~' below the end of the run, letters by
// their code, everything else above the letters. A digit (or the end) is 0.
int DpkgOrder(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  char c = s[i];
  if (IsDigit(c)) return 0;
  if (IsAlpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

int DpkgPartCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = DpkgOrder(a, i), bc = DpkgOrder(b, j);
      if (ac != bc) return ac < bc ? -1 : 1;
      // Equal weights: both are the same non-digit (or both ended, which the loop excludes).
      ++i;
      ++j;
    }
    size_t ds = i, es = j;
    while (i < a.size() && IsDigit(a[i])) ++i;
    while (j < b.size() && IsDigit(b[j])) ++j;
    if (int c = CompareNumbers(a.substr(ds, i - ds), b.substr(es, j - es)); c != 0) return c;
  }
  return 0;
}

struct DebianParts {
  std::string_view epoch, upstream, revision;
};

DebianParts SplitDebian(std::string_view v) {
  DebianParts p;
  if (size_t colon = v.find(':'); colon != std::string_view::npos) {
    std::string_view e = v.substr(0, colon);
    bool numeric = true;
    for (char c : e) numeric = numeric && IsDigit(c);
    // dpkg refuses a non-numeric epoch; such a string keeps its colon in the upstream part.
    if (numeric) {
      p.epoch = e;
      v.remove_prefix(colon + 1);
    }
  }
  if (size_t hyphen = v.rfind('-'); hyphen != std::string_view::npos) {
    p.revision = v.substr(hyphen + 1);
    v = v.substr(0, hyphen);
  }
  p.upstream = v;
  return p;
}

int CompareDebian(std::string_view a, std::string_view b) {
  DebianParts pa = SplitDebian(a), pb = SplitDebian(b);
  if (int c = CompareNumbers(pa.epoch, pb.epoch); c != 0) return c;
  if (int c = DpkgPartCompare(pa.upstream, pb.upstream); c != 0) return c;
  return DpkgPartCompare(pa.revision, pb.revision);
}

// ---- Token streams (generic, semver, apk) ------------------------------------------------
//
// Each scheme turns a string into a sequence of tokens that ends with an end token; two
// versions compare as their sequences, token by token. Tokens order by class first (the
// class ranks say, for example, that a pre-release sorts below the end and a further number
// above it), then by rank, then by number, then by text. A lexicographic order over a total
// order of tokens is a total order, whatever the input bytes.

struct Token {
  int cls = 0;
  int rank = 0;
  bool has_number = false;
  std::string_view number;
  std::string_view text;
};

int CompareTokens(const Token& a, const Token& b, bool fold_case) {
  if (a.cls != b.cls) return a.cls < b.cls ? -1 : 1;
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.has_number != b.has_number) return a.has_number ? 1 : -1;
  if (int c = CompareNumbers(a.number, b.number); c != 0) return c;
  return CompareText(a.text, b.text, fold_case);
}

// Generic: classes in ascending order.
enum GenericClass { kGenPre = 0, kGenEnd = 1, kGenWord = 2, kGenNumber = 3 };

bool PreReleaseRank(std::string_view word, int* rank) {
  struct Word {
    std::string_view name;
    int rank;
  };
  static constexpr Word kWords[] = {{"dev", 0}, {"alpha", 1},   {"beta", 2},
                                    {"pre", 3}, {"preview", 3}, {"rc", 4}};
  for (const Word& w : kWords) {
    if (CompareText(word, w.name, /*fold_case=*/true) == 0) {
      *rank = w.rank;
      return true;
    }
  }
  return false;
}

class GenericTokens {
 public:
  GenericTokens(std::string_view s, bool pre_release_words)
      : s_(s), pre_release_words_(pre_release_words) {}

  Token Next() {
    while (i_ < s_.size() && !IsAlnum(s_[i_])) ++i_;
    Token t;
    if (i_ >= s_.size()) {
      t.cls = kGenEnd;
      return t;
    }
    size_t start = i_;
    if (IsDigit(s_[i_])) {
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
      t.cls = kGenNumber;
      t.number = s_.substr(start, i_ - start);
      return t;
    }
    while (i_ < s_.size() && IsAlpha(s_[i_])) ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    if (pre_release_words_ && PreReleaseRank(word, &t.rank)) {
      t.cls = kGenPre;
    } else {
      t.cls = kGenWord;
      t.text = word;
    }
    return t;
  }
  static bool IsEnd(const Token& t) { return t.cls == kGenEnd; }

 private:
  std::string_view s_;
  size_t i_ = 0;
  bool pre_release_words_;
};

// Semver: classes in ascending order. Core numbers and numeric identifiers are kSemNumber.
enum SemverClass { kSemPre = 0, kSemEnd = 1, kSemNumber = 2, kSemAlnum = 3 };

class SemverTokens {
 public:
  explicit SemverTokens(std::string_view s) {
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
    if (size_t plus = s.find('+'); plus != std::string_view::npos) s = s.substr(0, plus);
    size_t core_end = 0;
    while (core_end < s.size() && (IsDigit(s[core_end]) || s[core_end] == '.')) ++core_end;
    core_ = s.substr(0, core_end);
    if (core_end < s.size()) {
      has_pre_ = true;
      // "1.0.0-rc.1" and, leniently, "1.0.0rc1": the rest is the pre-release.
      pre_ = s.substr(core_end + (s[core_end] == '-' ? 1 : 0));
    }
  }

  Token Next() {
    Token t;
    if (phase_ == Phase::kCore) {
      const bool more = core_pos_ <= core_.size();
      if (more || core_parts_ < 3) {
        // Missing MINOR/PATCH read as 0 ("1.2" == "1.2.0").
        if (more) {
          size_t dot = core_.find('.', core_pos_);
          if (dot == std::string_view::npos) dot = core_.size();
          t.number = core_.substr(core_pos_, dot - core_pos_);
          core_pos_ = dot + 1;
        }
        ++core_parts_;
        t.cls = kSemNumber;
        return t;
      }
      if (!has_pre_) {
        phase_ = Phase::kDone;
        t.cls = kSemEnd;
        return t;
      }
      phase_ = Phase::kPre;
      t.cls = kSemPre;
      return t;
    }
    if (phase_ == Phase::kPre && pre_pos_ <= pre_.size()) {
      size_t dot = pre_.find('.', pre_pos_);
      if (dot == std::string_view::npos) dot = pre_.size();
      std::string_view id = pre_.substr(pre_pos_, dot - pre_pos_);
      pre_pos_ = dot + 1;
      bool numeric = !id.empty();
      for (char c : id) numeric = numeric && IsDigit(c);
      if (numeric) {
        t.cls = kSemNumber;
        t.number = id;
      } else {
        t.cls = kSemAlnum;
        t.text = id;
      }
      return t;
    }
    phase_ = Phase::kDone;
    t.cls = kSemEnd;
    return t;
  }
  static bool IsEnd(const Token& t) { return t.cls == kSemEnd; }

 private:
  enum class Phase { kCore, kPre, kDone };
  std::string_view core_, pre_;
  bool has_pre_ = false;
  Phase phase_ = Phase::kCore;
  size_t core_pos_ = 0, pre_pos_ = 0;
  int core_parts_ = 0;
};

// apk-tools: classes in ascending order. Text that breaks the grammar becomes one invalid
// token, below everything.
enum ApkClass {
  kApkInvalid = 0,
  kApkPreSuffix = 1,
  kApkEnd = 2,
  kApkRevision = 3,
  kApkPostSuffix = 4,
  kApkLetter = 5,
  kApkNumber = 6
};

bool ApkSuffix(std::string_view word, int* cls, int* rank) {
  struct Suffix {
    std::string_view name;
    int cls, rank;
  };
  static constexpr Suffix kSuffixes[] = {
      {"alpha", kApkPreSuffix, 0}, {"beta", kApkPreSuffix, 1}, {"pre", kApkPreSuffix, 2},
      {"rc", kApkPreSuffix, 3},    {"cvs", kApkPostSuffix, 0}, {"svn", kApkPostSuffix, 1},
      {"git", kApkPostSuffix, 2},  {"hg", kApkPostSuffix, 3},  {"p", kApkPostSuffix, 4}};
  for (const Suffix& s : kSuffixes) {
    if (word == s.name) {
      *cls = s.cls;
      *rank = s.rank;
      return true;
    }
  }
  return false;
}

class ApkTokens {
 public:
  explicit ApkTokens(std::string_view s) : s_(s) {}

  Token Next() {
    Token t;
    if (phase_ == Phase::kDone || i_ >= s_.size()) {
      phase_ = Phase::kDone;
      t.cls = kApkEnd;
      return t;
    }
    char c = s_[i_];
    if (phase_ == Phase::kNumber) {
      if (!IsDigit(c)) return Invalid();
      return Number(kApkNumber, Phase::kAfterNumber);
    }
    if (phase_ == Phase::kAfterNumber) {
      if (c == '.' && i_ + 1 < s_.size() && IsDigit(s_[i_ + 1])) {
        ++i_;
        return Number(kApkNumber, Phase::kAfterNumber);
      }
      if (IsLower(c)) {
        t.cls = kApkLetter;
        t.text = s_.substr(i_, 1);
        ++i_;
        phase_ = Phase::kAfterLetter;
        return t;
      }
    }
    if (phase_ == Phase::kRevisionDone) return Invalid();
    // After a number, a letter or a suffix: _suffix[N], ~hash, -rN.
    if (c == '_') {
      size_t start = ++i_;
      while (i_ < s_.size() && IsLower(s_[i_])) ++i_;
      if (!ApkSuffix(s_.substr(start, i_ - start), &t.cls, &t.rank)) {
        i_ = start - 1;
        return Invalid();
      }
      size_t digits = i_;
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
      t.has_number = i_ > digits;
      t.number = s_.substr(digits, i_ - digits);
      phase_ = Phase::kAfterSuffix;
      return t;
    }
    if (c == '~') {
      // A commit hash (apk v3) does not order versions.
      ++i_;
      while (i_ < s_.size() && (IsDigit(s_[i_]) || (s_[i_] >= 'a' && s_[i_] <= 'f'))) ++i_;
      phase_ = Phase::kAfterSuffix;
      return Next();
    }
    if (c == '-' && i_ + 2 < s_.size() && s_[i_ + 1] == 'r' && IsDigit(s_[i_ + 2])) {
      i_ += 2;
      return Number(kApkRevision, Phase::kRevisionDone);
    }
    return Invalid();
  }
  static bool IsEnd(const Token& t) { return t.cls == kApkEnd; }

 private:
  enum class Phase { kNumber, kAfterNumber, kAfterLetter, kAfterSuffix, kRevisionDone, kDone };

  Token Number(int cls, Phase next) {
    size_t start = i_;
    while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    Token t;
    t.cls = cls;
    t.number = s_.substr(start, i_ - start);
    phase_ = next;
    return t;
  }
  Token Invalid() {
    Token t;
    t.cls = kApkInvalid;
    t.text = s_.substr(i_);
    i_ = s_.size();
    phase_ = Phase::kDone;
    return t;
  }

  std::string_view s_;
  size_t i_ = 0;
  Phase phase_ = Phase::kNumber;
};

template <typename Tokens>
int CompareStreams(Tokens a, Tokens b, bool fold_case) {
  for (;;) {
    Token ta = a.Next(), tb = b.Next();
    if (int c = CompareTokens(ta, tb, fold_case); c != 0) return c;
    if (Tokens::IsEnd(ta)) return 0;  // equal tokens: both ended
  }
}

}  // namespace

int CompareVersions(VersionScheme scheme, std::string_view a, std::string_view b) {
  switch (scheme) {
    case VersionScheme::kDebian:
      return CompareDebian(a, b);
    case VersionScheme::kApk:
      return CompareStreams(ApkTokens(a), ApkTokens(b), /*fold_case=*/false);
    case VersionScheme::kSemver:
      return CompareStreams(SemverTokens(a), SemverTokens(b), /*fold_case=*/false);
    case VersionScheme::kBusybox:
      return CompareStreams(GenericTokens(a, false), GenericTokens(b, false), true);
    case VersionScheme::kGeneric:
    case VersionScheme::kOpenssl:
    case VersionScheme::kDropbear:
      break;
  }
  return CompareStreams(GenericTokens(a, true), GenericTokens(b, true), /*fold_case=*/true);
}

VersionScheme VersionSchemeFromName(std::string_view name) {
  for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian, VersionScheme::kApk,
                          VersionScheme::kSemver, VersionScheme::kOpenssl, VersionScheme::kDropbear,
                          VersionScheme::kBusybox}) {
    if (VersionSchemeName(s) == name) return s;
  }
  return VersionScheme::kGeneric;
}

}  // namespace clearbox::inventory
