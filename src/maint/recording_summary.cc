// SessionSummary <-> JSON, and the time format it uses.
#include <cstdio>
#include <ctime>

#include "clearbox/core/encoding.h"
#include "clearbox/core/utc_time.h"
#include "clearbox/maint/recording.h"

namespace clearbox::maint {
namespace {

Result<int64_t> ParseUnixMicros(const std::string& s, const char* field) {
  auto t = ParseUtcMicros(s);
  if (!t.ok()) return Error::InvalidInput(std::string(field) + ": " + t.error().message());
  return *t;
}

Result<Sha256Digest> ParseDigest(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) {
    return Error::InvalidInput(std::string(field) + ": missing or not a string");
  }
  auto b = HexDecode(j[field].get<std::string>());
  if (!b || b->size() != 32) return Error::InvalidInput(std::string(field) + ": not 64 hex digits");
  Sha256Digest d;
  std::copy(b->begin(), b->end(), d.begin());
  return d;
}

}  // namespace

std::string FormatUnixMicros(int64_t us) { return FormatUtcMicros(us); }

nlohmann::json SessionSummary::ToJson() const {
  return {{"ticket", BytesToText(AsBytes(ticket))},
          {"serial", serial},
          {"device", BytesToText(AsBytes(device))},
          {"command", BytesToText(AsBytes(command))},
          {"pty", pty},
          {"start", FormatUnixMicros(start_unix_us)},
          {"end", FormatUnixMicros(end_unix_us)},
          {"exitStatus", exit_status},
          {"castSha256", HexEncode(cast_sha256)},
          {"chainHead", HexEncode(head.value)},
          {"chunks", head.chunks},
          {"bytes", head.bytes},
          {"events", events}};
}

Result<SessionSummary> SessionSummary::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Error::InvalidInput("session summary: not a JSON object");
  SessionSummary s;
  auto str = [&](const char* f) -> Result<std::string> {
    if (!j.contains(f) || !j[f].is_string()) {
      return Error::InvalidInput(std::string(f) + ": missing or not a string");
    }
    return std::string(AsChars(TextToBytes(j[f].get<std::string>())));
  };
  auto num = [&](const char* f) -> Result<uint64_t> {
    if (!j.contains(f) || !j[f].is_number_unsigned()) {
      return Error::InvalidInput(std::string(f) + ": missing or not a non-negative integer");
    }
    return j[f].get<uint64_t>();
  };
  CLEARBOX_ASSIGN_OR_RETURN(s.ticket, str("ticket"));
  CLEARBOX_ASSIGN_OR_RETURN(s.serial, num("serial"));
  CLEARBOX_ASSIGN_OR_RETURN(s.device, str("device"));
  CLEARBOX_ASSIGN_OR_RETURN(s.command, str("command"));
  if (!j.contains("pty") || !j["pty"].is_boolean()) {
    return Error::InvalidInput("pty: missing or not true/false");
  }
  s.pty = j["pty"].get<bool>();
  CLEARBOX_ASSIGN_OR_RETURN(std::string start, str("start"));
  CLEARBOX_ASSIGN_OR_RETURN(s.start_unix_us, ParseUnixMicros(start, "start"));
  CLEARBOX_ASSIGN_OR_RETURN(std::string end, str("end"));
  CLEARBOX_ASSIGN_OR_RETURN(s.end_unix_us, ParseUnixMicros(end, "end"));
  if (!j.contains("exitStatus") || !j["exitStatus"].is_number_integer()) {
    return Error::InvalidInput("exitStatus: missing or not an integer");
  }
  s.exit_status = j["exitStatus"].get<int>();
  CLEARBOX_ASSIGN_OR_RETURN(s.cast_sha256, ParseDigest(j, "castSha256"));
  CLEARBOX_ASSIGN_OR_RETURN(s.head.value, ParseDigest(j, "chainHead"));
  CLEARBOX_ASSIGN_OR_RETURN(s.head.chunks, num("chunks"));
  CLEARBOX_ASSIGN_OR_RETURN(s.head.bytes, num("bytes"));
  CLEARBOX_ASSIGN_OR_RETURN(s.events, num("events"));
  return s;
}

}  // namespace clearbox::maint
