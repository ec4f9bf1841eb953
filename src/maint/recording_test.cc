// The recording format: exact bytes, the chain, and what the verifier says about damaged,
// cut-off, reordered and hostile files.
#include "clearbox/maint/recording.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/maint/pty_session.h"
#include "maint/recording_internal.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class RecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/clearbox-recording-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  RecordingMetadata Meta() {
    RecordingMetadata m;
    m.ticket = "CHG-1042";
    m.serial = 77;
    m.device = "edge-router-3";
    m.command = "";
    m.start_unix_us = 1796608044123456;
    m.term = "xterm";
    return m;
  }

  // A session of `events` outputs of `size` bytes each, with small chunks.
  std::string Record(int events, size_t size, SessionSummary* summary = nullptr,
                     uint64_t chunk_bytes = 4096) {
    std::string path = dir_ + "/s" + std::to_string(n_++) + ".cast";
    RecorderOptions o;
    o.chunk_bytes = chunk_bytes;
    auto w = RecordingWriter::Create(path, Meta(), o);
    EXPECT_TRUE(w.ok()) << w.error().ToString();
    for (int i = 0; i < events; ++i) {
      std::string line = "line " + std::to_string(i) + " " + std::string(size, 'x') + "\r\n";
      EXPECT_TRUE((*w)->Output(i * 0.01, AsBytes(line)).ok());
    }
    SessionEnd end;
    end.exit_status = 0;
    end.end_unix_us = 1796608054123456;
    auto s = (*w)->Finish(events * 0.01, end);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    if (summary && s.ok()) *summary = *s;
    return path;
  }

  static Bytes Read(const std::string& path) { return ReadFile(path).value(); }

  std::string dir_;
  int n_ = 0;
};

TEST(RecordingText, MapsBytesOneToOne) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Bytes b(rng() % 64);
    for (auto& c : b) c = uint8_t(rng());
    std::string text = BytesToText(b);
    EXPECT_NO_THROW((void)nlohmann::json(text).dump());  // valid UTF-8, or dump throws
    EXPECT_EQ(TextToBytes(text), b);
  }
  EXPECT_EQ(BytesToText(AsBytes("héllo ✓")), "héllo ✓");  // valid UTF-8 stays itself
  // A genuine U+10FF41 is mapped byte by byte, so that it cannot pose as a mapped 0x41.
  std::string genuine = "\xF4\x8F\xBD\x81";
  EXPECT_EQ(BytesToText(AsBytes(genuine)).size(), 16u);
  EXPECT_EQ(TextToBytes(BytesToText(AsBytes(genuine))), ToBytes(genuine));
  EXPECT_EQ(BytesToText(Bytes{0xFF}), "\xF4\x8F\xBF\xBF");
}

// The escaper scans 16 bytes at a time: a byte that needs escaping at every position of a
// block, after runs of every length, must still be found and come back exact.
TEST(RecordingText, EscapesAtEveryPositionOfALongRun) {
  const std::vector<Bytes> specials = {{'"'}, {'\\'}, {'\n'}, {0x01}, {0x1f}, {0x7f}, {0x80},
                                       {0xFF}, {0xC3, 0xA9}, {0x00}};
  for (const Bytes& special : specials) {
    for (size_t before = 0; before < 40; ++before) {
      Bytes in(before, 'a');
      in.insert(in.end(), special.begin(), special.end());
      in.insert(in.end(), 20, 'b');
      std::string json = "\"";
      ASSERT_EQ(internal::AppendJsonText(json, in, /*final=*/true), in.size());
      json += "\"";
      auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
      ASSERT_TRUE(parsed.is_string()) << json;
      EXPECT_EQ(TextToBytes(parsed.get<std::string>()), in) << json;
    }
  }
}

TEST_F(RecordingTest, KeepsExactBytesAndChains) {
  std::string path = dir_ + "/exact.cast";
  RecorderOptions o;
  o.chunk_bytes = 300;
  auto w = RecordingWriter::Create(path, Meta(), o);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  // A character split between two reads, binary bytes, every control character.
  Bytes all;
  std::vector<Bytes> reads = {ToBytes("caf\xC3"), ToBytes("\xA9 \x1b[31mred\x1b[0m\r\n"),
                              Bytes{0x00, 0xFF, 0xFE, 0x80, 0x22, 0x5C}, Bytes{}};
  for (int c = 0; c < 256; ++c) reads.back().push_back(uint8_t(c));
  reads.push_back(ToBytes("\xE2\x9C"));  // split at the very end: flushed by Finish
  double t = 0;
  for (const auto& r : reads) {
    ASSERT_TRUE((*w)->Output(t += 0.5, r).ok());
    all.insert(all.end(), r.begin(), r.end());
  }
  ASSERT_TRUE((*w)->Input(t, AsBytes("ls\r")).ok());
  ASSERT_TRUE((*w)->Resize(t, 120, 40).ok());
  SessionEnd end;
  end.exit_status = 3;
  end.output_bytes = all.size();
  auto s = (*w)->Finish(t + 1, end);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_GT(s->head.chunks, 2u);

  Bytes file = Read(path);
  EXPECT_EQ(s->head.bytes, file.size());
  EXPECT_EQ(s->cast_sha256, Sha256(file));
  Bytes out, in;
  std::string resize;
  VerifyOptions vo;
  vo.expected = s->head;
  vo.on_event = [&](const RecordingEvent& e) -> Status {
    Bytes& dst = e.type == 'o' ? out : in;
    if (e.type == 'r')
      resize = std::string(AsChars(e.data));
    else
      dst.insert(dst.end(), e.data.begin(), e.data.end());
    return Status::Ok();
  };
  auto r = VerifyRecording(file, vo);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->head, s->head);
  EXPECT_EQ(out, all);
  EXPECT_EQ(in, ToBytes("ls\r"));
  EXPECT_EQ(resize, "120x40");
  ASSERT_TRUE(r->end.has_value());
  EXPECT_EQ(r->end->exit_status, 3);
  EXPECT_EQ(r->header["clearbox"]["ticket"], "CHG-1042");
  EXPECT_EQ(r->header["version"], 2);
}

TEST_F(RecordingTest, NamesTheBrokenChunkInTheMiddle) {
  SessionSummary s;
  Bytes file = Read(Record(200, 100, &s));
  ASSERT_GT(s.head.chunks, 4u);
  // Change one output byte ('x' -> 'y') inside chunk 3: still valid JSON, wrong hash.
  VerifyOptions vo;
  vo.allow_incomplete = true;
  uint64_t chunk2_end = 0;
  auto ok = VerifyRecording(file, vo);
  ASSERT_TRUE(ok.ok());
  std::string text(AsChars(file));
  size_t m2 = text.find("clearbox:chain 2 ");
  size_t m3 = text.find("clearbox:chain 3 ");
  ASSERT_NE(m3, std::string::npos);
  chunk2_end = text.rfind('\n', m2) + 1;  // chunk 3 starts at chunk 2's marker line
  size_t x = text.find("xxxx", m2);
  ASSERT_LT(x, m3);
  file[x] = 'y';
  auto r = VerifyRecording(file, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(r.error().message(), HasSubstr("chunk 3 (bytes " + std::to_string(chunk2_end)));
  EXPECT_THAT(r.error().message(), HasSubstr("is broken"));

  // A byte that breaks the JSON: named by chunk, line and offset, not a crash.
  file[x] = 'x';
  size_t quote = text.find("\"o\"", m2);
  file[quote] = '\x01';
  r = VerifyRecording(file, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(r.error().message(), HasSubstr("chunk 3 (from byte " + std::to_string(chunk2_end)));
  EXPECT_THAT(r.error().message(), HasSubstr("not JSON"));
}

TEST_F(RecordingTest, ReportsACutOffRecording) {
  SessionSummary s;
  Bytes file = Read(Record(200, 100, &s));
  std::string text(AsChars(file));
  // Cut in the middle of chunk 5's data.
  size_t m4 = text.find("clearbox:chain 4 ");
  size_t m4_end = text.find('\n', m4) + 1;
  Bytes cut(file.begin(), file.begin() + m4_end + 150);
  VerifyOptions vo;
  vo.expected = s.head;
  auto r = VerifyRecording(cut, vo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(r.error().message(),
              HasSubstr("ends after chunk 4 of " + std::to_string(s.head.chunks) + ", at byte " +
                        std::to_string(m4_end)));
  // Without the signed head it is still cut off: no closing marker.
  r = VerifyRecording(cut, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("no closing marker"));
  // A crash: the verified prefix is a report, not an error, when asked for.
  VerifyOptions crash;
  crash.allow_incomplete = true;
  auto p = VerifyRecording(cut, crash);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_FALSE(p->complete);
  EXPECT_EQ(p->head.chunks, 4u);
  EXPECT_EQ(p->covered_bytes, m4_end);
  // Cut exactly at a chunk boundary: only the expected head can tell.
  Bytes at_boundary(file.begin(), file.begin() + m4_end);
  r = VerifyRecording(at_boundary, vo);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("ends after chunk 4 of"));
}

TEST_F(RecordingTest, RefusesReorderedAndAppendedChunks) {
  Bytes file = Read(Record(200, 100));
  std::string text(AsChars(file));
  auto line_end = [&](size_t p) { return text.find('\n', p) + 1; };
  size_t a = line_end(text.find("clearbox:chain 2 "));
  size_t b = line_end(text.find("clearbox:chain 3 "));
  size_t c = line_end(text.find("clearbox:chain 4 "));
  std::string swapped =
      text.substr(0, a) + text.substr(b, c - b) + text.substr(a, b - a) + text.substr(c);
  auto r = VerifyRecording(AsBytes(swapped), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(r.error().message(), HasSubstr("expected chunk 3"));

  std::string appended = text + "[99.0, \"o\", \"extra\"]\n";
  r = VerifyRecording(AsBytes(appended), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("after the closing marker"));

  // A different head than the signed one (a whole recording swapped for another).
  SessionSummary other;
  (void)Record(3, 10, &other);
  VerifyOptions vo;
  vo.expected = other.head;
  r = VerifyRecording(file, vo);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("differs from the expected one"));
}

TEST_F(RecordingTest, HandlesLongLinesAndHostileFiles) {
  // 1 MB of output in one read: split into lines the reader accepts, bytes kept.
  std::string path = dir_ + "/big.cast";
  auto w = RecordingWriter::Create(path, Meta(), {});
  ASSERT_TRUE(w.ok());
  Bytes big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 7);
  ASSERT_TRUE((*w)->Output(0.1, big).ok());
  ASSERT_TRUE((*w)->Finish(0.2, {}).ok());
  Bytes out;
  VerifyOptions vo;
  vo.on_event = [&](const RecordingEvent& e) -> Status {
    out.insert(out.end(), e.data.begin(), e.data.end());
    return Status::Ok();
  };
  auto r = VerifyRecording(Read(path), vo);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out, big);

  std::string header(AsChars(Read(path)).substr(0, AsChars(Read(path)).find('\n') + 1));
  // A 1 MB event line that no marker covers: a clear chain error.
  std::string one_mb = header + "[0.5, \"o\", \"" + std::string(1 << 20, 'a') + "\"]\n";
  r = VerifyRecording(AsBytes(one_mb), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("ends after chunk 0"));
  // A line over the limit: refused before parsing.
  std::string huge = header + "[0.5, \"o\", \"" + std::string(5 << 20, 'a') + "\"]\n";
  r = VerifyRecording(AsBytes(huge), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("over the limit"));
  // Not JSON, not an event, deep nesting, a plain asciicast, nothing at all.
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {header + "{not json\n", "not JSON"},
           {header + "[1, \"o\"]\n", "not an asciicast event"},
           {header + "[1, \"x\", \"a\"]\n", "unknown event type"},
           {header + std::string(100, '[') + "\n", "nested deeper than"},
           {"{\"version\": 2, \"width\": 80, \"height\": 24}\n", "not a clearbox recording"},
           {"{\"version\": 1}\n", "not asciicast v2"},
           {"", "empty"}}) {
    auto e = VerifyRecording(AsBytes(bad), {});
    ASSERT_FALSE(e.ok()) << why;
    EXPECT_THAT(e.error().message(), HasSubstr(why));
  }
}

TEST_F(RecordingTest, SummaryRoundTripsAndRefusesOverwrite) {
  SessionSummary s;
  std::string path = Record(5, 10, &s);
  auto back = SessionSummary::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->head, s.head);
  EXPECT_EQ(back->cast_sha256, s.cast_sha256);
  EXPECT_EQ(back->start_unix_us, 1796608044123456);
  EXPECT_EQ(s.ToJson()["start"], "2026-12-07T01:47:24.123456Z");
  nlohmann::json j = s.ToJson();
  j["chainHead"] = "zz";
  EXPECT_THAT(SessionSummary::FromJson(j).error().message(), HasSubstr("chainHead"));
  auto again = RecordingWriter::Create(path, Meta(), {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

// The relay: a real command on a real pty, and on pipes.
TEST_F(RecordingTest, RunsACommandUnderAPtyAndWithPipes) {
  int in[2], out_fd;
  ASSERT_EQ(pipe(in), 0);
  close(in[1]);  // no input: the command sees end-of-file
  std::string out_path = dir_ + "/out";
  out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  auto w = RecordingWriter::Create(dir_ + "/pty.cast", Meta(), {});
  ASSERT_TRUE(w.ok());
  SessionOptions so;
  so.argv = {"/bin/sh", "-c", "printf 'a\\nb\\n'; exit 3"};
  so.in = in[0];
  so.out = out_fd;
  auto clock = [] { return 0.5; };
  auto r = RunUnderPty(so, **w, clock);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_status, 3);
  ASSERT_TRUE((*w)->Finish(1, {}).ok());
  close(out_fd);
  close(in[0]);
  EXPECT_EQ(std::string(AsChars(Read(out_path))), "a\r\nb\r\n");  // the pty's ONLCR
  EXPECT_THAT(std::string(AsChars(Read(dir_ + "/pty.cast"))), HasSubstr("a\\r\\nb\\r\\n"));

  // Pipes: stdin, stdout and stderr, each counted; the exit status passed on.
  int in2[2];
  ASSERT_EQ(pipe(in2), 0);
  ASSERT_EQ(write(in2[1], "payload", 7), 7);
  close(in2[1]);
  int out2 = open((dir_ + "/out2").c_str(), O_WRONLY | O_CREAT, 0600);
  int err2 = open((dir_ + "/err2").c_str(), O_WRONLY | O_CREAT, 0600);
  auto w2 = RecordingWriter::Create(dir_ + "/exec.cast", Meta(), {});
  ASSERT_TRUE(w2.ok());
  SessionOptions po;
  po.argv = {"/bin/sh", "-c", "cat; echo oops >&2; exit 5"};
  po.in = in2[0];
  po.out = out2;
  po.err = err2;
  auto p = RunWithPipes(po, **w2, clock);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->exit_status, 5);
  EXPECT_EQ(p->input_bytes, 7u);
  EXPECT_EQ(p->output_bytes, 7u);
  EXPECT_EQ(p->error_bytes, 5u);
  ASSERT_TRUE((*w2)->Finish(1, {}).ok());
  close(in2[0]);
  close(out2);
  close(err2);
  EXPECT_EQ(std::string(AsChars(Read(dir_ + "/out2"))), "payload");
  std::string cast(AsChars(Read(dir_ + "/exec.cast")));
  EXPECT_THAT(cast, HasSubstr("\"i\", \"payload\""));
  EXPECT_THAT(cast, HasSubstr("\"o\", \"oops\\n\""));
}

// No unrecorded session: when the recording cannot be written (here: a file size limit, as
// a full disk would), the command is ended and the error returned.
// The exec path into a pipe (as sshd gives it) forwards with tee(2): what the reader gets and
// what the recording holds are the same bytes, through a full pipe and a slow reader; a
// reader that leaves early ends nothing, and the recording still holds everything.
TEST_F(RecordingTest, ForwardsToAPipeWhatItRecords) {
  for (bool reader_leaves : {false, true}) {
    SCOPED_TRACE(reader_leaves ? "the reader leaves after 1 MiB" : "the reader reads it all");
    int in[2], out[2];
    ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);  // else the command holds the reader's end open
    close(in[1]);
    std::string path = dir_ + (reader_leaves ? "/left.cast" : "/tee.cast");
    auto w = RecordingWriter::Create(path, Meta(), {});
    ASSERT_TRUE(w.ok());
    Bytes got;
    std::thread reader([&] {
      uint8_t b[4096];
      for (int i = 0;; ++i) {
        if (i % 64 == 0) usleep(2000);  // slow: the relay meets a full pipe
        ssize_t n = read(out[0], b, sizeof b);
        if (n <= 0) break;
        got.insert(got.end(), b, b + n);
        if (reader_leaves && got.size() >= (1u << 20)) break;
      }
      close(out[0]);
    });
    SessionOptions so;
    // 8 MiB of every byte value, in many writes.
    so.argv = {"/bin/sh", "-c", "i=0; while [ $i -lt 32 ]; do head -c 262144 /dev/urandom; "
                                "i=$((i+1)); done"};
    so.in = in[0];
    so.out = out[1];
    so.err = out[1];
    auto r = RunWithPipes(so, **w, [] { return 0.5; });
    close(out[1]);
    reader.join();
    close(in[0]);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->output_bytes, 8u << 20);
    auto s = (*w)->Finish(1, {});
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    Bytes recorded;
    VerifyOptions vo;
    vo.expected = s->head;
    vo.on_event = [&](const RecordingEvent& e) -> Status {
      if (e.type == 'o') recorded.insert(recorded.end(), e.data.begin(), e.data.end());
      return Status::Ok();
    };
    auto v = VerifyRecording(Read(path), vo);
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    ASSERT_EQ(recorded.size(), 8u << 20);
    if (reader_leaves) {
      ASSERT_GE(got.size(), 1u << 20);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), recorded.begin()));
    } else {
      EXPECT_TRUE(got == recorded);
    }
  }
}

TEST_F(RecordingTest, EndsTheSessionWhenTheRecordingFails) {
  auto w = RecordingWriter::Create(dir_ + "/full.cast", Meta(), {});
  ASSERT_TRUE(w.ok());
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 64 << 10;
  auto old_xfsz = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  int out = open("/dev/null", O_WRONLY);
  SessionOptions so;
  so.argv = {"/bin/sh", "-c", "exec yes recorded"};  // endless output
  so.in = in[0];
  so.out = out;
  auto r = RunUnderPty(so, **w, [] { return 0.0; });
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_xfsz);
  close(in[0]);
  close(in[1]);
  close(out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
  EXPECT_FALSE((*w)->Finish(1, {}).ok());
}

}  // namespace
}  // namespace clearbox::maint
