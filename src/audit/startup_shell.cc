// The shell-script part of startup.h: a lexer and a static reading of POSIX/busybox sh that
// keeps the simple commands a script can run, with its variables expanded. It is not a shell:
// it never evaluates anything but constants, and it errs on the side of "not run" for
// control flow it cannot decide only where the branch is provably dead.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "startup.h"

namespace clearbox::audit {
namespace {

enum class TokenType { kWord, kOp, kNewline };

struct Token {
  TokenType type = TokenType::kWord;
  std::string text;  // a word as written (quotes kept), or the operator
  uint64_t offset = 0;
};

bool IsOpChar(char c) { return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Line starts, for line numbers and excerpts.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  size_t LineOf(uint64_t offset) const {
    return std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin();
  }
  uint64_t StartOf(uint64_t offset) const { return starts_[LineOf(offset) - 1]; }
  std::string Excerpt(uint64_t offset) const {
    uint64_t start = StartOf(offset);
    std::string_view rest = text_.substr(start);
    rest = rest.substr(0, rest.find('\n'));
    while (!rest.empty() && (rest.back() == '\r' || IsBlank(rest.back()))) rest.remove_suffix(1);
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    std::string out(rest.substr(0, kMaxExcerptBytes));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '?';
    }
    if (rest.size() > kMaxExcerptBytes) out += "...";
    return out;
  }

 private:
  std::string_view text_;
  std::vector<uint64_t> starts_;
};

// Splits a script into tokens. Here-document bodies and comments produce none; a word or
// line longer than kMaxStartLineBytes is dropped (with a problem) up to the next newline.
class Lexer {
 public:
  Lexer(std::string_view text, const Lines& lines, std::vector<std::string>* problems)
      : s_(text), lines_(lines), problems_(problems) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    size_t line_start = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\n') {
        out.push_back({TokenType::kNewline, "\n", i_});
        ++i_;
        line_start = i_;
        if (!heredocs_.empty()) SkipHeredocs();
        line_start = i_;
        continue;
      }
      if (i_ - line_start > kMaxStartLineBytes) {
        Problem(line_start, fmt::format("line longer than {} bytes skipped", kMaxStartLineBytes));
        DropToNewline(out, line_start);
        continue;
      }
      if (IsBlank(c)) {
        ++i_;
        continue;
      }
      if (c == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
        i_ += 2;
        continue;
      }
      if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        continue;
      }
      if (IsOpChar(c)) {
        ReadOp(out);
        continue;
      }
      uint64_t start = i_;
      if (!ReadWord()) {
        Problem(start, fmt::format("word longer than {} bytes (or an unterminated quote) skipped",
                                   kMaxStartLineBytes));
        i_ = start;
        DropToNewline(out, lines_.StartOf(start));
        continue;
      }
      std::string word(s_.substr(start, i_ - start));
      // "2>/dev/null": a file descriptor number glued to a redirection is not a word.
      if (i_ < s_.size() && (s_[i_] == '<' || s_[i_] == '>') &&
          std::all_of(word.begin(), word.end(), [](char d) { return d >= '0' && d <= '9'; })) {
        continue;
      }
      if (expect_heredoc_word_) {
        expect_heredoc_word_ = false;
        heredocs_.push_back({Unquote(word), heredoc_strip_tabs_});
        continue;
      }
      out.push_back({TokenType::kWord, std::move(word), start});
    }
    return out;
  }

 private:
  struct Heredoc {
    std::string delimiter;
    bool strip_tabs;
  };

  static std::string Unquote(std::string_view w) {
    std::string out;
    for (char ch : w) {
      if (ch != '\'' && ch != '"' && ch != '\\') out.push_back(ch);
    }
    return out;
  }

  void Problem(uint64_t offset, std::string what) {
    if (problems_ == nullptr || problems_->size() >= 16) return;
    problems_->push_back(fmt::format("line {} (offset {}): {}", lines_.LineOf(offset), offset, what));
  }

  // Drops what this line produced and skips to its end.
  void DropToNewline(std::vector<Token>& out, uint64_t line_start) {
    while (!out.empty() && out.back().type != TokenType::kNewline && out.back().offset >= line_start)
      out.pop_back();
    size_t nl = s_.find('\n', i_);
    i_ = nl == std::string_view::npos ? s_.size() : nl;
    expect_heredoc_word_ = false;
  }

  void SkipHeredocs() {
    for (const Heredoc& h : heredocs_) {
      while (i_ < s_.size()) {
        size_t nl = s_.find('\n', i_);
        size_t end = nl == std::string_view::npos ? s_.size() : nl;
        std::string_view line = s_.substr(i_, end - i_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (h.strip_tabs) {
          while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
        }
        i_ = nl == std::string_view::npos ? s_.size() : nl + 1;
        if (line == h.delimiter) break;
      }
    }
    heredocs_.clear();
  }

  void ReadOp(std::vector<Token>& out) {
    static constexpr std::string_view kOps[] = {";;", "&&", "||", ">>", "<<-", "<<", "&>", ">&",
                                                "<&", ">|", "<>", ";", "&", "|", "(", ")", "<", ">"};
    for (std::string_view op : kOps) {
      if (s_.substr(i_, op.size()) == op) {
        if (op == "<<" || op == "<<-") {
          expect_heredoc_word_ = true;
          heredoc_strip_tabs_ = op == "<<-";
        }
        out.push_back({TokenType::kOp, std::string(op), i_});
        i_ += op.size();
        return;
      }
    }
    ++i_;  // unreachable: every op char starts some operator
  }

  // Advances over one word; false when it is too long or a quote never ends.
  bool ReadWord() {
    const uint64_t start = i_;
    int paren = 0;  // inside $( ... )
    while (i_ < s_.size()) {
      if (i_ - start > kMaxStartLineBytes) return false;
      char c = s_[i_];
      if (paren == 0 && (IsBlank(c) || c == '\n' || IsOpChar(c))) return true;
      if (c == '\\') {
        i_ += 2;
        continue;
      }
      if (c == '\'') {
        size_t end = s_.find('\'', i_ + 1);
        if (end == std::string_view::npos || end - start > kMaxStartLineBytes) return false;
        i_ = end + 1;
        continue;
      }
      if (c == '"' || c == '`') {
        size_t j = i_ + 1;
        while (j < s_.size() && s_[j] != c) j += s_[j] == '\\' ? 2 : 1;
        if (j >= s_.size() || j - start > kMaxStartLineBytes) return false;
        i_ = j + 1;
        continue;
      }
      if (c == '$' && i_ + 1 < s_.size() && s_[i_ + 1] == '(') {
        ++paren;
        i_ += 2;
        continue;
      }
      if (c == '$' && i_ + 1 < s_.size() && s_[i_ + 1] == '{') {
        size_t end = s_.find('}', i_ + 2);
        if (end == std::string_view::npos || end - start > kMaxStartLineBytes) return false;
        i_ = end + 1;
        continue;
      }
      if (paren > 0 && c == '(') ++paren;
      if (paren > 0 && c == ')') --paren;
      if (paren > 0 && c == '\n') {
        // $( ... ) over several lines: keep going, bounded by the length check.
      }
      ++i_;
    }
    return paren == 0 || i_ - start <= kMaxStartLineBytes;
  }

  std::string_view s_;
  const Lines& lines_;
  std::vector<std::string>* problems_;
  size_t i_ = 0;
  std::vector<Heredoc> heredocs_;
  bool expect_heredoc_word_ = false;
  bool heredoc_strip_tabs_ = false;
};

struct Var {
  std::string value;
  VarOrigin origin;
};
using Vars = std::map<std::string, Var, std::less<>>;

// Expands one word: quotes removed, $NAME / ${NAME} / ${NAME:-default} substituted, unquoted
// substitutions split at blanks. `resolved` turns false at anything unknowable.
class Expander {
 public:
  Expander(const Vars& vars, const Vars& fallback) : vars_(vars), fallback_(fallback) {}

  std::vector<std::string> Expand(std::string_view w, bool* resolved,
                                  std::vector<VarOrigin>* used) {
    resolved_ = true;
    used_ = used;
    fields_.clear();
    current_.clear();
    has_current_ = false;
    Walk(w, false, 0);
    if (has_current_ || fields_.empty()) fields_.push_back(current_);
    if (fields_.size() == 1 && fields_[0].empty() && !has_current_) fields_.clear();
    *resolved = resolved_;
    return std::move(fields_);
  }

 private:
  void Add(std::string_view text) {
    if (current_.size() + text.size() > kMaxExpansionBytes) {
      resolved_ = false;
      return;
    }
    current_.append(text);
    has_current_ = true;
  }
  // Unquoted substitution: split at blanks and newlines.
  void AddSplit(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n') {
        if (has_current_) {
          fields_.push_back(std::move(current_));
          current_.clear();
          has_current_ = false;
        }
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
      Add(text.substr(i, j - i));
      i = j;
    }
  }

  const Var* Lookup(std::string_view name) const {
    auto it = vars_.find(name);
    if (it != vars_.end()) return &it->second;
    it = fallback_.find(name);
    return it != fallback_.end() ? &it->second : nullptr;
  }

  void Substitute(std::string_view name, std::string_view op, std::string_view word, bool quoted,
                  int depth) {
    const Var* v = Lookup(name);
    bool set = v != nullptr && (op.empty() || op[0] != ':' || !v->value.empty());
    if (set && (op.empty() || op == "-" || op == ":-" || op == "=" || op == ":=")) {
      if (used_ != nullptr && used_->size() < 8) used_->push_back(v->origin);
      quoted ? Add(v->value) : AddSplit(v->value);
      return;
    }
    if (!set && (op == "-" || op == ":-" || op == "=" || op == ":=")) {
      // The default is itself a word (it may hold more substitutions).
      if (depth < 4) Walk(word, quoted, depth + 1);
      return;
    }
    if (set && (op == "+" || op == ":+")) {
      if (depth < 4) Walk(word, quoted, depth + 1);
      return;
    }
    if (!set && (op == "+" || op == ":+")) return;
    resolved_ = false;  // unknown variable, or an operator we do not evaluate
    Add("$" + std::string(name));
  }

  // Reads a parameter expansion at w[i] == '$'; returns the index after it.
  size_t Dollar(std::string_view w, size_t i, bool quoted, int depth) {
    if (i + 1 >= w.size()) {
      Add("$");
      return i + 1;
    }
    char n = w[i + 1];
    if (n == '{') {
      size_t end = w.find('}', i + 2);
      if (end == std::string_view::npos) {
        resolved_ = false;
        return w.size();
      }
      std::string_view inner = w.substr(i + 2, end - i - 2);
      size_t k = 0;
      while (k < inner.size() && IsNameChar(inner[k])) ++k;
      std::string_view name = inner.substr(0, k);
      std::string_view rest = inner.substr(k);
      std::string_view op;
      for (std::string_view candidate : {":-", ":=", ":+", "-", "=", "+"}) {
        if (rest.starts_with(candidate)) {
          op = candidate;
          break;
        }
      }
      if (name.empty() || !IsNameStart(name[0]) || (op.empty() && !rest.empty())) {
        resolved_ = false;  // ${#x}, ${x%y}, ${1}...
        Add(std::string(w.substr(i, end - i + 1)));
        return end + 1;
      }
      Substitute(name, op, rest.substr(op.size()), quoted, depth);
      return end + 1;
    }
    if (n == '(') {
      // Command substitution: its output is unknowable.
      resolved_ = false;
      int paren = 0;
      size_t j = i + 1;
      for (; j < w.size(); ++j) {
        if (w[j] == '(') ++paren;
        if (w[j] == ')' && --paren == 0) break;
      }
      Add(std::string(w.substr(i, std::min(j + 1, w.size()) - i)));
      return std::min(j + 1, w.size());
    }
    if (IsNameStart(n)) {
      size_t k = i + 1;
      while (k < w.size() && IsNameChar(w[k])) ++k;
      Substitute(w.substr(i + 1, k - i - 1), "", "", quoted, depth);
      return k;
    }
    if ((n >= '0' && n <= '9') || n == '@' || n == '*' || n == '#' || n == '?' || n == '$' ||
        n == '!' || n == '-') {
      resolved_ = false;
      Add(std::string(w.substr(i, 2)));
      return i + 2;
    }
    Add("$");
    return i + 1;
  }

  void Walk(std::string_view w, bool quoted, int depth) {
    size_t i = 0;
    while (i < w.size()) {
      char c = w[i];
      if (!quoted && c == '\'') {
        size_t end = w.find('\'', i + 1);
        if (end == std::string_view::npos) end = w.size();
        Add(w.substr(i + 1, end - i - 1));
        has_current_ = true;
        i = end + 1;
        continue;
      }
      if (!quoted && c == '"') {
        size_t j = i + 1;
        std::string inner;
        while (j < w.size() && w[j] != '"') {
          if (w[j] == '\\' && j + 1 < w.size()) {
            inner += w[j];
            inner += w[j + 1];
            j += 2;
          } else {
            inner += w[j++];
          }
        }
        has_current_ = true;
        Walk(inner, true, depth);
        i = j + 1;
        continue;
      }
      if (c == '\\' && i + 1 < w.size()) {
        char n = w[i + 1];
        if (!quoted || n == '$' || n == '`' || n == '"' || n == '\\') {
          Add(std::string(1, n));
        } else {
          Add(w.substr(i, 2));
        }
        i += 2;
        continue;
      }
      if (c == '`') {
        resolved_ = false;
        size_t end = w.find('`', i + 1);
        if (end == std::string_view::npos) end = w.size();
        Add(w.substr(i, std::min(end + 1, w.size()) - i));
        i = end + 1;
        continue;
      }
      if (c == '$') {
        i = Dollar(w, i, quoted, depth);
        continue;
      }
      Add(w.substr(i, 1));
      ++i;
    }
  }

  const Vars& vars_;
  const Vars& fallback_;
  bool resolved_ = true;
  std::vector<VarOrigin>* used_ = nullptr;
  std::vector<std::string> fields_;
  std::string current_;
  bool has_current_ = false;
};

bool IsAssignment(std::string_view w) {
  size_t eq = w.find('=');
  if (eq == std::string_view::npos || eq == 0 || !IsNameStart(w[0])) return false;
  return std::all_of(w.begin(), w.begin() + eq, IsNameChar);
}

// A test whose answer is a constant false: `false`, `[ 0 = 1 ]`, `test "a" = "b"`, `[ 1 -eq 0 ]`,
// `[ -n "" ]`. Only literal words (no substitution) are compared.
bool ConstantFalse(const std::vector<std::string>& cond_raw, const std::vector<std::string>& cond) {
  if (cond.empty()) return false;
  for (const std::string& raw : cond_raw) {
    if (raw.find('$') != std::string::npos || raw.find('`') != std::string::npos) return false;
  }
  std::string p = ProgramName(cond[0]);
  if (p == "false" && cond.size() == 1) return true;
  std::vector<std::string> args(cond.begin() + 1, cond.end());
  if (p == "[") {
    if (args.empty() || args.back() != "]") return false;
    args.pop_back();
  } else if (p != "test") {
    return false;
  }
  if (args.size() == 3) {
    const std::string& op = args[1];
    if (op == "=" || op == "==") return args[0] != args[2];
    if (op == "!=") return args[0] == args[2];
    if (op == "-eq" || op == "-ne") {
      auto number = [](const std::string& s) {
        return !s.empty() && s.size() < 10 &&
               std::all_of(s.begin(), s.end(), [](char d) { return d >= '0' && d <= '9'; });
      };
      if (!number(args[0]) || !number(args[2])) return false;
      bool equal = std::stoul(args[0]) == std::stoul(args[2]);
      return op == "-eq" ? !equal : equal;
    }
  }
  if (args.size() == 2 && args[0] == "-n") return args[1].empty();
  if (args.size() == 2 && args[0] == "-z") return !args[1].empty();
  if (args.size() == 1) return args[0].empty();
  return false;
}

// Functions that OpenWrt's rc.common (and procd) call in a script that defines them.
bool IsEntryFunction(std::string_view name) {
  return name == "start" || name == "boot" || name == "start_service" || name == "restart" ||
         name == "reload" || name == "reload_service" || name == "service_triggers";
}

class Reader {
 public:
  Reader(std::string_view text, const ShellOptions& options, const Vars& fallback)
      : text_(text), lines_(text), options_(options), fallback_(fallback) {
    for (const auto& [k, v] : options.vars) vars_[k] = {v, {k, options.path, 0, ""}};
  }

  ShellScript Run() {
    tokens_ = Lexer(text_, lines_, &script_.problems).Run();
    size_t i = 0;
    while (i < tokens_.size()) i = Command(i);
    Finish();
    return std::move(script_);
  }

  const Vars& vars() const { return vars_; }

 private:
  enum class Frame { kIf, kLoop, kCase, kBrace, kFunction, kSubshell };
  struct Scope {
    Frame frame;
    bool dead = false;        // this part of the construct never runs
    bool then_dead = false;   // kIf: the condition is a constant false
    std::string function;     // kFunction
  };

  bool Dead() const {
    if (after_exit_) return true;
    for (const Scope& s : scopes_) {
      if (s.dead) return true;
    }
    return false;
  }
  std::string CurrentFunction() const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->frame == Frame::kFunction) return it->function;
    }
    return {};
  }
  bool InCaseExpectingPattern() const {
    return !scopes_.empty() && scopes_.back().frame == Frame::kCase && case_pattern_;
  }
  void Pop(Frame f) {
    for (size_t k = scopes_.size(); k > 0; --k) {
      if (scopes_[k - 1].frame == f) {
        scopes_.resize(k - 1);
        return;
      }
      // A brace or subshell closes only its own kind; others are closed implicitly.
    }
  }

  // Reads one simple command starting at token i; returns the index after its terminator.
  size_t Command(size_t i) {
    // Case patterns: `start)` `*)` `a|b)` up to the ')'.
    if (InCaseExpectingPattern()) {
      if (tokens_[i].type == TokenType::kWord && tokens_[i].text == "esac") {
        Pop(Frame::kCase);
        return i + 1;
      }
      if (tokens_[i].type == TokenType::kNewline) return i + 1;
      size_t j = i;
      while (j < tokens_.size() && !(tokens_[j].type == TokenType::kOp && tokens_[j].text == ")"))
        ++j;
      case_pattern_ = false;
      return j + 1;
    }
    std::vector<const Token*> words;
    size_t j = i;
    std::string terminator;
    bool redirect = false;
    for (; j < tokens_.size(); ++j) {
      const Token& t = tokens_[j];
      if (t.type == TokenType::kNewline) {
        terminator = "\n";
        break;
      }
      if (t.type == TokenType::kOp) {
        std::string_view op = t.text;
        if (op == "<" || op == ">" || op == ">>" || op == "<<" || op == "<<-" || op == "&>" ||
            op == ">&" || op == "<&" || op == ">|" || op == "<>") {
          redirect = true;  // its target is the next word
          continue;
        }
        if (op == "(" && words.size() == 1 && j + 1 < tokens_.size() &&
            tokens_[j + 1].type == TokenType::kOp && tokens_[j + 1].text == ")") {
          pending_function_ = words[0]->text;  // name() { ... }
          words.clear();
          ++j;
          continue;
        }
        if (op == "(" && words.empty()) {
          scopes_.push_back({Frame::kSubshell});
          continue;
        }
        if (op == ")" && words.empty()) {
          Pop(Frame::kSubshell);
          continue;
        }
        terminator = std::string(op);
        break;
      }
      if (redirect) {
        redirect = false;
        continue;
      }
      words.push_back(&t);
    }
    Simple(words, terminator);
    if (terminator == ";;" && !scopes_.empty() && scopes_.back().frame == Frame::kCase)
      case_pattern_ = true;
    pipe_continues_ = terminator == "|";
    return j + 1;
  }

  void Simple(std::vector<const Token*> words, const std::string& terminator) {
    bool after_and = and_or_ == "&&";
    bool after_or = and_or_ == "||";
    bool skip_for_and = skip_next_ && after_and;
    skip_next_ = false;
    and_or_ = terminator == "&&" || terminator == "||" ? terminator : "";
    // Reserved words that open or close constructs.
    while (!words.empty()) {
      std::string_view w = words[0]->text;
      if (w == "if" || w == "elif") {
        if (w == "if") {
          scopes_.push_back({Frame::kIf});
        } else if (!scopes_.empty() && scopes_.back().frame == Frame::kIf) {
          scopes_.back().dead = false;
          scopes_.back().then_dead = false;
        }
        words.erase(words.begin());
        condition_for_if_ = true;
        continue;
      }
      if (w == "then") {
        if (!scopes_.empty() && scopes_.back().frame == Frame::kIf)
          scopes_.back().dead = scopes_.back().then_dead;
        words.erase(words.begin());
        continue;
      }
      if (w == "else") {
        if (!scopes_.empty() && scopes_.back().frame == Frame::kIf) scopes_.back().dead = false;
        words.erase(words.begin());
        continue;
      }
      if (w == "fi") {
        Pop(Frame::kIf);
        words.erase(words.begin());
        continue;
      }
      if (w == "while" || w == "until") {
        scopes_.push_back({Frame::kLoop});
        words.erase(words.begin());
        continue;
      }
      if (w == "do" || w == "!" || w == "time") {
        words.erase(words.begin());
        continue;
      }
      if (w == "done") {
        Pop(Frame::kLoop);
        words.erase(words.begin());
        continue;
      }
      if (w == "for") {
        scopes_.push_back({Frame::kLoop});
        // The list after `in` is what the loop runs over (globs of scripts, see Finish).
        for (size_t k = 2; k < words.size(); ++k) RecordGlobWord(words[k]->text, words[0]->offset);
        return;
      }
      if (w == "case") {
        scopes_.push_back({Frame::kCase});
        case_pattern_ = true;
        return;
      }
      if (w == "esac") {
        Pop(Frame::kCase);
        words.erase(words.begin());
        continue;
      }
      if (w == "{") {
        if (!pending_function_.empty()) {
          scopes_.push_back({Frame::kFunction, false, false, pending_function_});
          functions_.insert(pending_function_);
          pending_function_.clear();
        } else {
          scopes_.push_back({Frame::kBrace});
        }
        words.erase(words.begin());
        continue;
      }
      if (w == "}") {
        for (size_t k = scopes_.size(); k > 0; --k) {
          Frame f = scopes_[k - 1].frame;
          if (f == Frame::kBrace || f == Frame::kFunction) {
            scopes_.resize(k - 1);
            break;
          }
        }
        words.erase(words.begin());
        continue;
      }
      if (w == "function" && words.size() >= 2) {
        pending_function_ = words[1]->text;
        words.erase(words.begin(), words.begin() + 2);
        continue;
      }
      break;
    }
    bool is_condition = condition_for_if_;
    condition_for_if_ = false;
    if (words.empty()) return;

    bool dead = Dead() || skip_for_and;
    int pipeline = pipe_continues_ ? pipeline_ : ++pipeline_;

    // Assignments (alone: they set the variable; before a command: its environment only).
    size_t first = 0;
    while (first < words.size() && IsAssignment(words[first]->text)) ++first;
    std::string_view cmd0 = first < words.size() ? std::string_view(words[first]->text) : "";
    if (first == words.size() ||
        ((cmd0 == "export" || cmd0 == "local" || cmd0 == "readonly" || cmd0 == "declare" ||
          cmd0 == "typeset") &&
         first == 0)) {
      if (dead) return;
      size_t from = first == words.size() ? 0 : 1;
      for (size_t k = from; k < words.size(); ++k) {
        if (IsAssignment(words[k]->text)) Assign(*words[k]);
      }
      return;
    }
    for (size_t k = 0; k < first; ++k) RecordGlobWord(words[k]->text, words[k]->offset);

    Expander ex(vars_, fallback_);
    ShellCommand cmd;
    std::vector<std::string> raw;
    for (size_t k = first; k < words.size(); ++k) {
      bool resolved = true;
      std::vector<std::string> fields = ex.Expand(words[k]->text, &resolved, &cmd.vars);
      if (k == first && (!resolved || fields.empty())) cmd.resolved = false;
      raw.push_back(words[k]->text);
      for (std::string& f : fields) cmd.argv.push_back(std::move(f));
      if (!dead) RecordGlobWord(words[k]->text, words[k]->offset);
    }
    if (is_condition && !scopes_.empty() && scopes_.back().frame == Frame::kIf && !dead) {
      scopes_.back().then_dead = ConstantFalse(raw, cmd.argv);
    }
    if (cmd.argv.empty()) return;
    // `false && x`: x never runs.
    if (cmd.argv.size() == 1 && ProgramName(cmd.argv[0]) == "false" && !after_or)
      skip_next_ = true;
    if (dead) return;

    const std::string& prog = cmd.argv[0];
    std::string function = CurrentFunction();
    if (prog == "exit" && scopes_.empty() && !after_and && !after_or && and_or_.empty()) {
      after_exit_ = true;
      return;
    }
    if ((prog == "." || prog == "source") && cmd.argv.size() >= 2) {
      Source(cmd.argv[1]);
      return;
    }
    if (cmd.argv.size() >= 2 && prog == "procd_append_param" && cmd.argv[1] == "command") {
      for (auto it = script_.commands.rbegin(); it != script_.commands.rend(); ++it) {
        if (!it->procd || it->function != function) continue;
        for (size_t k = 2; k < cmd.argv.size() && it->argv.size() < 256; ++k)
          it->argv.push_back(cmd.argv[k]);
        it->procd_appended = true;
        break;
      }
      return;
    }
    if (cmd.argv.size() >= 3 && prog == "procd_set_param" && cmd.argv[1] == "command") {
      cmd.argv.erase(cmd.argv.begin(), cmd.argv.begin() + 2);
      cmd.procd = true;
      // The program word itself must be known.
      bool resolved = true;
      std::vector<VarOrigin> ignored;
      size_t program_word = first + 2;
      if (program_word < words.size()) {
        Expander(vars_, fallback_).Expand(words[program_word]->text, &resolved, &ignored);
      }
      cmd.resolved = resolved;
    }
    calls_.push_back({function, prog});
    cmd.offset = lines_.StartOf(words[first]->offset);
    cmd.line = lines_.LineOf(words[first]->offset);
    cmd.excerpt = lines_.Excerpt(words[first]->offset);
    cmd.pipeline = pipeline;
    cmd.function = std::move(function);
    if (script_.commands.size() < kMaxStartCommands) {
      script_.commands.push_back(std::move(cmd));
    } else if (!too_many_) {
      too_many_ = true;
      script_.problems.push_back(
          fmt::format("more than {} commands: the rest not read", kMaxStartCommands));
    }
  }

  void Assign(const Token& word) {
    size_t eq = word.text.find('=');
    std::string name = word.text.substr(0, eq);
    Expander ex(vars_, fallback_);
    bool resolved = true;
    std::vector<VarOrigin> used;
    std::vector<std::string> fields = ex.Expand(std::string_view(word.text).substr(eq + 1),
                                                &resolved, &used);
    std::string value;
    for (const std::string& f : fields) value += (value.empty() ? "" : " ") + f;
    if (!resolved) {
      vars_.erase(name);  // unknowable from here on
      unknown_.insert(name);
      return;
    }
    vars_[name] = {value, {name, options_.path, lines_.StartOf(word.offset),
                           lines_.Excerpt(word.offset)}};
  }

  void Source(const std::string& path) {
    if (!options_.read_file || options_.depth >= kMaxSourceDepth || path.empty() ||
        path[0] != '/')
      return;
    const std::string* text = options_.read_file(path);
    if (text == nullptr) return;
    ShellOptions sub;
    sub.path = path;
    sub.read_file = options_.read_file;
    sub.depth = options_.depth + 1;
    const Vars none;
    Reader inner(*text, sub, none);
    inner.tokens_ = Lexer(*text, inner.lines_, nullptr).Run();
    size_t i = 0;
    while (i < inner.tokens_.size()) i = inner.Command(i);
    // A sourced file contributes its variables (a library's commands are not run here).
    for (const auto& [k, v] : inner.vars_) vars_[k] = v;
  }

  void RecordGlobWord(const std::string& word, uint64_t offset) {
    (void)offset;
    if (word.find_first_of("*?[") == std::string::npos) return;
    if (word.find('/') == std::string::npos) return;
    if (globs_.size() < 64) globs_.insert(word);
  }

  // Functions nobody calls are dropped, and calls of functions are not commands.
  void Finish() {
    std::set<std::string> reachable;
    for (const std::string& f : functions_) {
      if (IsEntryFunction(f)) reachable.insert(f);
    }
    bool changed = true;
    for (int round = 0; changed && round < 64; ++round) {
      changed = false;
      for (const auto& [from, to] : calls_) {
        if (!functions_.count(to) || reachable.count(to)) continue;
        if (from.empty() || reachable.count(from)) {
          reachable.insert(to);
          changed = true;
        }
      }
    }
    std::vector<ShellCommand> kept;
    for (ShellCommand& c : script_.commands) {
      if (functions_.count(c.argv[0])) continue;
      if (!c.function.empty() && !reachable.count(c.function)) continue;
      kept.push_back(std::move(c));
    }
    script_.commands = std::move(kept);
    // Globs in reachable code (for i in /etc/init.d/S??*) are returned as pseudo-commands
    // that the walk expands against the filesystem.
    for (const std::string& g : globs_) {
      bool resolved = true;
      std::vector<VarOrigin> used;
      std::vector<std::string> fields = Expander(vars_, fallback_).Expand(g, &resolved, &used);
      for (const std::string& f : fields) {
        if (!f.empty() && f[0] == '/') {
          ShellCommand glob;
          glob.argv = {"<glob>", f};
          glob.function = "<glob>";
          script_.commands.push_back(std::move(glob));
        }
      }
    }
  }

  std::string_view text_;
  Lines lines_;
  const ShellOptions& options_;
  const Vars& fallback_;
  std::vector<Token> tokens_;
  ShellScript script_;
  Vars vars_;
  std::set<std::string> unknown_;
  std::vector<Scope> scopes_;
  bool case_pattern_ = false;
  bool after_exit_ = false;
  bool condition_for_if_ = false;
  bool pipe_continues_ = false;
  bool skip_next_ = false;
  bool too_many_ = false;
  int pipeline_ = 0;
  std::string and_or_;
  std::string pending_function_;
  std::set<std::string> functions_;
  std::vector<std::pair<std::string, std::string>> calls_;  // (caller function, callee)
  std::set<std::string> globs_;
};

}  // namespace

std::string ProgramName(std::string_view argv0) {
  while (!argv0.empty() && (argv0.front() == '-' || argv0.front() == '@' ||
                            argv0.front() == '+' || argv0.front() == '!' || argv0.front() == ':'))
    argv0.remove_prefix(1);
  size_t slash = argv0.rfind('/');
  if (slash != std::string_view::npos) argv0 = argv0.substr(slash + 1);
  return std::string(argv0);
}

bool IsShell(std::string_view argv0) {
  static const std::set<std::string, std::less<>> kShells = {
      "sh", "ash", "bash", "dash", "hush", "ksh", "mksh", "zsh", "msh", "lash", "rbash"};
  return kShells.count(ProgramName(argv0)) != 0;
}

ShellScript ParseShellScript(std::string_view text, const ShellOptions& options) {
  // Two readings: the first learns the top-level variables, so that a function body can use
  // one its script sets further down (before it is called).
  Vars fallback;
  {
    const Vars none;
    Reader first(text, options, none);
    ShellScript ignored = first.Run();
    fallback = first.vars();
  }
  Reader second(text, options, fallback);
  return second.Run();
}

}  // namespace clearbox::audit
