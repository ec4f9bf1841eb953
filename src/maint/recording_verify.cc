// VerifyRecording: reads a recording line by line, recomputes the chain, and says where it
// breaks. Every line is untrusted: its length is capped before parsing, JSON goes through the
// strict parser, and every error names the chunk, the line and its byte offset.
#include <charconv>
#include <cmath>
#include <cstring>

#include "clearbox/core/encoding.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/maint/recording.h"

namespace clearbox::maint {
namespace {

std::string Range(uint64_t from, uint64_t to) {
  return "bytes " + std::to_string(from) + "-" + std::to_string(to);
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 20) return std::nullopt;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct ChainMarker {
  uint64_t chunk = 0;
  uint64_t offset = 0;
  Sha256Digest value{};
};

// "<chunk> <offset> <64 hex>" after the "clearbox:chain " / "clearbox:last " prefix.
std::optional<ChainMarker> ParseChainMarker(std::string_view rest) {
  size_t a = rest.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = rest.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto chunk = ParseU64(rest.substr(0, a));
  auto offset = ParseU64(rest.substr(a + 1, b - a - 1));
  std::string_view hex = rest.substr(b + 1);
  if (!chunk || !offset || hex.size() != 64) return std::nullopt;
  auto bytes = HexDecode(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  ChainMarker m;
  m.chunk = *chunk;
  m.offset = *offset;
  std::memcpy(m.value.data(), bytes->data(), 32);
  return m;
}

Result<SessionEnd> ParseEnd(std::string_view text) {
  CLEARBOX_ASSIGN_OR_RETURN(nlohmann::json j, ParseStrictJson(text, "end marker", 2));
  if (!j.is_object()) return Error::InvalidInput("end marker: not a JSON object");
  SessionEnd e;
  auto u = [&](const char* f, uint64_t& out) -> Status {
    if (!j.contains(f) || !j[f].is_number_unsigned()) {
      return Error::InvalidInput(std::string("end marker: ") + f + " missing or not a count");
    }
    out = j[f].get<uint64_t>();
    return Status::Ok();
  };
  if (!j.contains("exitStatus") || !j["exitStatus"].is_number_integer()) {
    return Error::InvalidInput("end marker: exitStatus missing or not an integer");
  }
  e.exit_status = j["exitStatus"].get<int>();
  CLEARBOX_RETURN_IF_ERROR(u("inputBytes", e.input_bytes));
  CLEARBOX_RETURN_IF_ERROR(u("outputBytes", e.output_bytes));
  CLEARBOX_RETURN_IF_ERROR(u("errorBytes", e.error_bytes));
  if (j.contains("note") && j["note"].is_string()) {
    e.note = std::string(AsChars(TextToBytes(j["note"].get<std::string>())));
  }
  return e;
}

Status CheckHeader(const nlohmann::json& h) {
  if (!h.is_object()) return Error::InvalidInput("the header is not a JSON object");
  if (!h.contains("version") || h["version"] != 2) {
    return Error::Unsupported("not asciicast v2 (the header's version is not 2)");
  }
  for (const char* f : {"width", "height"}) {
    if (!h.contains(f) || !h[f].is_number_unsigned() || h[f].get<uint64_t>() > 100000) {
      return Error::InvalidInput(std::string("header: ") + f + " missing or not a size");
    }
  }
  if (!h.contains("clearbox") || !h["clearbox"].is_object() || !h["clearbox"].contains("format") ||
      h["clearbox"]["format"] != kRecordingFormat) {
    return Error::Unsupported("not a clearbox recording: the header has no clearbox.format \"" +
                              std::string(kRecordingFormat) +
                              "\" (a plain asciicast has no chain to verify)");
  }
  return Status::Ok();
}

std::string ChunkCount(uint64_t done, const std::optional<ChainHead>& expected) {
  std::string s = "chunk " + std::to_string(done);
  if (expected) s += " of " + std::to_string(expected->chunks);
  return s;
}

}  // namespace

Result<VerifyReport> VerifyRecording(ByteView cast, const VerifyOptions& options) {
  VerifyReport report;
  Sha256Hasher prefix;  // the file from byte 0 up to `hashed`: a marker's value is its digest
  uint64_t hashed = 0;
  uint64_t chunk = 1, chunk_start = 0, pos = 0, line_no = 0;
  double last_time = 0;
  bool closed = false;
  const char* base = reinterpret_cast<const char*>(cast.data());

  while (pos < cast.size()) {
    const void* nl = std::memchr(base + pos, '\n', cast.size() - pos);
    uint64_t end = nl ? uint64_t(static_cast<const char*>(nl) - base) : cast.size();
    ++line_no;
    std::string where = "chunk " + std::to_string(chunk) + " (from byte " +
                        std::to_string(chunk_start) + "), line " + std::to_string(line_no) +
                        " at byte " + std::to_string(pos);
    if (closed) {
      return Error::VerificationFailed(
          std::to_string(cast.size() - pos) + " bytes after the closing marker, from byte " +
          std::to_string(pos) + " (line " + std::to_string(line_no) + ")");
    }
    if (!nl) break;  // a line cut off by a crash or truncation: reported as an uncovered tail
    uint64_t len = end - pos;
    uint64_t cap = line_no == 1 ? kMaxRecordingHeaderBytes : kMaxRecordingLineBytes;
    if (len > cap) {
      return Error::InvalidInput(where + ": the line is " + std::to_string(len) +
                                 " bytes long, over the limit of " + std::to_string(cap));
    }
    std::string_view line(base + pos, len);
    auto parsed = ParseStrictJson(line, "event", kMaxRecordingJsonDepth);
    if (!parsed.ok()) return Error(parsed.error().code(), where + ": " + parsed.error().message());
    nlohmann::json& j = *parsed;

    if (line_no == 1) {
      if (Status s = CheckHeader(j); !s.ok()) return s.error().WithContext("header (line 1)");
      report.header = std::move(j);
      pos = end + 1;
      continue;
    }
    if (!j.is_array() || j.size() != 3 || !j[0].is_number() || !j[1].is_string() ||
        !j[2].is_string()) {
      return Error::InvalidInput(where + ": not an asciicast event [time, type, data]");
    }
    double t = j[0].get<double>();
    const std::string& type = j[1].get_ref<const std::string&>();
    const std::string& data = j[2].get_ref<const std::string&>();
    if (!std::isfinite(t) || t < 0) return Error::InvalidInput(where + ": a bad time");
    if (t < last_time) {
      return Error::VerificationFailed(where + ": the time goes backwards (" + std::to_string(t) +
                                       " after " + std::to_string(last_time) +
                                       "): events reordered");
    }
    last_time = t;
    if (type.size() != 1 || std::string_view("oirm").find(type[0]) == std::string_view::npos) {
      return Error::InvalidInput(where + ": unknown event type \"" + BytesToText(AsBytes(type)) +
                                 "\"");
    }
    ++report.events;

    std::string_view text = data;
    bool chain_marker =
        type == "m" && (text.starts_with("clearbox:chain ") || text.starts_with("clearbox:last "));
    if (chain_marker) {
      bool last = text.starts_with("clearbox:last ");
      auto m = ParseChainMarker(text.substr(last ? 14 : 15));
      if (!m) return Error::InvalidInput(where + ": a malformed chain marker");
      if (m->chunk != chunk) {
        return Error::VerificationFailed(
            where + ": the marker is for chunk " + std::to_string(m->chunk) + ", expected chunk " +
            std::to_string(chunk) + " (chunks removed, repeated or reordered)");
      }
      if (m->offset != pos) {
        return Error::VerificationFailed(
            "chunk " + std::to_string(chunk) + " (" + Range(chunk_start, pos) +
            "): its marker says it ends at byte " + std::to_string(m->offset) + " but it ends at " +
            std::to_string(pos) + ": bytes were inserted or removed");
      }
      prefix.Update(cast.subspan(hashed, pos - hashed));
      hashed = pos;
      Sha256Digest value = prefix.Peek();
      if (value != m->value) {
        return Error::VerificationFailed(
            "chunk " + std::to_string(chunk) + " (" + Range(chunk_start, pos) + ", up to line " +
            std::to_string(line_no) + ") is broken: its content does not hash to its chain marker");
      }
      report.head = {value, chunk, end + 1};
      report.covered_bytes = end + 1;
      chunk_start = pos;
      ++chunk;
      closed = last;
    } else if (type == "m" && text.starts_with("clearbox:end ")) {
      auto e = ParseEnd(text.substr(13));
      if (!e.ok()) return e.error().WithContext(where);
      report.end = *e;
    } else if (options.on_event) {
      RecordingEvent ev;
      ev.time = t;
      ev.type = type[0];
      ev.data = TextToBytes(data);
      ev.offset = pos;
      ev.line = line_no;
      CLEARBOX_RETURN_IF_ERROR(options.on_event(ev));
    }
    pos = end + 1;
  }
  if (line_no == 0 || report.header.is_null()) {
    return Error::InvalidInput("empty or cut off before the end of the header line");
  }

  prefix.Update(cast.subspan(hashed));  // the same pass gives the whole file's digest
  report.cast_sha256 = prefix.Finish();
  report.complete = closed;
  report.head.bytes = report.covered_bytes;
  if (!closed) {
    std::string msg = "cut off: the recording ends after " +
                      ChunkCount(report.head.chunks, options.expected) + ", at byte " +
                      std::to_string(report.covered_bytes) + "; " +
                      std::to_string(cast.size() - report.covered_bytes) +
                      " bytes after it are not covered by the chain (no closing marker)";
    if (!options.allow_incomplete) return Error::VerificationFailed(msg);
  }
  if (options.expected && closed && !(*options.expected == report.head)) {
    const ChainHead& e = *options.expected;
    return Error::VerificationFailed(
        "the chain head differs from the expected one: the recording has " +
        std::to_string(report.head.chunks) + " chunks, " + std::to_string(report.head.bytes) +
        " bytes, head " + HexEncode(report.head.value) + "; expected " + std::to_string(e.chunks) +
        " chunks, " + std::to_string(e.bytes) + " bytes, head " + HexEncode(e.value));
  }
  return report;
}

}  // namespace clearbox::maint
