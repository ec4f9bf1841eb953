// Progress lines for long jobs: shown on a terminal (stderr is a tty), silent otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace clearbox {

// Thread-safe. Redraws at most ~10 times a second; Finish() clears the line.
class Progress {
 public:
  // `label` names the job ("unpack fw.bin"). `enabled` defaults to isatty(stderr).
  explicit Progress(std::string label);
  Progress(std::string label, bool enabled);
  ~Progress();

  bool enabled() const { return enabled_; }
  // Adds to the counters and redraws if due. `total_bytes` of 0 means unknown.
  void Add(uint64_t items, uint64_t bytes);
  void SetTotalBytes(uint64_t total) { total_bytes_ = total; }
  void SetDetail(std::string detail);
  void Finish();

 private:
  void Draw(bool force);

  std::string label_;
  bool enabled_;
  std::atomic<uint64_t> items_{0}, bytes_{0}, total_bytes_{0};
  std::mutex mu_;
  std::string detail_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
};

}  // namespace clearbox
