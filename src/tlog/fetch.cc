// OpenLogFetcher: log resources over HTTP(S) with libcurl, or from a directory.
#include <curl/curl.h>
#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/tlog/client.h"
#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {

using crypto::internal::Quote;

// Paths come from tile ids, but a fetcher must never be steered outside its prefix.
Status CheckRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return Error::InvalidInput("log path " + Quote(path) + " is not relative");
  }
  for (size_t start = 0; start <= path.size();) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string_view elem(path.data() + start, slash - start);
    if (elem.empty() || elem == "." || elem == "..") {
      return Error::InvalidInput("log path " + Quote(path) + " has an empty, . or .. element");
    }
    start = slash + 1;
  }
  return Status::Ok();
}

class DirectoryFetcher : public TileFetcher {
 public:
  explicit DirectoryFetcher(std::string dir) : dir_(std::move(dir)) {}
  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    CLEARBOX_RETURN_IF_ERROR(CheckRelativePath(path));
    return ReadFile(dir_ + "/" + path, max_size);
  }

 private:
  std::string dir_;
};

void GlobalCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class HttpFetcher : public TileFetcher {
 public:
  HttpFetcher(std::string base, FetchOptions options)
      : base_(std::move(base)), options_(options), curl_(curl_easy_init()) {}
  ~HttpFetcher() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    CLEARBOX_RETURN_IF_ERROR(CheckRelativePath(path));
    if (!curl_) return Error::Internal("libcurl: could not create a handle");
    std::string url = base_ + "/" + path;
    Error last = Error::Unavailable(url + ": not fetched");
    for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << std::min(attempt, 5)));
      }
      bool transient = false;
      auto r = FetchOnce(url, max_size, &transient);
      if (r.ok() || !transient) return r;
      last = r.error();
    }
    return last;
  }

 private:
  struct Sink {
    Bytes* body;
    size_t max_size;
    bool over_limit = false;
  };

  static size_t Write(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    size_t n = size * count;
    if (n > sink->max_size - sink->body->size()) {
      sink->over_limit = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    sink->body->insert(sink->body->end(), data, data + n);
    return n;
  }

  Result<Bytes> FetchOnce(const std::string& url, size_t max_size, bool* transient) {
    Bytes body;
    Sink sink{&body, max_size};
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &HttpFetcher::Write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");  // gzip and friends, decoded
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "clearbox/0.1 (tlog client)");
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_size));
    CURLcode rc = curl_easy_perform(curl_);
    if (sink.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
      return Error::LimitExceeded(url + ": response larger than " + std::to_string(max_size) +
                                  " bytes");
    }
    if (rc != CURLE_OK) {
      *transient = rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
                   rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
                   rc == CURLE_PARTIAL_FILE;
      return Error::Unavailable(url + ": " + curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) return body;
    std::string what = url + ": HTTP " + std::to_string(status);
    if (status == 404 || status == 410) return Error::NotFound(what);
    *transient = status >= 500 || status == 429;
    return Error::Unavailable(what);
  }

  std::string base_;
  FetchOptions options_;
  CURL* curl_;
};

}  // namespace

Result<std::unique_ptr<TileFetcher>> OpenLogFetcher(std::string_view location,
                                                    const FetchOptions& options) {
  std::string loc(location);
  while (loc.size() > 1 && loc.back() == '/') loc.pop_back();
  if (loc.starts_with("http://") || loc.starts_with("https://")) {
    GlobalCurlInit();
    return std::unique_ptr<TileFetcher>(new HttpFetcher(loc, options));
  }
  if (loc.starts_with("file://")) {
    loc = loc.substr(7);
  } else if (loc.find("://") != std::string::npos) {
    return Error::InvalidInput("log location " + Quote(location) +
                               ": want http://, https://, file:// or a directory");
  }
  if (loc.empty()) return Error::InvalidInput("log location is empty");
  struct stat st;
  if (::stat(loc.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error::NotFound("log directory " + loc + " does not exist");
  }
  return std::unique_ptr<TileFetcher>(new DirectoryFetcher(loc));
}

}  // namespace clearbox::tlog
