#include "server/maint_relay.h"

#include <array>
#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <thread>

#include "server/http_server.h"

namespace clearbox::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using maint::FrameType;
using maint::RelayMessage;
using Clock = std::chrono::steady_clock;

namespace {

enum class Role {
  kNew,         // nothing said yet
  kRecorder,    // registered a session
  kChallenged,  // an observer that got its challenge
  kPending,     // authenticated here, the recorder has not accepted yet
  kWatching,    // accepted: gets the output
};

constexpr std::chrono::seconds kCloseGrace{5};  // to flush an error frame before closing

}  // namespace

struct Connection;

struct Session {
  maint::SessionInfo info;
  std::weak_ptr<Connection> recorder;
  std::map<uint64_t, std::weak_ptr<Connection>> observers;  // pending and watching
};

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(tcp::socket s, uint64_t k) : socket(std::move(s)), key(k) {}
  tcp::socket socket;
  uint64_t key;  // in Impl::connections
  Role role = Role::kNew;
  std::string session;  // the session id it registered or watches
  std::string nonce;    // its challenge, used once
  uint64_t observer = 0;
  std::string name;
  maint::FrameReader reader;
  std::array<uint8_t, 16384> buf{};
  std::deque<std::shared_ptr<const std::string>> queue;
  size_t queued = 0;
  bool writing = false;
  bool closing = false;  // flush, then close
  bool closed = false;
  uint64_t dropped = 0;  // output dropped, not yet reported
  Clock::time_point started = Clock::now(), last_in = Clock::now(), last_out = Clock::now();
  Clock::time_point close_by{};
};

struct MaintRelay::Impl {
  std::vector<maint::Person> approvers;
  MaintRelayOptions options;
  net::io_context io;
  tcp::acceptor acceptor{io};
  net::steady_timer timer{io};
  std::thread thread;
  uint16_t port = 0;
  bool stopped = false;
  uint64_t next_key = 1, next_observer = 1;
  std::map<uint64_t, std::shared_ptr<Connection>> connections;
  std::map<std::string, Session> sessions;

  void Log(const std::string& line) {
    if (options.log) options.log(line);
  }

  static std::string Describe(const maint::SessionInfo& s) {
    return "ticket " + s.ticket + ", serial " + std::to_string(s.serial) + ", device " + s.device;
  }

  void Accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || stopped) return;
      if (!ec) {
        if (connections.size() >= options.max_connections) {
          boost::system::error_code ignored;
          s.close(ignored);  // a flood costs nothing
        } else {
          boost::system::error_code ignored;
          s.set_option(tcp::no_delay(true), ignored);
          auto c = std::make_shared<Connection>(std::move(s), next_key++);
          connections[c->key] = c;
          Read(c);
        }
      }
      Accept();
    });
  }

  void Read(const std::shared_ptr<Connection>& c) {
    c->socket.async_read_some(net::buffer(c->buf), [this, c](boost::system::error_code ec,
                                                             size_t n) {
      if (c->closed) return;
      if (ec) {
        Close(c);
        return;
      }
      c->last_in = Clock::now();
      c->reader.Append(ByteView(c->buf.data(), n));
      for (;;) {
        auto f = c->reader.Next();
        if (!f.ok()) {
          Fail(c, f.error().message());
          return;
        }
        if (!*f) break;
        auto m = maint::ParseMessage(**f);
        if (!m.ok()) {
          Fail(c, m.error().message());
          return;
        }
        Handle(c, *m, (*f)->payload);
        if (c->closed || c->closing) return;
      }
      Read(c);
    });
  }

  // Queues bytes for `c`. Output to an observer beyond its queue is dropped (and counted);
  // control frames are never dropped, but a peer that takes none for long is closed by Tick.
  void Send(const std::shared_ptr<Connection>& c, std::shared_ptr<const std::string> bytes,
            bool droppable) {
    if (c->closed) return;
    if (droppable && c->queued + bytes->size() > options.observer_queue_bytes) {
      c->dropped += bytes->size() > 5 ? bytes->size() - 5 : 0;
      return;
    }
    c->queued += bytes->size();
    c->queue.push_back(std::move(bytes));
    Write(c);
  }
  void Send(const std::shared_ptr<Connection>& c, const RelayMessage& m) {
    Send(c, std::make_shared<const std::string>(maint::EncodeMessage(m)), false);
  }

  void Write(const std::shared_ptr<Connection>& c) {
    if (c->writing || c->closed) return;
    if (c->queue.empty()) {
      if (c->closing) Close(c);
      return;
    }
    c->writing = true;
    auto front = c->queue.front();
    net::async_write(c->socket, net::buffer(*front),
                     [this, c, front](boost::system::error_code ec, size_t) {
                       c->writing = false;
                       if (c->closed) return;
                       if (ec) {
                         Close(c);
                         return;
                       }
                       c->last_out = Clock::now();
                       c->queued -= front->size();
                       c->queue.pop_front();
                       if (c->dropped > 0 && c->queued < options.observer_queue_bytes / 2) {
                         RelayMessage note;
                         note.type = FrameType::kNote;
                         note.text = "clearbox relay: " + std::to_string(c->dropped) +
                                     " bytes of output dropped (this observer was too slow)";
                         c->dropped = 0;
                         Send(c, note);
                       }
                       Write(c);
                     });
  }

  // Tells `c` why and closes it once that is written.
  void Fail(const std::shared_ptr<Connection>& c, const std::string& why) {
    if (c->closed || c->closing) return;
    RelayMessage e;
    e.type = FrameType::kError;
    e.text = why;
    Send(c, e);
    Detach(c);
    c->closing = true;
    c->close_by = Clock::now() + kCloseGrace;
    boost::system::error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_receive, ignored);
    Write(c);
  }

  // Takes `c` out of its session (telling the other side).
  void Detach(const std::shared_ptr<Connection>& c) {
    auto it = sessions.find(c->session);
    if (it == sessions.end()) return;
    Session& s = it->second;
    if (c->role == Role::kRecorder && s.recorder.lock() == c) {
      for (auto& [id, w] : s.observers) {
        if (auto o = w.lock()) {
          o->session.clear();
          Fail(o, "the session ended");
        }
      }
      Log("session " + c->session + " ended (" + Describe(s.info) + ")");
      sessions.erase(it);
    } else if (c->role == Role::kPending || c->role == Role::kWatching) {
      if (s.observers.erase(c->observer) > 0) {
        if (auto r = s.recorder.lock()) {
          RelayMessage leave;
          leave.type = FrameType::kLeave;
          leave.observer = c->observer;
          Send(r, leave);
        }
        Log("observer " + c->name + " left session " + c->session);
      }
    }
    c->session.clear();
  }

  void Close(const std::shared_ptr<Connection>& c) {
    if (c->closed) return;
    Detach(c);
    c->closed = true;
    boost::system::error_code ignored;
    c->socket.close(ignored);
    connections.erase(c->key);
  }

  void Handle(const std::shared_ptr<Connection>& c, const RelayMessage& m,
              const std::string& payload) {
    if (m.type == FrameType::kPing) return;
    switch (c->role) {
      case Role::kNew:
        if (m.type == FrameType::kRegister) return Register(c, m);
        if (m.type == FrameType::kHello) return Hello(c, m);
        return Fail(c, "expected a register or hello frame");
      case Role::kChallenged:
        if (m.type == FrameType::kAuth) return Auth(c, m);
        if (m.type == FrameType::kBye) return Close(c);
        return Fail(c, "expected an auth frame");
      case Role::kPending:
      case Role::kWatching:
        if (m.type == FrameType::kBye) return Close(c);
        return Fail(c, "read-only: an observer sends nothing but ping and bye");
      case Role::kRecorder:
        return FromRecorder(c, m, payload);
    }
  }

  void Register(const std::shared_ptr<Connection>& c, const RelayMessage& m) {
    if (sessions.size() >= options.max_sessions) {
      return Fail(c, "the relay has the most sessions it takes (" +
                         std::to_string(options.max_sessions) + ")");
    }
    if (sessions.count(m.session.session)) return Fail(c, "this session id is registered already");
    Session s;
    s.info = m.session;
    s.recorder = c;
    sessions[m.session.session] = std::move(s);
    c->role = Role::kRecorder;
    c->session = m.session.session;
    RelayMessage ok;
    ok.type = FrameType::kRegistered;
    Send(c, ok);
    Log("session " + c->session + " registered (" + Describe(m.session) + ")");
  }

  void Hello(const std::shared_ptr<Connection>& c, const RelayMessage& m) {
    std::vector<Session*> found;
    for (auto& [id, s] : sessions) {
      if (m.text.empty() || s.info.ticket == m.text) found.push_back(&s);
    }
    if (found.empty()) {
      return Fail(c, m.text.empty() ? "no session is being recorded"
                                    : "no session for ticket " + m.text);
    }
    if (found.size() > 1) {
      return Fail(c, std::to_string(found.size()) + " sessions" +
                         (m.text.empty() ? "" : " for ticket " + m.text) +
                         ": name one with --ticket (" + Describe(found[0]->info) + ", ...)");
    }
    Session& s = *found[0];
    if (s.observers.size() >= options.max_observers) {
      return Fail(c, "the session has the most observers it takes (" +
                         std::to_string(options.max_observers) + ")");
    }
    auto nonce = maint::NewRandomId();
    if (!nonce.ok()) return Fail(c, nonce.error().message());
    c->nonce = *nonce;
    c->session = s.info.session;
    c->role = Role::kChallenged;
    RelayMessage ch;
    ch.type = FrameType::kChallenge;
    ch.session = s.info;
    ch.nonce = c->nonce;
    Send(c, ch);
  }

  void Auth(const std::shared_ptr<Connection>& c, const RelayMessage& m) {
    auto it = sessions.find(c->session);
    if (it == sessions.end()) return Fail(c, "the session ended");
    Session& s = it->second;
    std::string nonce = std::move(c->nonce);  // one answer per challenge
    c->nonce.clear();
    auto who = maint::VerifyObserver(approvers, s.info, nonce, m.keyid, m.signature);
    if (!who.ok()) {
      Log("refused an observer of session " + c->session + ": " + who.error().message());
      c->session.clear();
      return Fail(c, who.error().message());
    }
    if (s.observers.size() >= options.max_observers) {
      return Fail(c, "the session has the most observers it takes");
    }
    auto recorder = s.recorder.lock();
    if (!recorder) return Fail(c, "the session ended");
    c->role = Role::kPending;
    c->observer = next_observer++;
    c->name = (*who)->name;
    s.observers[c->observer] = c;
    RelayMessage join;
    join.type = FrameType::kJoin;
    join.observer = c->observer;
    join.nonce = nonce;
    join.keyid = m.keyid;
    join.signature = m.signature;
    Send(recorder, join);
  }

  void FromRecorder(const std::shared_ptr<Connection>& c, const RelayMessage& m,
                    const std::string& payload) {
    auto it = sessions.find(c->session);
    if (it == sessions.end()) return Fail(c, "the session is not registered");
    Session& s = it->second;
    switch (m.type) {
      case FrameType::kOutput:
      case FrameType::kNote: {
        std::shared_ptr<const std::string> frame;
        if (m.type == FrameType::kOutput) {
          auto f = std::make_shared<std::string>();
          maint::AppendFrame(*f, FrameType::kOutput, payload);
          frame = std::move(f);
        } else {
          frame = std::make_shared<const std::string>(maint::EncodeMessage(m));
        }
        for (auto& [id, w] : s.observers) {
          auto o = w.lock();
          if (o && o->role == Role::kWatching) Send(o, frame, m.type == FrameType::kOutput);
        }
        return;
      }
      case FrameType::kAccept:
      case FrameType::kReject: {
        auto o_it = s.observers.find(m.observer);
        auto o = o_it == s.observers.end() ? nullptr : o_it->second.lock();
        if (!o || o->role != Role::kPending) return;  // it left meanwhile
        if (m.type == FrameType::kReject) {
          Log("the recorder refused observer " + o->name + " of session " + c->session + ": " +
              m.text);
          s.observers.erase(o_it);
          o->session.clear();
          return Fail(o, "refused by the recorder: " + m.text);
        }
        o->role = Role::kWatching;
        RelayMessage welcome;
        welcome.type = FrameType::kWelcome;
        welcome.session = s.info;
        welcome.name = o->name;
        Send(o, welcome);
        Log("observer " + o->name + " joined session " + c->session + " (" + Describe(s.info) +
            ")");
        return;
      }
      default:
        return Fail(c, "a recorder sends output, note, accept, reject and ping only");
    }
  }

  // Once a second: deadlines, idle peers, pings.
  void Tick() {
    timer.expires_after(std::chrono::seconds(1));
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      auto now = Clock::now();
      std::vector<std::shared_ptr<Connection>> all;
      for (auto& [k, c] : connections) all.push_back(c);
      RelayMessage ping;
      for (auto& c : all) {
        if (c->closed) continue;
        if (c->closing) {
          if (now > c->close_by) Close(c);
          continue;
        }
        bool authenticated = c->role == Role::kRecorder || c->role == Role::kWatching;
        if (!authenticated && now - c->started > options.auth_timeout) {
          Fail(c, "too slow: not authenticated within " +
                      std::to_string(options.auth_timeout.count()) + " s");
        } else if (now - c->last_in > options.idle_timeout) {
          Fail(c, "nothing received for " + std::to_string(options.idle_timeout.count()) + " s");
        } else if (c->queued > 4 * options.observer_queue_bytes) {
          Fail(c, "the peer does not read");
        } else if (now - c->last_out >= std::chrono::seconds(maint::RelayLimits::kPingSeconds) &&
                   c->queue.empty()) {
          Send(c, ping);
        }
      }
      Tick();
    });
  }
};

MaintRelay::MaintRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MaintRelay::~MaintRelay() { Stop(); }

Result<std::unique_ptr<MaintRelay>> MaintRelay::Start(std::vector<maint::Person> approvers,
                                                      const MaintRelayOptions& options) {
  CLEARBOX_ASSIGN_OR_RETURN(auto hp, ParseHostPort(options.listen));
  auto impl = std::make_unique<Impl>();
  impl->approvers = std::move(approvers);
  impl->options = options;
  boost::system::error_code ec;
  tcp::resolver resolver(impl->io);
  auto results = resolver.resolve(hp.first.empty() ? "0.0.0.0" : hp.first,
                                  std::to_string(hp.second), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Error::InvalidInput(options.listen + ": " + (ec ? ec.message() : "no address"));
  }
  tcp::endpoint ep = results.begin()->endpoint();
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error::Io("listen on " + options.listen + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  impl->Tick();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MaintRelay>(new MaintRelay(std::move(impl)));
}

uint16_t MaintRelay::port() const { return impl_->port; }

void MaintRelay::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  Impl* raw = impl_.get();
  net::post(raw->io, [raw] {
    raw->stopped = true;
    boost::system::error_code ignored;
    raw->acceptor.close(ignored);
    raw->timer.cancel();
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [k, c] : raw->connections) all.push_back(c);
    for (auto& c : all) raw->Close(c);
    raw->io.stop();
  });
  raw->thread.join();
  // Run the aborted handlers, so that the connections they hold go before the io_context.
  raw->io.restart();
  raw->io.run();
}

}  // namespace clearbox::server
