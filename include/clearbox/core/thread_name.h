// Names the calling thread (at most 15 characters), so that `top -H`, `perf report --sort
// comm` and the benchmarks' per-thread CPU figures say which part of clearbox used the CPU.
#pragma once

#include <pthread.h>

namespace clearbox {

inline void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace clearbox
