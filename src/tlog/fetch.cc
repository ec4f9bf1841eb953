// OpenLogFetcher: log resources over HTTP(S) with the net module's client, or from a
// directory.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/net/http_client.h"
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

net::HttpClientOptions ClientOptions(const FetchOptions& options) {
  net::HttpClientOptions out;
  out.timeout = options.timeout;
  out.ca_file = options.ca_file;
  return out;
}

// Fetches <base>/<path> with the net module's client (one keep-alive connection to the log,
// another to the last origin a redirect led to), following redirects to http and https.
class HttpFetcher : public TileFetcher {
 public:
  HttpFetcher(std::string base, std::unique_ptr<net::HttpClient> client, FetchOptions options)
      : base_(std::move(base)), client_(std::move(client)), options_(std::move(options)) {}

  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    CLEARBOX_RETURN_IF_ERROR(CheckRelativePath(path));
    std::string url = base_ + "/" + path;
    Error last = Error::Unavailable(url + ": not fetched");
    for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << std::min(attempt, 5)));
      }
      bool transient = false;
      auto r = FetchOnce(url, path, max_size, &transient);
      if (r.ok() || !transient) return r;
      last = r.error();
    }
    return last;
  }

 private:
  static constexpr int kMaxRedirects = 5;

  Result<Bytes> FetchOnce(const std::string& url, const std::string& path, size_t max_size,
                          bool* transient) {
    net::HttpClient* client = client_.get();
    std::string target = "/" + path;  // below the client's base URL
    std::string where = url;
    for (int redirects = 0;; ++redirects) {
      auto response = client->Get(target, max_size);
      if (!response.ok()) {
        // Connect errors, timeouts and broken connections; not a certificate refused, a
        // body over the limit or an answer that is not HTTP.
        *transient = response.error().code() == ErrorCode::kUnavailable;
        return response.error();
      }
      const int status = response->status;
      if (status == 200) return ToBytes(response->body);
      std::string what = where + ": HTTP " + std::to_string(status);
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        if (redirects == kMaxRedirects) {
          return Error::Unavailable(url + ": more than " + std::to_string(kMaxRedirects) +
                                    " redirects");
        }
        std::string_view location = response->Header("Location");
        if (location.empty()) return Error::Unavailable(what + " without a Location");
        CLEARBOX_ASSIGN_OR_RETURN(net::Url current, net::ParseUrl(where));
        auto next = net::ResolveUrl(current, location);
        if (!next.ok()) return next.error().WithContext(what + " redirects to a bad location");
        CLEARBOX_ASSIGN_OR_RETURN(client, RedirectClient(next->Origin()));
        target = next->path;
        where = next->ToString();
        continue;
      }
      if (status == 404 || status == 410) return Error::NotFound(what);
      *transient = status >= 500 || status == 429;
      return Error::Unavailable(what);
    }
  }

  // A client for `origin` (scheme, host and port), kept while redirects lead there.
  Result<net::HttpClient*> RedirectClient(const std::string& origin) {
    if (!redirect_client_ || redirect_client_->base_url() != origin) {
      CLEARBOX_ASSIGN_OR_RETURN(redirect_client_,
                                net::HttpClient::Create(origin, ClientOptions(options_)));
    }
    return redirect_client_.get();
  }

  std::string base_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<net::HttpClient> redirect_client_;
  FetchOptions options_;
};

}  // namespace

Result<std::unique_ptr<TileFetcher>> OpenLogFetcher(std::string_view location,
                                                    const FetchOptions& options) {
  std::string loc(location);
  while (loc.size() > 1 && loc.back() == '/') loc.pop_back();
  if (loc.starts_with("http://") || loc.starts_with("https://")) {
    CLEARBOX_ASSIGN_OR_RETURN(auto client, net::HttpClient::Create(loc, ClientOptions(options)));
    return std::unique_ptr<TileFetcher>(new HttpFetcher(loc, std::move(client), options));
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
