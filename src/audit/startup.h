// Where services are started: the parsers of every start place of a Linux firmware image
// (shell scripts, inittab, systemd units and sockets, inetd/xinetd, crontabs, hotplug rules,
// OpenWrt UCI files) and the walk that finds, for each filesystem of an image, every command
// that boot, a socket, a timer or an event really runs.
//
//   ShellScript s = ParseShellScript(text, {});        // reachable simple commands, expanded
//   for (const ShellCommand& c : s.commands) ... c.argv, c.offset, c.line, c.excerpt
//   StartupMap map = FindStartups(inventory);           // every started command of the image
//   for (const StartSite& site : map.sites) ... site.argv, site.place, site.file, site.via
//
// "Reachable" is decided statically and conservatively for precision: comments, here-documents,
// the branch of `if false` (and of tests of two different constants), code after a top-level
// `exit`, functions nobody calls (rc.common's start/boot/start_service are called by init) and
// `disable = yes` xinetd services are not run; a command whose program is a variable the image
// never sets is not identified. A variable the script sets, or sets in a file it sources
// (`. /etc/default/telnetd`, systemd EnvironmentFile=), is expanded.
//
// Every parser takes hostile text: lines longer than kMaxStartLineBytes are skipped with a
// problem line, at most kMaxStartCommands commands are kept per file, expansions are capped.
// Nothing is ever executed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/inventory/inventory.h"

namespace clearbox::audit {

inline constexpr size_t kMaxStartLineBytes = 256 * 1024;  // a logical line (or word) longer is skipped
inline constexpr size_t kMaxStartCommands = 20000;        // per file
inline constexpr size_t kMaxExpansionBytes = 64 * 1024;   // one word after expansion
inline constexpr size_t kMaxExcerptBytes = 240;           // of a line quoted as evidence
inline constexpr int kMaxSourceDepth = 3;                 // `. file` inside `. file` ...
inline constexpr size_t kMaxStartedFiles = 5000;          // scripts walked per filesystem

// Where a variable that a command uses was set.
struct VarOrigin {
  std::string name;
  std::string path;  // the file (the script itself, or one it sources)
  uint64_t offset = 0;
  std::string excerpt;
};

struct ShellCommand {
  std::vector<std::string> argv;  // after expansion and word splitting
  // False when the program (argv[0]) came from something that cannot be known statically: a
  // variable never set, $1, $(...), `...`.
  bool resolved = true;
  uint64_t offset = 0;  // of the line where the command starts
  size_t line = 0;      // 1-based
  std::string excerpt;  // that line, at most kMaxExcerptBytes
  int pipeline = 0;     // commands joined by '|' share the number
  std::string function;         // the enclosing function, empty at top level
  bool procd = false;           // OpenWrt `procd_set_param command ...` (argv is what follows)
  bool procd_appended = false;  // `procd_append_param command ...` added words to it
  std::vector<VarOrigin> vars;  // where the variables it used were set
};

struct ShellScript {
  std::vector<ShellCommand> commands;  // the reachable simple commands, in order
  std::vector<std::string> problems;   // "line 4 (offset 120): ..." for the caller's notes
};

struct ShellOptions {
  std::string path;  // of the script, for VarOrigin
  std::map<std::string, std::string> vars;  // set before the script starts (EnvironmentFile)
  // The kept text of a sourced file (`. /etc/default/x`), or nullptr; empty: sourcing ignored.
  std::function<const std::string*(const std::string& path)> read_file;
  int depth = 0;  // of sourcing
};

// The reachable commands of a POSIX/busybox shell script. Never fails.
ShellScript ParseShellScript(std::string_view text, const ShellOptions& options = {});

// Base name of a path ("/usr/sbin/telnetd" -> "telnetd"); a leading '-' (a login shell in
// inittab, an ignored exit status in systemd) is dropped.
std::string ProgramName(std::string_view argv0);
// sh, ash, bash, dash, hush, ksh, mksh, zsh, msh, by ProgramName.
bool IsShell(std::string_view argv0);

// ---- the other start places --------------------------------------------------------------

// One line of /etc/inittab: busybox `tty::action:process` or sysvinit `id:runlevels:action:process`.
struct InittabEntry {
  std::string id, runlevels, action, process;
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
};
std::vector<InittabEntry> ParseInittab(std::string_view text, std::vector<std::string>* problems);

// A systemd unit file (or drop-in): the keys of every section, in order.
struct UnitKey {
  std::string section, key, value;
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
};
std::vector<UnitKey> ParseUnit(std::string_view text, std::vector<std::string>* problems);

// inetd.conf: `service socktype proto wait user server args...`.
struct InetdEntry {
  std::string service, socket_type, protocol, user, server;
  std::vector<std::string> args;  // argv, starting with argv[0]
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
};
std::vector<InetdEntry> ParseInetd(std::string_view text, std::vector<std::string>* problems);

// xinetd: `service NAME { key = value ... }`, each key with the line it is on.
struct XinetdService {
  std::string name;
  std::map<std::string, UnitKey> keys;  // by key; `section` is the service name
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
};
std::vector<XinetdService> ParseXinetd(std::string_view text, std::vector<std::string>* problems);

// A crontab: system format (a user field) or per-user format. The command of each entry.
struct CronEntry {
  std::string command;
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
};
std::vector<CronEntry> ParseCrontab(std::string_view text, bool system_format,
                                    std::vector<std::string>* problems);

// OpenWrt UCI: `config TYPE ['NAME']` then `option KEY 'VALUE'` / `list KEY 'VALUE'`.
struct UciOption {
  std::string key, value;
  uint64_t offset = 0;
  std::string excerpt;
};
struct UciSection {
  std::string type, name;
  std::vector<UciOption> options;
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
  const UciOption* Find(std::string_view key) const;  // the last one of that key
};
std::vector<UciSection> ParseUci(std::string_view text, std::vector<std::string>* problems);

// Commands run by /etc/hotplug2.rules (`exec CMD ...`) and /etc/mdev.conf (`@CMD`, `$CMD`, `*CMD`).
std::vector<CronEntry> ParseHotplugRules(std::string_view text, bool mdev,
                                         std::vector<std::string>* problems);

// ---- the walk over an image ---------------------------------------------------------------

// One command some start place runs.
struct StartSite {
  const inventory::FileRecord* file = nullptr;  // where the line is
  std::string place;  // "inittab", "init script", "systemd unit", "inetd", "xinetd", "crontab", "hotplug"
  uint64_t offset = 0;
  size_t line = 0;
  std::string excerpt;
  std::vector<std::string> argv;  // with wrappers (exec, nohup, start-stop-daemon ...) removed
  int pipeline = 0;               // with the file: commands of one pipeline share it
  std::string via;                // what started the file: "run by /etc/inittab line 3"
  std::string tty;                // inittab: the id field (busybox: the terminal)
  std::string action;             // inittab action, systemd "Accept=yes socket"
  std::string protocol;           // known from the start place (inetd, socket unit)
  std::vector<uint16_t> ports;    // known from the start place
  bool procd_appended = false;    // argv built up with procd_append_param (options elsewhere)
  std::vector<VarOrigin> vars;    // where its variables were set
  // The program when argv[0] resolves to a file of the same filesystem (links followed).
  const inventory::FileRecord* program = nullptr;
};

// One filesystem of the image: its key is the provenance up to the path.
struct StartFilesystem {
  std::string key;
  std::map<std::string, const inventory::FileRecord*, std::less<>> by_path;
  // The file at `path`, symlinks followed (at most 16 hops, never out of the filesystem).
  const inventory::FileRecord* Resolve(std::string_view path) const;
  // A program name as a shell finds it: absolute, or looked up in the usual PATH.
  const inventory::FileRecord* Which(std::string_view argv0) const;
  const std::string* Text(std::string_view path) const;  // kept text, nullptr if none
};

struct StartupMap {
  std::vector<StartFilesystem> filesystems;
  std::vector<StartSite> sites;  // in filesystem, then file, then line order
  std::vector<std::pair<std::string, std::string>> problems;  // (provenance, what)
  // The filesystem a file belongs to.
  const StartFilesystem* FilesystemOf(const inventory::FileRecord& f) const;
};

// Every command the image starts. Never fails: problems are listed for notes.
StartupMap FindStartups(const inventory::Inventory& inv);

// argv with the wrappers that run another program removed: exec, nohup, setsid, nice, env,
// chroot, timeout, start-stop-daemon (--exec/--startas and the arguments after --),
// procd_set_param command, service_start, busybox APPLET. Also splits tcpsvd/udpsvd:
// `tcpsvd 0 21 ftpd -w /` -> `ftpd -w /` with *port = 21 (and *protocol).
std::vector<std::string> Unwrap(std::vector<std::string> argv, uint16_t* port = nullptr,
                                std::string* protocol = nullptr);

}  // namespace clearbox::audit
