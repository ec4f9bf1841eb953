// Lines of the text files the checks read (scripts, configs, key files), with the byte offset
// each starts at: the offset is the evidence a finding cites.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace clearbox::audit::internal {

struct TextLine {
  std::string_view text;  // without the '\n' (a '\r' before it is kept)
  uint64_t offset;        // of the line's first byte in the file
};

// Calls f(TextLine) for each line of `text`, at most `max_lines` of them; a last line without
// a '\n' counts. Linear; never reads outside `text`.
template <typename F>
void ForEachLine(std::string_view text, F f, size_t max_lines = 1'000'000) {
  size_t pos = 0;
  for (size_t n = 0; pos < text.size() && n < max_lines; ++n) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    f(TextLine{text.substr(pos, eol - pos), pos});
    pos = eol + 1;
  }
}

// The lines of `text` as ForEachLine gives them, for checks that look back and ahead.
inline std::vector<TextLine> SplitLines(std::string_view text) {
  std::vector<TextLine> out;
  ForEachLine(text, [&](const TextLine& l) { out.push_back(l); });
  return out;
}

// Without blanks (space, tab) and carriage returns at either end.
inline std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace clearbox::audit::internal
