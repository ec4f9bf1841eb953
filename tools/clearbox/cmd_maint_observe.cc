// clearbox maint relay --policy P [--listen HOST:PORT]
// clearbox maint observe --policy P --key APPROVER_KEY [--relay HOST:PORT] [--ticket T]
// Live observers of maintenance sessions (docs/maint-recording.md, "Live observers").
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "clearbox/maint/observer.h"
#include "commands.h"
#include "common.h"
#include "maint_cli.h"
#include "release_inputs.h"
#include "server/maint_relay.h"

namespace clearbox::cli {
namespace {

struct RelayArgs {
  std::string policy, listen;
};

struct ObserveArgs {
  std::string policy, relay, key, ticket;
};

void LogLine(const std::string& message) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::fprintf(stderr, "%s %s\n", stamp, message.c_str());
}

int RunRelay(const RelayArgs& a) {
  // Blocked before the relay's thread starts, so that only sigwait below takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto policy = LoadPolicy(a.policy);
  if (!policy.ok()) return Fail(policy.error());
  server::MaintRelayOptions options;
  options.listen = !a.listen.empty()              ? a.listen
                   : !policy->observer.relay.empty() ? policy->observer.relay
                                                     : options.listen;
  options.log = LogLine;
  auto relay = server::MaintRelay::Start(policy->approvers, options);
  if (!relay.ok()) return Fail(relay.error());
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  std::printf("relay listening on %s:%u (%zu approvers may observe)\n", host.c_str(),
              (*relay)->port(), policy->approvers.size());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  LogLine(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  (*relay)->Stop();
  return kExitOk;
}

int g_stop_pipe = -1;
void OnStop(int) {
  char b = 1;
  if (g_stop_pipe >= 0) (void)!write(g_stop_pipe, &b, 1);
}

int RunObserve(const ObserveArgs& a) {
  auto policy = LoadPolicy(a.policy);
  if (!policy.ok()) return Fail(policy.error());
  std::string relay = !a.relay.empty() ? a.relay : policy->observer.relay;
  if (relay.empty()) {
    return Fail(Error::InvalidInput("--relay: the policy names no observer relay"));
  }
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return Fail(key.error());
  int stop[2];
  if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Fail(Error::FromErrno("pipe", "stop signals", errno));
  }
  g_stop_pipe = stop[1];
  struct sigaction sa {};
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  maint::ObserveOptions o;
  o.relay = relay;
  o.ticket = a.ticket;
  o.in_fd = 0;
  o.out_fd = 1;
  o.stop_fd = stop[0];
  o.status = [](const std::string& s) {
    std::fprintf(stderr, "clearbox: %s\n", s.c_str());
    std::fflush(stderr);
  };
  auto r = maint::Observe(o, *key);
  if (!r.ok()) return Fail(r.error());
  std::fprintf(stderr, "clearbox: %s (watched as %s: ticket %s, serial %llu, device %s)\n",
               r->reason.c_str(), r->name.c_str(), r->session.ticket.c_str(),
               (unsigned long long)r->session.serial, r->session.device.c_str());
  return kExitOk;
}

}  // namespace

void RegisterMaintObserveCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);
  auto ra = std::make_shared<RelayArgs>();
  CLI::App* relay = maint->add_subcommand(
      "relay", "relay live maintenance sessions to authenticated approvers (read-only)");
  relay->add_option("--policy", ra->policy, "the maintenance policy (its approvers may observe)")
      ->required();
  relay->add_option("--listen", ra->listen,
                    "HOST:PORT (default: the policy's observer.relay, else 127.0.0.1:7022; "
                    "port 0: any free port)");
  relay->callback([ra] { ExitCode() = RunRelay(*ra); });

  auto oa = std::make_shared<ObserveArgs>();
  CLI::App* obs = maint->add_subcommand(
      "observe", "watch a live maintenance session, read-only, as an approver (Ctrl-] leaves)");
  obs->add_option("--policy", oa->policy, "the maintenance policy")->required();
  obs->add_option("--key", oa->key, "your approver signer key (`clearbox key generate`)")
      ->required();
  obs->add_option("--relay", oa->relay, "HOST:PORT of `maint relay` (default: the policy's)");
  obs->add_option("--ticket", oa->ticket, "the session's ticket (when several are live)");
  obs->callback([oa] { ExitCode() = RunObserve(*oa); });
}

}  // namespace clearbox::cli
