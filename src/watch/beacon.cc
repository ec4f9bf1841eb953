// Beaconing: connection starts to one service of one peer, spaced evenly and of constant
// size, scored after RITA's beacon analysis (docs/watch.md#beaconing).
#include <algorithm>
#include <cmath>
#include <map>

#include "watch_internal.h"

namespace clearbox::watch::internal {
namespace {

// Linear interpolation between closest ranks (R's type 7) of sorted values.
double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  double pos = p * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// Bowley's quartile skewness, (Q1 + Q3 - 2 Q2) / (Q3 - Q1): 0 for a symmetric spread. 0 too
// when the spread is noise: as RITA, when the median sits on a quartile (a 2.003 s / 1.997 s
// alternation would otherwise give the worst skew of all), and when Q3 - Q1 is at most
// `floor` (timer jitter of a few milliseconds on a 1 s period says nothing of its shape;
// RITA gets the same from whole-second timestamps).
double Bowley(const std::vector<double>& sorted, double floor) {
  double q1 = Quantile(sorted, 0.25), q2 = Quantile(sorted, 0.5), q3 = Quantile(sorted, 0.75);
  if (q3 - q1 <= floor || q2 == q1 || q2 == q3) return 0;
  return (q1 + q3 - 2 * q2) / (q3 - q1);
}

// The median absolute deviation about the median.
double Madm(const std::vector<double>& sorted) {
  double mid = Quantile(sorted, 0.5);
  std::vector<double> dev;
  dev.reserve(sorted.size());
  for (double v : sorted) dev.push_back(std::fabs(v - mid));
  std::sort(dev.begin(), dev.end());
  return Quantile(dev, 0.5);
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// 1 - dispersion/median: 1 when every value is the median.
double MadmScore(const std::vector<double>& sorted) {
  double mid = Quantile(sorted, 0.5), madm = Madm(sorted);
  if (mid <= 0) return madm == 0 ? 1.0 : 0.0;
  return Clamp01(1.0 - madm / mid);
}

}  // namespace

size_t PairKeyHash::operator()(const PairKey& k) const {
  size_t h = IpAddressHash{}(std::get<0>(k));
  return h ^ (static_cast<size_t>(std::get<1>(k)) << 17) ^
         (static_cast<size_t>(std::get<2>(k)) * 0x9e3779b97f4a7c15ull);
}

std::optional<BeaconScore> ScoreBeacon(const std::vector<int64_t>& starts_ns,
                                       const std::vector<uint64_t>& bytes, int64_t span_ns) {
  if (starts_ns.size() < 3 || bytes.size() != starts_ns.size()) return std::nullopt;
  std::vector<double> intervals;
  intervals.reserve(starts_ns.size() - 1);
  for (size_t i = 1; i < starts_ns.size(); ++i) {
    intervals.push_back(static_cast<double>(starts_ns[i] - starts_ns[i - 1]) / 1e9);
  }
  std::sort(intervals.begin(), intervals.end());
  double median = Quantile(intervals, 0.5);
  if (median <= 0) return std::nullopt;
  std::vector<double> sizes(bytes.begin(), bytes.end());
  std::sort(sizes.begin(), sizes.end());

  BeaconScore s;
  s.events = starts_ns.size();
  s.median_interval_s = median;
  s.median_bytes = static_cast<uint64_t>(Quantile(sizes, 0.5));
  s.ts_skew = Clamp01(1.0 - std::fabs(Bowley(intervals, std::max(0.01, 0.02 * median))));
  s.ts_madm = MadmScore(intervals);
  // How many of the slots the period gives the capture were used: a few evenly spaced
  // connections in a long capture are not a beacon.
  double slots = static_cast<double>(span_ns) / 1e9 / median;
  s.ts_count = slots <= 1 ? 1.0 : Clamp01(static_cast<double>(s.events) / slots);
  s.ds_skew = Clamp01(1.0 - std::fabs(Bowley(sizes, 0.02 * Quantile(sizes, 0.5))));
  s.ds_madm = MadmScore(sizes);
  // The most common size (the smallest on a tie): beacons are small.
  std::map<uint64_t, size_t> counts;
  for (uint64_t b : bytes) ++counts[b];
  uint64_t mode = 0;
  size_t best = 0;
  for (const auto& [b, n] : counts) {
    if (n > best) best = n, mode = b;
  }
  s.ds_smallness = Clamp01(1.0 - static_cast<double>(mode) / 65535.0);
  s.score = ((s.ts_skew + s.ts_madm + s.ts_count) / 3.0 +
             (s.ds_skew + s.ds_madm + s.ds_smallness) / 3.0) / 2.0;
  return s;
}

void BeaconTracker::OnPacket(uint64_t number, int64_t ts_ns, const DecodedPacket& d,
                             bool from_device) {
  const bool ports = d.protocol == kProtoTcp || d.protocol == kProtoUdp;
  PairKey key = from_device ? PairKey{d.dst, d.protocol, ports ? d.dst_port : 0}
                            : PairKey{d.src, d.protocol, ports ? d.src_port : 0};
  auto it = pairs_.find(key);
  if (it == pairs_.end()) {
    if (!from_device) return;  // only the device's own connections start a pair
    if (pairs_.size() >= p_.beacon_max_pairs) {
      ++dropped_pairs_;
      return;
    }
    it = pairs_.emplace(key, Pair{}).first;
  }
  Pair& pair = it->second;
  if (from_device) {
    bool start;
    if (d.protocol == kProtoTcp) {
      start = (d.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
    } else {
      start = pair.events.empty() || ts_ns - pair.last_from_device_ns > p_.beacon_burst_gap_ns;
    }
    pair.last_from_device_ns = ts_ns;
    if (start) {
      if (pair.events.size() >= p_.beacon_max_events) {
        pair.truncated = true;
      } else {
        pair.events.push_back({ts_ns, 0, number, ports ? d.src_port : uint16_t{0}});
      }
    }
  }
  if (!pair.events.empty() && !pair.truncated) pair.events.back().bytes += d.payload_length;
}

}  // namespace clearbox::watch::internal
