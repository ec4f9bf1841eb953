// The live-observer relay on loopback with the real recorder side (RelayWatch) and observer
// side (Observe): a join end to end, refusals with their reasons, a replayed challenge, a
// replayed join (a hostile relay), hostile frames and the authentication timeout.
#include "server/maint_relay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <future>
#include <thread>

#include "clearbox/core/file.h"
#include "src/maint/approval_test_util.h"

namespace clearbox::server {
namespace {

using ::testing::HasSubstr;
using namespace clearbox::maint;
using maint::testing::ApprovalWorld;

// A raw protocol peer: sends frames, reads them back with a deadline.
class Peer {
 public:
  explicit Peer(uint16_t port) : fd_(ConnectTcp("127.0.0.1:" + std::to_string(port), 2000).value()) {}
  void Send(std::string_view bytes) {
    ASSERT_TRUE(WriteAll(fd_.get(), AsBytes(bytes), "peer").ok());
  }
  void Send(const RelayMessage& m) { Send(EncodeMessage(m)); }
  // The next frame, or nullopt when the connection closed or nothing came in `ms`.
  std::optional<RelayMessage> Next(int ms = 5000) {
    for (;;) {
      auto f = reader_.Next();
      if (!f.ok()) return std::nullopt;
      if (*f) {
        auto m = ParseMessage(**f);
        if (!m.ok()) return std::nullopt;
        if (m->type == FrameType::kPing) continue;
        return *m;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, ms) != 1) return std::nullopt;
      uint8_t buf[65536];
      ssize_t n = read(fd_.get(), buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      reader_.Append(ByteView(buf, size_t(n)));
    }
  }
  // True if the peer closed the connection within `ms` (frames before that are skipped).
  bool Closed(int ms = 5000) {
    for (;;) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, ms) != 1) return false;
      uint8_t buf[65536];
      ssize_t n = read(fd_.get(), buf, sizeof buf);
      if (n <= 0) return true;
    }
  }

 private:
  UniqueFd fd_;
  FrameReader reader_;
};

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MaintRelayOptions o;
    o.listen = "127.0.0.1:0";
    o.auth_timeout = std::chrono::seconds(2);
    relay_ = MaintRelay::Start(policy_.approvers, o).value();
    addr_ = "127.0.0.1:" + std::to_string(relay_->port());
  }
  SessionInfo Info(const std::string& ticket = "CHG-7") {
    return {NewRandomId().value(), ticket, 42, "edge-1"};
  }
  std::unique_ptr<RelayWatch> Record(const SessionInfo& s) {
    RelayWatchOptions w;
    w.relay = addr_;
    w.session = s;
    w.approvers = policy_.approvers;
    return RelayWatch::Connect(w).value();
  }

  ApprovalWorld world_;
  Policy policy_ = world_.MakePolicy();
  std::unique_ptr<MaintRelay> relay_;
  std::string addr_;
};

TEST_F(RelayTest, AnApproverJoinsWatchesAndLeaves) {
  SessionInfo s = Info();
  auto watch = Record(s);
  int out[2], stop[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(stop), 0);
  ObserveOptions o;
  o.relay = addr_;
  o.out_fd = out[1];
  o.stop_fd = stop[0];
  auto observed = std::async(std::launch::async, [&] { return Observe(o, world_.Key("alice")); });
  ASSERT_TRUE(watch->WaitForObserver(10, -1).ok());
  auto events = watch->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, WatchEvent::Kind::kJoined);
  EXPECT_EQ(events[0].who, "alice");
  // The welcome reaches the observer after the accept; output sent before it is for no one.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  watch->Output(AsBytes("uptime\r\n 02:07 up 3 days\r\n"));
  std::string seen;
  while (seen.find("3 days") == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1) << "no output reached the observer: " << seen;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    seen.append(buf, size_t(n));
  }
  EXPECT_EQ(seen, "uptime\r\n 02:07 up 3 days\r\n");
  ASSERT_EQ(write(stop[1], "x", 1), 1);
  auto r = observed.get();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->left);
  EXPECT_EQ(r->name, "alice");
  EXPECT_EQ(r->session, s);
  for (int i = 0; i < 50 && watch->observers() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(watch->observers(), 0u);
  events = watch->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, WatchEvent::Kind::kLeft);
  EXPECT_EQ(watch->ObserverNames(), std::vector<std::string>{"alice"});
  for (int fd : {out[0], out[1], stop[0], stop[1]}) close(fd);
}

TEST_F(RelayTest, NonApproverRevokedAndNoSessionAreRefusedWithTheirReasons) {
  ObserveOptions o;
  o.relay = addr_;
  auto none = Observe(o, world_.Key("alice"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message(), HasSubstr("no session is being recorded"));

  auto watch = Record(Info());
  for (auto [who, why] : {std::pair{"mallory", "this key is not an approver in the policy"},
                          std::pair{"dave", "dave's key is revoked in the policy"}}) {
    auto r = Observe(o, world_.Key(who));
    ASSERT_FALSE(r.ok()) << who;
    EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
    EXPECT_THAT(r.error().message(), HasSubstr(why));
  }
  EXPECT_EQ(watch->observers(), 0u);
  EXPECT_TRUE(watch->TakeEvents().empty());

  o.ticket = "CHG-8";
  auto other = Observe(o, world_.Key("alice"));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.error().message(), HasSubstr("no session for ticket CHG-8"));
}

TEST_F(RelayTest, AReplayedChallengeAnswerIsRefused) {
  SessionInfo s = Info();
  auto watch = Record(s);
  Peer first(relay_->port());
  RelayMessage hello;
  hello.type = FrameType::kHello;
  first.Send(hello);
  auto ch = first.Next();
  ASSERT_TRUE(ch && ch->type == FrameType::kChallenge);
  EXPECT_EQ(ch->session, s);
  RelayMessage auth = SignChallenge(ch->session, ch->nonce, world_.Key("alice")).value();
  // Captured and sent on another connection, which got a challenge of its own.
  Peer second(relay_->port());
  second.Send(hello);
  auto ch2 = second.Next();
  ASSERT_TRUE(ch2 && ch2->type == FrameType::kChallenge);
  EXPECT_NE(ch2->nonce, ch->nonce);
  second.Send(auth);
  auto refused = second.Next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->type, FrameType::kError);
  EXPECT_THAT(refused->text, HasSubstr("alice's signature does not verify"));
  // And the same answer twice on its own connection: the nonce is used once.
  first.Send(auth);
  auto welcome = first.Next();
  ASSERT_TRUE(welcome && welcome->type == FrameType::kWelcome);
  first.Send(auth);
  auto again = first.Next();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->type, FrameType::kError);
  EXPECT_THAT(again->text, HasSubstr("read-only"));
}

TEST_F(RelayTest, HostileFramesCloseTheConnectionWithAReason) {
  auto watch = Record(Info());
  {
    Peer p(relay_->port());
    p.Send(std::string("\x7f\xff\xff\xff", 4) + "O");  // 2 GiB announced
    auto e = p.Next();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, FrameType::kError);
    EXPECT_THAT(e->text, HasSubstr("more than"));
    EXPECT_TRUE(p.Closed());
  }
  {
    Peer p(relay_->port());
    p.Send(std::string("\0\0\0\x02Zx", 6));
    auto e = p.Next();
    ASSERT_TRUE(e);
    EXPECT_THAT(e->text, HasSubstr("unknown type"));
  }
  {
    Peer p(relay_->port());
    RelayMessage out;
    out.type = FrameType::kOutput;
    out.data = {'x'};
    p.Send(out);  // output from a connection that registered nothing
    auto e = p.Next();
    ASSERT_TRUE(e);
    EXPECT_THAT(e->text, HasSubstr("expected a register or hello"));
  }
  {
    Peer p(relay_->port());
    p.Send(std::string("\0\0\0\x10H{\"tic", 10));  // truncated, then nothing: timed out
    auto e = p.Next(6000);
    ASSERT_TRUE(e);
    EXPECT_THAT(e->text, HasSubstr("not authenticated within 2 s"));
  }
  // The relay still serves.
  ObserveOptions o;
  o.relay = addr_;
  auto r = Observe(o, world_.Key("mallory"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("not an approver"));
}

// A hostile relay cannot invent or replay a join: the recorder checks each against its own
// policy and session, and takes a nonce once.
TEST_F(RelayTest, TheRecorderRefusesAReplayedOrForeignJoin) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  SessionInfo s = Info();
  std::vector<RelayMessage> answers;
  std::thread fake([&] {
    UniqueFd c(accept(lfd, nullptr, nullptr));
    FrameReader reader;
    auto next = [&]() -> std::optional<RelayMessage> {
      for (;;) {
        auto f = reader.Next();
        if (!f.ok()) return std::nullopt;
        if (*f) {
          auto m = ParseMessage(**f).value();
          if (m.type == FrameType::kPing) continue;
          return m;
        }
        uint8_t buf[4096];
        pollfd p{c.get(), POLLIN, 0};
        if (poll(&p, 1, 5000) != 1) return std::nullopt;
        ssize_t n = read(c.get(), buf, sizeof buf);
        if (n <= 0) return std::nullopt;
        reader.Append(ByteView(buf, size_t(n)));
      }
    };
    auto reg = next();
    if (!reg || reg->type != FrameType::kRegister) return;
    RelayMessage ok;
    ok.type = FrameType::kRegistered;
    std::string bytes = EncodeMessage(ok);
    std::string nonce = NewRandomId().value();
    RelayMessage auth = SignChallenge(reg->session, nonce, world_.Key("bob")).value();
    RelayMessage join;
    join.type = FrameType::kJoin;
    join.observer = 1;
    join.nonce = nonce;
    join.keyid = auth.keyid;
    join.signature = auth.signature;
    bytes += EncodeMessage(join);
    join.observer = 2;  // the same signed answer again
    bytes += EncodeMessage(join);
    SessionInfo other = reg->session;
    other.session = std::string(32, '0');  // signed for another session
    RelayMessage foreign = SignChallenge(other, nonce, world_.Key("carol")).value();
    join.observer = 3;
    join.nonce = NewRandomId().value();
    join.keyid = foreign.keyid;
    join.signature = foreign.signature;
    bytes += EncodeMessage(join);
    (void)WriteAll(c.get(), AsBytes(bytes), "fake relay");
    for (int i = 0; i < 3; ++i) {
      auto m = next();
      if (!m) return;
      answers.push_back(*m);
    }
  });
  RelayWatchOptions w;
  w.relay = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  w.session = s;
  w.approvers = policy_.approvers;
  auto watch = RelayWatch::Connect(w);
  ASSERT_TRUE(watch.ok()) << watch.error().message();
  fake.join();
  close(lfd);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].type, FrameType::kAccept);
  EXPECT_EQ(answers[0].name, "bob");
  EXPECT_EQ(answers[1].type, FrameType::kReject);
  EXPECT_THAT(answers[1].text, HasSubstr("replayed"));
  EXPECT_EQ(answers[2].type, FrameType::kReject);
  EXPECT_THAT(answers[2].text, HasSubstr("carol's signature does not verify"));
  EXPECT_EQ((*watch)->ObserverNames(), std::vector<std::string>{"bob"});
}

}  // namespace
}  // namespace clearbox::server
