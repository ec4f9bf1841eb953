#include "clearbox/core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace clearbox {

Progress::Progress(std::string label) : Progress(std::move(label), ::isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::Add(uint64_t items, uint64_t bytes) {
  items_ += items;
  bytes_ += bytes;
  if (enabled_) Draw(false);
}

void Progress::SetDetail(std::string detail) {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    detail_ = std::move(detail);
  }
  Draw(false);
}

void Progress::Draw(bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double mib = static_cast<double>(bytes_) / (1 << 20);
  uint64_t total = total_bytes_;
  if (total > 0) {
    std::fprintf(stderr, "\r\033[K%s: %llu items, %.1f MiB (%.0f%%), %.1f s %s", label_.c_str(),
                 static_cast<unsigned long long>(items_.load()), mib,
                 100.0 * static_cast<double>(bytes_) / static_cast<double>(total), secs,
                 detail_.c_str());
  } else {
    std::fprintf(stderr, "\r\033[K%s: %llu items, %.1f MiB, %.1f s %s", label_.c_str(),
                 static_cast<unsigned long long>(items_.load()), mib, secs, detail_.c_str());
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace clearbox
