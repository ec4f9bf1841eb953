// Upload volume outliers against the device's own flows (docs/watch.md#volume).
#include <algorithm>
#include <cmath>
#include <map>

#include "watch_internal.h"

namespace clearbox::watch::internal {
namespace {

constexpr size_t kMaxBaseline = 4'000'000;  // flows in the baseline (16 MB of floats)
constexpr size_t kMaxCandidates = 1000;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  }
  return m;
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

void VolumeTracker::OnFlow(uint64_t device_sent, const std::string& peer, const FlowEvidence& e) {
  if (log_bytes_.size() < kMaxBaseline) {
    log_bytes_.push_back(static_cast<float>(std::log2(1.0 + static_cast<double>(device_sent))));
  }
  if (device_sent < p_.volume_min_bytes) return;
  if (candidates_.size() >= kMaxCandidates) {
    // Keep the largest: replace the smallest candidate when this one is larger.
    auto smallest = std::min_element(candidates_.begin(), candidates_.end(),
                                     [](const Candidate& a, const Candidate& b) {
                                       return a.sent < b.sent;
                                     });
    if (smallest->sent >= device_sent) return;
    *smallest = {device_sent, peer, e};
    return;
  }
  candidates_.push_back({device_sent, peer, e});
}

std::vector<WatchFinding> VolumeTracker::Findings() const {
  std::vector<WatchFinding> out;
  if (log_bytes_.size() < p_.volume_min_flows || candidates_.empty()) return out;
  std::vector<double> logs(log_bytes_.begin(), log_bytes_.end());
  double median = Median(logs);
  std::vector<double> dev;
  dev.reserve(logs.size());
  for (double v : logs) dev.push_back(std::fabs(v - median));
  double mad = Median(dev);
  // 1.4826 scales the MAD to a standard deviation for normal data.
  double over = std::max(std::log2(p_.volume_factor), p_.volume_mad_k * 1.4826 * mad);
  double threshold_log = median + over;
  double threshold = std::exp2(threshold_log) - 1;
  std::map<std::string, WatchFinding> by_peer;
  for (const Candidate& c : candidates_) {
    if (std::log2(1.0 + static_cast<double>(c.sent)) <= threshold_log) continue;
    WatchFinding& f = by_peer[c.peer];
    if (f.check_id.empty()) {
      f.check_id = "CB-WATCH-013";
      f.severity = WatchSeverity::kMedium;
      f.peer = c.peer;
      f.facts = {{"baseline_flows", std::to_string(log_bytes_.size())},
                 {"median_sent_bytes", Fixed(std::exp2(median) - 1)},
                 {"threshold_bytes", Fixed(threshold)},
                 {"mad_log2", Fixed(mad)}};
    }
    ++f.flow_count;
    uint64_t total = std::stoull(f.facts["sent_bytes"].empty() ? "0" : f.facts["sent_bytes"]);
    f.facts["sent_bytes"] = std::to_string(total + c.sent);
    if (f.flows.size() < p_.max_evidence) f.flows.push_back(c.evidence);
  }
  for (auto& [peer, f] : by_peer) {
    f.message = "upload volume outlier to " + peer + ": " + f.facts["sent_bytes"] +
                " bytes sent in " + std::to_string(f.flow_count) + " flow" +
                (f.flow_count == 1 ? "" : "s") + ", against a median of " +
                f.facts["median_sent_bytes"] + " bytes a flow over the device's " +
                f.facts["baseline_flows"] + " flows (threshold " + f.facts["threshold_bytes"] +
                " bytes)";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace clearbox::watch::internal
