#include <chrono>
#include <ctime>

#include "clearbox/core/encoding.h"
#include "clearbox/core/utc_time.h"
#include "clearbox/tlog/client.h"
#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {
constexpr std::string_view kStateHeader = "clearbox-log-monitor-state v1";
}  // namespace

std::string FormatMonitorState(const MonitorState& state) {
  return std::string(kStateHeader) + "\nnext-index " + std::to_string(state.next_index) + "\n\n" +
         state.checkpoint;
}

Result<MonitorState> ParseMonitorState(std::string_view text) {
  auto bad = [](int line, const std::string& why) {
    return Error::InvalidInput("monitor state line " + std::to_string(line) + ": " + why);
  };
  size_t nl1 = text.find('\n');
  if (nl1 == std::string_view::npos || text.substr(0, nl1) != kStateHeader) {
    return bad(1, "want " + std::string(kStateHeader));
  }
  size_t nl2 = text.find('\n', nl1 + 1);
  std::string_view line2 =
      text.substr(nl1 + 1, nl2 == std::string_view::npos ? nl2 : nl2 - nl1 - 1);
  if (nl2 == std::string_view::npos || !line2.starts_with("next-index ")) {
    return bad(2, "want next-index <n>");
  }
  auto next = crypto::internal::ParseCanonicalDecimal(line2.substr(11));
  if (!next) return bad(2, "next-index is not a decimal number");
  if (text.substr(nl2 + 1, 1) != "\n") return bad(3, "want an empty line");
  MonitorState state;
  state.next_index = *next;
  state.checkpoint = std::string(text.substr(nl2 + 2));
  if (state.checkpoint.empty() && state.next_index != 0) {
    return bad(4, "entries were reported but there is no checkpoint");
  }
  return state;
}

std::string ConsistencyEvidence::ToText() const {
  std::string when = FormatUtcSeconds(
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
  std::string out = "clearbox log monitor: EVIDENCE OF AN INCONSISTENT LOG\n";
  out += "recorded: " + when + "\n";
  out += "reason: " + reason + "\n\n";
  out += "Both checkpoints verify under the log's key, yet no consistency proof links them.\n";
  out += "Anyone can check this with the log's verifier key.\n\n";
  out += "--- checkpoint seen first ---\n" + older_checkpoint;
  out += "--- checkpoint seen later ---\n" + newer_checkpoint;
  out +=
      "--- consistency proof served by the log (" + std::to_string(proof.size()) + " hashes) ---\n";
  for (const Hash& h : proof) out += HashToBase64(h) + "\n";
  return out;
}

Result<LogMonitor::PollResult> LogMonitor::Poll(const LogClient::EntryVisitor& on_entry,
                                                uint64_t max_entries) {
  evidence_.reset();
  CLEARBOX_ASSIGN_OR_RETURN(VerifiedCheckpoint latest, client_.FetchCheckpoint());
  PollResult result;
  result.size = latest.checkpoint.size;
  if (!state_.checkpoint.empty()) {
    auto previous = client_.CheckCheckpoint(state_.checkpoint);
    if (!previous.ok()) return previous.error().WithContext("the checkpoint in the state file");
    result.previous_size = previous->checkpoint.size;
    std::vector<Hash> failed;
    auto proof = client_.CheckConsistency(*previous, latest, &failed);
    if (!proof.ok()) {
      if (proof.error().code() == ErrorCode::kVerificationFailed) {
        evidence_ = ConsistencyEvidence{proof.error().message(), state_.checkpoint,
                                        latest.signed_note, std::move(failed)};
      }
      return proof.error();
    }
    if (latest.checkpoint.size < previous->checkpoint.size) {
      // An older view (a lagging mirror or cache): consistent, so nothing to report yet.
      result.stale = true;
      result.size = previous->checkpoint.size;
      latest = std::move(*previous);
    }
  }
  state_.checkpoint = latest.signed_note;
  uint64_t end = latest.checkpoint.size;
  if (end - std::min(end, state_.next_index) > max_entries) end = state_.next_index + max_entries;
  if (state_.next_index < end) {
    CLEARBOX_RETURN_IF_ERROR(client_.ForEachEntry(
        state_.next_index, end, latest, [&](uint64_t index, ByteView entry) -> Status {
          CLEARBOX_RETURN_IF_ERROR(on_entry(index, entry));
          state_.next_index = index + 1;
          ++result.entries_reported;
          return Status::Ok();
        }));
  }
  return result;
}

}  // namespace clearbox::tlog
