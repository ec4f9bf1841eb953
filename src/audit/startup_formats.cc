// The line-oriented start places of startup.h: inittab, systemd units, inetd, xinetd,
// crontabs, UCI and hotplug rules. Each keeps the byte offset and the line of every entry.
#include <fmt/format.h>

#include <algorithm>

#include "startup.h"

namespace clearbox::audit {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Excerpt(std::string_view line) {
  line = Trim(line);
  std::string out(line.substr(0, kMaxExcerptBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '?';
  }
  if (line.size() > kMaxExcerptBytes) out += "...";
  return out;
}

// Calls fn(line, offset, number) for each line; lines over kMaxStartLineBytes are reported.
template <typename Fn>
void ForEachLine(std::string_view text, std::vector<std::string>* problems, Fn fn) {
  uint64_t offset = 0;
  size_t number = 0;
  while (offset < text.size()) {
    size_t nl = text.find('\n', offset);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++number;
    std::string_view line = text.substr(offset, end - offset);
    if (line.size() > kMaxStartLineBytes) {
      if (problems && problems->size() < 16)
        problems->push_back(fmt::format("line {} (offset {}): line of {} bytes skipped", number,
                                        offset, line.size()));
    } else if (line.find('\0') != std::string_view::npos) {
      if (problems && problems->size() < 16)
        problems->push_back(fmt::format("line {} (offset {}): NUL byte, line skipped", number, offset));
    } else {
      fn(line, offset, number);
    }
    offset = end + 1;
  }
}

std::vector<std::string> SplitBlanks(std::string_view s, size_t max_fields = SIZE_MAX) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i >= s.size()) break;
    if (out.size() + 1 == max_fields) {
      out.emplace_back(Trim(s.substr(i)));
      break;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r') ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string Unquote(std::string_view v) {
  v = Trim(v);
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string(v);
}

}  // namespace

std::vector<InittabEntry> ParseInittab(std::string_view text, std::vector<std::string>* problems) {
  std::vector<InittabEntry> out;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#' || out.size() >= kMaxStartCommands) return;
    std::string_view fields[3];
    std::string_view rest = t;
    for (auto& f : fields) {
      size_t colon = rest.find(':');
      if (colon == std::string_view::npos) return;  // not an entry
      f = rest.substr(0, colon);
      rest.remove_prefix(colon + 1);
    }
    out.push_back({std::string(Trim(fields[0])), std::string(Trim(fields[1])),
                   std::string(Trim(fields[2])), std::string(Trim(rest)), offset, number,
                   Excerpt(line)});
  });
  return out;
}

std::vector<UnitKey> ParseUnit(std::string_view text, std::vector<std::string>* problems) {
  std::vector<UnitKey> out;
  std::string section;
  // A line ending in '\' continues on the next (ExecStart= over several lines).
  std::string pending;
  uint64_t pending_offset = 0;
  size_t pending_line = 0;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (pending.empty()) {
      if (t.empty() || t[0] == '#' || t[0] == ';') return;
      if (t[0] == '[') {
        size_t close = t.find(']');
        section = std::string(t.substr(1, close == std::string_view::npos ? t.size() - 1 : close - 1));
        return;
      }
      pending_offset = offset;
      pending_line = number;
    }
    if (!t.empty() && t.back() == '\\' && pending.size() < kMaxStartLineBytes) {
      pending.append(t.substr(0, t.size() - 1)).push_back(' ');
      return;
    }
    pending.append(t);
    size_t eq = pending.find('=');
    if (eq != std::string::npos && out.size() < kMaxStartCommands) {
      std::string excerpt = Excerpt(text.substr(pending_offset, text.find('\n', pending_offset) -
                                                                    pending_offset));
      out.push_back({section, std::string(Trim(std::string_view(pending).substr(0, eq))),
                     std::string(Trim(std::string_view(pending).substr(eq + 1))), pending_offset,
                     pending_line, std::move(excerpt)});
    }
    pending.clear();
  });
  return out;
}

std::vector<InetdEntry> ParseInetd(std::string_view text, std::vector<std::string>* problems) {
  std::vector<InetdEntry> out;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#' || out.size() >= kMaxStartCommands) return;
    std::vector<std::string> f = SplitBlanks(t, 256);
    if (f.size() < 6) return;
    InetdEntry e{f[0], f[1], f[2], f[4], f[5], {}, offset, number, Excerpt(line)};
    for (size_t k = 6; k < f.size(); ++k) e.args.push_back(f[k]);
    out.push_back(std::move(e));
  });
  return out;
}

std::vector<XinetdService> ParseXinetd(std::string_view text, std::vector<std::string>* problems) {
  std::vector<XinetdService> out;
  bool in_service = false;
  XinetdService current;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') return;
    if (!in_service) {
      if (t.starts_with("service") && (t.size() == 7 || t[7] == ' ' || t[7] == '\t')) {
        current = {};
        current.name = std::string(Trim(t.substr(7)));
        size_t brace = current.name.find('{');
        if (brace != std::string::npos) current.name = std::string(Trim(current.name.substr(0, brace)));
        current.offset = offset;
        current.line = number;
        current.excerpt = Excerpt(line);
        in_service = true;
      }
      return;
    }
    if (t == "{") return;
    if (t[0] == '}') {
      if (out.size() < kMaxStartCommands) out.push_back(std::move(current));
      in_service = false;
      return;
    }
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view key = Trim(t.substr(0, eq));
    if (!key.empty() && (key.back() == '+' || key.back() == '-')) key = Trim(key.substr(0, key.size() - 1));
    current.keys[std::string(key)] = {current.name, std::string(key),
                                      std::string(Trim(t.substr(eq + 1))), offset, number,
                                      Excerpt(line)};
  });
  return out;
}

std::vector<CronEntry> ParseCrontab(std::string_view text, bool system_format,
                                    std::vector<std::string>* problems) {
  std::vector<CronEntry> out;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#' || out.size() >= kMaxStartCommands) return;
    size_t schedule_fields = 5;
    if (t[0] == '@') schedule_fields = 1;
    else {
      // NAME=value lines set the environment.
      size_t eq = t.find('=');
      size_t sp = t.find_first_of(" \t");
      if (eq != std::string_view::npos && (sp == std::string_view::npos || eq < sp)) return;
    }
    std::vector<std::string> f = SplitBlanks(t, schedule_fields + (system_format ? 1 : 0) + 1);
    if (f.size() != schedule_fields + (system_format ? 1 : 0) + 1) return;
    std::string command = f.back();
    // '%' starts the command's standard input (unless escaped).
    size_t pct = 0;
    while ((pct = command.find('%', pct)) != std::string::npos) {
      if (pct > 0 && command[pct - 1] == '\\') {
        ++pct;
        continue;
      }
      command.resize(pct);
      break;
    }
    out.push_back({command, offset, number, Excerpt(line)});
  });
  return out;
}

const UciOption* UciSection::Find(std::string_view key) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

std::vector<UciSection> ParseUci(std::string_view text, std::vector<std::string>* problems) {
  std::vector<UciSection> out;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') return;
    std::vector<std::string> f = SplitBlanks(t, 3);
    if (f.empty()) return;
    if (f[0] == "config" && f.size() >= 2 && out.size() < kMaxStartCommands) {
      out.push_back({Unquote(f[1]), f.size() >= 3 ? Unquote(f[2]) : "", {}, offset, number,
                     Excerpt(line)});
      return;
    }
    if ((f[0] == "option" || f[0] == "list") && f.size() >= 2 && !out.empty() &&
        out.back().options.size() < 4096) {
      out.back().options.push_back(
          {Unquote(f[1]), f.size() >= 3 ? Unquote(f[2]) : "", offset, Excerpt(line)});
    }
  });
  return out;
}

std::vector<CronEntry> ParseHotplugRules(std::string_view text, bool mdev,
                                         std::vector<std::string>* problems) {
  std::vector<CronEntry> out;
  ForEachLine(text, problems, [&](std::string_view line, uint64_t offset, size_t number) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#' || out.size() >= kMaxStartCommands) return;
    if (mdev) {
      // name uid:gid mode [>path|=path|!] [@|$|*cmd]
      std::vector<std::string> f = SplitBlanks(t, 5);
      for (size_t k = 3; k < f.size(); ++k) {
        char c = f[k][0];
        if (c == '@' || c == '$' || c == '*') {
          std::string rest(t.substr(t.find(f[k])));
          out.push_back({rest.substr(1), offset, number, Excerpt(line)});
          break;
        }
      }
      return;
    }
    // hotplug2: `exec CMD ARGS ;` inside a rule's braces, possibly on the rule's line.
    size_t at = 0;
    while ((at = t.find("exec", at)) != std::string_view::npos) {
      bool word_start = at == 0 || t[at - 1] == ' ' || t[at - 1] == '\t' || t[at - 1] == '{';
      bool word_end = at + 4 < t.size() && (t[at + 4] == ' ' || t[at + 4] == '\t');
      if (word_start && word_end) {
        std::string_view cmd = t.substr(at + 5);
        cmd = cmd.substr(0, cmd.find_first_of(";}"));
        out.push_back({std::string(Trim(cmd)), offset, number, Excerpt(line)});
        break;
      }
      at += 4;
    }
  });
  return out;
}

}  // namespace clearbox::audit
