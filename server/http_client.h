// The front ends' names for the library's HTTP client, which lives in the net module
// (include/clearbox/net/http_client.h: http and https, Boost.Beast inside one .cc) so that
// the tlog client can use it too. Use the clearbox::net names in new code.
#pragma once

#include <string_view>

#include "clearbox/core/result.h"
#include "clearbox/net/http_client.h"

namespace clearbox::server {

using ::clearbox::net::HttpClient;
using ::clearbox::net::HttpClientOptions;
using ::clearbox::net::HttpClientResponse;
using ::clearbox::net::HttpHeaders;
using HttpUrl = ::clearbox::net::Url;

// Parses "http[s]://host[:port][/path]" (net::ParseUrl).
inline Result<HttpUrl> ParseHttpUrl(std::string_view url) { return ::clearbox::net::ParseUrl(url); }

}  // namespace clearbox::server
