// Fuzzes the auth-log parser (auth_log.h): syslog lines with RFC 3164 and RFC 3339 stamps,
// sshd -E lines, journalctl -o export entries (binary fields) and -o json lines, and the sshd
// messages inside them. Checks the caps the parser promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "clearbox/maint/auth_log.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  maint::AuthLog log;
  maint::AuthLogOptions options;
  options.now_us = int64_t{1796601600} * 1000000;  // 2026-12-07
  maint::ParseAuthLog(ByteView(data, size), "fuzz.log", options, &log);
  if (log.notes.size() > maint::AuthLogLimits::kMaxNotes) std::abort();
  if (log.events.size() > maint::AuthLogLimits::kMaxEvents) std::abort();
  for (const maint::AuthEvent& e : log.events) {
    if (e.text.size() > maint::AuthLogLimits::kMaxTextBytes) std::abort();
    (void)maint::AuthEventWhere(e);
    (void)maint::AuthEventKindName(e.kind);
    (void)maint::RefusalReasonName(e.reason);
  }
  return 0;
}
