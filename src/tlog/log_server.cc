#include "clearbox/tlog/log_server.h"

#include "clearbox/tlog/submission.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog {

namespace {

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kShortLived[] = "public, max-age=60";

std::shared_ptr<const std::string> Shared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

LogResponse Text(int status, std::string message) {
  if (message.empty() || message.back() != '\n') message.push_back('\n');
  LogResponse r;
  r.status = status;
  r.body = Shared(std::move(message));
  return r;
}

int StatusFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kLimitExceeded:
      return 413;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kInvalidInput:
      return 400;
    case ErrorCode::kUnavailable:
    case ErrorCode::kConflict:
      return 503;
    default:
      return 500;
  }
}

// The answer to an add, once the sequencer has answered it.
LogResponse AddAnswer(const Result<AddResult>& result) {
  if (!result.ok()) {
    LogResponse r = Text(StatusFor(result.error()), result.error().message());
    if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  auto proof = result->Proof();
  if (!proof.ok()) {
    return Text(500, "the entry is in the log at index " + std::to_string(result->index) +
                         " but its proof could not be built (" + proof.error().message() +
                         "); fetch it later with `clearbox log get-proof`");
  }
  LogResponse r;
  r.headers.reserve(result->duplicate ? 2 : 1);
  r.headers.emplace_back("Clearbox-Log-Index", std::to_string(result->index));
  if (result->duplicate) r.headers.emplace_back("Clearbox-Duplicate", "1");
  r.body = Shared(std::move(*proof));
  return r;
}

}  // namespace

Result<std::unique_ptr<LogServer>> LogServer::Create(LogStorage& storage, Sequencer& sequencer,
                                                     const LogConfig& config,
                                                     LogServerOptions options) {
  std::unique_ptr<LogServer> server(new LogServer(storage, sequencer, config, options));
  for (const std::string& vkey : config.submitters) {
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(vkey);
    if (!verifier.ok()) return verifier.error().WithContext("submitter key");
    server->submitters_.push_back(verifier->get());
    server->submitter_keys_.push_back(std::move(*verifier));
  }
  return server;
}

void LogServer::Handle(LogRequest request, std::function<void(LogResponse)> done) {
  std::string_view path = request.target;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (path == "/add") {
    if (request.method != "POST") {
      LogResponse r = Text(405, "use POST for /add");
      r.headers.emplace_back("Allow", "POST");
      return done(std::move(r));
    }
    return Add(std::move(request), std::move(done));
  }
  if (path == "/checkpoint" || path.starts_with("/tile/")) {
    if (!read) {
      LogResponse r = Text(405, "use GET or HEAD for " + std::string(path));
      r.headers.emplace_back("Allow", "GET, HEAD");
      return done(std::move(r));
    }
    return done(Read(path.substr(1)));
  }
  done(Text(404, "not found: this log serves /checkpoint, /tile/... and POST /add"));
}

LogResponse LogServer::Read(std::string_view path) {
  if (path == "checkpoint") {
    auto checkpoint = sequencer_.checkpoint();
    if (!checkpoint) return Text(404, "no checkpoint published yet");
    LogResponse r;
    r.cache_control = "no-cache";
    r.body = std::move(checkpoint);
    return r;
  }
  auto parsed = ParseTilePath(path);
  if (!parsed.ok()) return Text(404, "not found: " + parsed.error().message());
  const std::string key(path);
  LogResponse r;
  r.content_type = "application/octet-stream";
  r.cache_control = parsed->tile.full() ? kImmutable : kShortLived;
  if (auto cached = CachedFile(key)) {
    r.body = std::move(cached);
    return r;
  }
  const size_t max = parsed->entry_bundle ? kMaxEntryBundleSize : kFullTileSize;
  auto data = storage_.Fetch(key, max);
  if (!data.ok()) {
    if (data.error().code() == ErrorCode::kNotFound) return Text(404, "not found: " + key);
    return Text(500, "reading " + key + ": " + data.error().message());
  }
  auto body = Shared(std::string(data->begin(), data->end()));
  CacheFile(key, body);
  r.body = std::move(body);
  return r;
}

std::shared_ptr<const std::string> LogServer::CachedFile(const std::string& path) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(path);
  if (it == cache_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.data;
}

void LogServer::CacheFile(const std::string& path, std::shared_ptr<const std::string> data) {
  if (data->size() > options_.file_cache_bytes / 8) return;  // huge bundles stay on disk
  std::lock_guard lock(cache_mu_);
  if (cache_.count(path)) return;
  lru_.push_front(path);
  cache_bytes_ += data->size();
  cache_.emplace(path, CacheEntry{std::move(data), lru_.begin()});
  while (cache_bytes_ > options_.file_cache_bytes && !lru_.empty()) {
    auto victim = cache_.find(lru_.back());
    cache_bytes_ -= victim->second.data->size();
    cache_.erase(victim);
    lru_.pop_back();
  }
}

void LogServer::Add(LogRequest request, std::function<void(LogResponse)> done) {
  if (request.body.empty()) return done(Text(400, "empty entry: POST the entry as the body"));
  if (request.body.size() > config_.max_entry_size) {
    return done(Text(413, "entry of " + std::to_string(request.body.size()) +
                              " bytes is larger than this log's limit of " +
                              std::to_string(config_.max_entry_size) +
                              " bytes (entry bundles carry a 16-bit length): log a statement "
                              "or manifest that names the artifact by digest, not the artifact"));
  }
  if (!submitters_.empty()) {
    auto who =
        VerifySubmission(config_.origin, AsBytes(request.body), request.submitter, submitters_);
    if (!who.ok()) return done(Text(403, who.error().message()));
  }
  Bytes entry(request.body.begin(), request.body.end());
  const Hash leaf_hash = LeafHash(entry);  // hashed here, on the HTTP thread
  // The sequencer's publisher calls this for every entry of a batch: it only hands the result
  // over (no allocation but the std::function's), the answer is built on the HTTP loop.
  sequencer_.AddHashed(
      std::move(entry), leaf_hash, [done = std::move(done)](Result<AddResult> result) {
        LogResponse r;
        r.finish = [result = std::move(result)](LogResponse& out) { out = AddAnswer(result); };
        done(std::move(r));
      });
}

}  // namespace clearbox::tlog
