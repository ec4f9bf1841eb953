// SPDX license expressions (SPDX 2.3 annex D), checked against the SPDX License List so that a
// package database's free-text "GPLv2" is never written where an SBOM promises an expression.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/report/sbom.h"
#include "spdx_license_ids.inc"

namespace clearbox::report {
namespace {

// Hostile input: a database line can be long and nest parentheses deeply.
constexpr size_t kMaxExpressionBytes = 2048;
constexpr int kMaxDepth = 32;

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool LessIgnoringCase(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return LowerAscii(x) < LowerAscii(y); });
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !LessIgnoringCase(a, b) && !LessIgnoringCase(b, a);
}

// The list's spelling of `id` (the list is sorted case-insensitively), or nullopt.
template <size_t N>
std::optional<std::string_view> FindId(const std::string_view (&list)[N], std::string_view id) {
  const std::string_view* it = std::lower_bound(list, list + N, id, LessIgnoringCase);
  if (it != list + N && EqualsIgnoringCase(*it, id)) return *it;
  return std::nullopt;
}

// idstring = 1*(ALPHA / DIGIT / "-" / ".")
bool IsIdString(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool StartsWithIgnoringCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoringCase(s.substr(0, prefix.size()), prefix);
}

class Parser {
 public:
  explicit Parser(std::vector<std::string_view> tokens) : tokens_(std::move(tokens)) {}

  bool Parse(std::string* out) {
    if (!Compound(0, out)) return false;
    return pos_ == tokens_.size();
  }

 private:
  std::string_view Peek() const { return pos_ < tokens_.size() ? tokens_[pos_] : ""; }

  // An operator, upper or lower case ("AND", "and"; not "And").
  bool IsOperator(std::string_view t, std::string_view upper) const {
    if (t == upper) return true;
    std::string lower(upper);
    for (char& c : lower) c = LowerAscii(c);
    return t == lower;
  }

  // compound = and-expression *(OR and-expression); AND binds tighter than OR.
  bool Compound(int depth, std::string* out) {
    if (!AndExpression(depth, out)) return false;
    while (IsOperator(Peek(), "OR")) {
      ++pos_;
      *out += " OR ";
      if (!AndExpression(depth, out)) return false;
    }
    return true;
  }

  bool AndExpression(int depth, std::string* out) {
    if (!Term(depth, out)) return false;
    while (IsOperator(Peek(), "AND")) {
      ++pos_;
      *out += " AND ";
      if (!Term(depth, out)) return false;
    }
    return true;
  }

  bool Term(int depth, std::string* out) {
    if (Peek() == "(") {
      if (depth >= kMaxDepth) return false;
      ++pos_;
      *out += '(';
      if (!Compound(depth + 1, out)) return false;
      if (Peek() != ")") return false;
      ++pos_;
      *out += ')';
      return true;
    }
    if (!SimpleExpression(out)) return false;
    if (IsOperator(Peek(), "WITH")) {
      ++pos_;
      std::optional<std::string_view> exception = FindId(internal::kSpdxExceptionIds, Peek());
      if (!exception) return false;
      ++pos_;
      *out += " WITH ";
      *out += *exception;
    }
    return true;
  }

  // simple = license-id ["+"] / ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
  bool SimpleExpression(std::string* out) {
    std::string_view t = Peek();
    if (t.empty() || t == "(" || t == ")") return false;
    ++pos_;
    std::string_view ref = t;
    std::string document;
    if (StartsWithIgnoringCase(ref, "DocumentRef-")) {
      size_t colon = ref.find(':');
      if (colon == std::string_view::npos || !IsIdString(ref.substr(12, colon - 12))) return false;
      document = "DocumentRef-" + std::string(ref.substr(12, colon - 12)) + ":";
      ref = ref.substr(colon + 1);
      if (!StartsWithIgnoringCase(ref, "LicenseRef-")) return false;
    }
    if (StartsWithIgnoringCase(ref, "LicenseRef-")) {
      if (!IsIdString(ref.substr(11))) return false;
      *out += document + "LicenseRef-" + std::string(ref.substr(11));
      return true;
    }
    bool or_later = !ref.empty() && ref.back() == '+';
    if (or_later) ref.remove_suffix(1);
    if (!IsIdString(ref)) return false;
    std::optional<std::string_view> id = FindId(internal::kSpdxLicenseIds, ref);
    if (!id) return false;
    *out += *id;
    if (or_later) *out += '+';
    return true;
  }

  std::vector<std::string_view> tokens_;
  size_t pos_ = 0;
};

}  // namespace

bool IsSpdxLicenseExpression(std::string_view expression, std::string* canonical) {
  if (expression.size() > kMaxExpressionBytes) return false;
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < expression.size()) {
    char c = expression[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '(' || c == ')') {
      tokens.push_back(expression.substr(i, 1));
      ++i;
    } else {
      size_t end = expression.find_first_of(" \t\n\r()", i);
      if (end == std::string_view::npos) end = expression.size();
      tokens.push_back(expression.substr(i, end - i));
      i = end;
    }
  }
  if (tokens.empty()) return false;
  std::string out;
  if (!Parser(std::move(tokens)).Parse(&out)) return false;
  if (canonical != nullptr) *canonical = std::move(out);
  return true;
}

}  // namespace clearbox::report
