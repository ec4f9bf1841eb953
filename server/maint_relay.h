// The live-observer relay (`clearbox maint relay`, docs/maint-recording.md "Live observers"):
// recorders register their sessions and stream the output; approvers authenticate with a
// signed challenge (clearbox/maint/observer.h) and watch, read-only.
//
//   MaintRelayOptions options;
//   options.listen = "127.0.0.1:0";
//   CLEARBOX_ASSIGN_OR_RETURN(auto relay, MaintRelay::Start(policy.approvers, options));
//   printf("relay on port %u\n", relay->port());
//   ...
//   relay->Stop();
//
// One thread (Boost.Asio) serves every connection; nothing it does blocks. Bounded: at most
// max_connections connections (more are closed when accepted), max_sessions sessions,
// max_observers per session, frames of RelayLimits::kMaxFrameBytes, an unsent queue of
// RelayLimits::kObserverQueueBytes per observer (output beyond it is dropped, and the observer
// told how much), auth_timeout from connect to authenticated, idle_timeout without a frame.
// A hostile frame closes its connection with an error frame naming why.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/maint/observer.h"
#include "clearbox/maint/policy.h"

namespace clearbox::server {

struct MaintRelayOptions {
  std::string listen = "127.0.0.1:7022";  // HOST:PORT; port 0 picks a free port
  size_t max_connections = maint::RelayLimits::kMaxConnections;
  size_t max_sessions = maint::RelayLimits::kMaxSessions;
  size_t max_observers = maint::RelayLimits::kMaxObserversPerSession;
  size_t observer_queue_bytes = maint::RelayLimits::kObserverQueueBytes;
  std::chrono::seconds auth_timeout{maint::RelayLimits::kAuthTimeoutSeconds};
  std::chrono::seconds idle_timeout{maint::RelayLimits::kIdleTimeoutSeconds};
  // One line per event (registered, joined, refused, left, ended); called on the relay's
  // thread. May be empty.
  std::function<void(const std::string&)> log;
};

class MaintRelay {
 public:
  // Binds and starts the relay's thread. `approvers` (the policy's) decide who may watch.
  // Errors: kInvalidInput (bad listen address), kIo (bind/listen failed, naming the address).
  static Result<std::unique_ptr<MaintRelay>> Start(std::vector<maint::Person> approvers,
                                                   const MaintRelayOptions& options);
  ~MaintRelay();  // Stops if still running.
  MaintRelay(const MaintRelay&) = delete;
  MaintRelay& operator=(const MaintRelay&) = delete;

  uint16_t port() const;
  // Closes every connection and joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit MaintRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clearbox::server
