// URL parsing and redirect resolution (no network; the client itself is tested against real
// servers on loopback in tests/tlog_fetch_test.cc and tests/tlog_server_test.cc).
#include "clearbox/net/http_client.h"

#include <gtest/gtest.h>

namespace clearbox::net {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortAndPath) {
  Url u = ParseUrl("http://127.0.0.1:8080/log/prefix").value();
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path, "/log/prefix");
  EXPECT_EQ(u.Origin(), "http://127.0.0.1:8080");

  u = ParseUrl("HTTPS://log.example?x=1#frag").value();
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/?x=1");
  EXPECT_EQ(u.ToString(), "https://log.example/?x=1");

  u = ParseUrl("https://[::1]:8443/").value();
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.Origin(), "https://[::1]:8443");
  EXPECT_EQ(ParseUrl("http://[::1]").value().port, 80);
}

TEST(ParseUrl, RefusesOtherSchemesAndMalformedUrls) {
  for (const char* bad :
       {"ftp://example.com/x", "file:///etc/passwd", "example.com/log", "http://", "http://:80/x",
        "http://h:0/", "http://h:65536/", "http://h:8x/", "http://user@h/", "http://[::1/",
        "http://h/a b", "http://h/a\r\nX-Evil: 1"}) {
    auto r = ParseUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << bad;
  }
}

TEST(ResolveUrl, FollowsTheFormsOfALocationHeader) {
  const Url base = ParseUrl("https://log.example:8443/a/b/checkpoint?q=1").value();
  auto resolve = [&](std::string_view ref) { return ResolveUrl(base, ref).value().ToString(); };
  EXPECT_EQ(resolve("http://mirror.example/x"), "http://mirror.example/x");
  EXPECT_EQ(resolve("//cdn.example/t/0/000"), "https://cdn.example/t/0/000");
  EXPECT_EQ(resolve("/other/path"), "https://log.example:8443/other/path");
  EXPECT_EQ(resolve("tile/0/000"), "https://log.example:8443/a/b/tile/0/000");
  EXPECT_EQ(resolve("../c/./d"), "https://log.example:8443/a/c/d");
  EXPECT_EQ(resolve("../../../../x"), "https://log.example:8443/x");
  EXPECT_EQ(resolve("/a/b/.."), "https://log.example:8443/a/");
  EXPECT_EQ(resolve("?v=2"), "https://log.example:8443/a/b/checkpoint?v=2");
  EXPECT_EQ(resolve("next#frag"), "https://log.example:8443/a/b/next");
}

TEST(ResolveUrl, RefusesSchemesOtherThanHttpAndHttps) {
  const Url base = ParseUrl("http://127.0.0.1:8080/log").value();
  for (const char* bad : {"ftp://127.0.0.1/log", "file:///etc/passwd", "gopher://x/",
                          "javascript:alert(1)", "/x y", "/x\r\nSet-Cookie: a"}) {
    auto r = ResolveUrl(base, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << bad;
  }
}

TEST(HttpClient, CreateChecksTheUrlAndTheCaFile) {
  EXPECT_EQ(HttpClient::Create("ftp://example.com").error().code(), ErrorCode::kInvalidInput);
  auto client = HttpClient::Create("https://127.0.0.1:1/log/");
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  EXPECT_EQ((*client)->base_url(), "https://127.0.0.1:1/log");
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(HttpClient::Create("https://127.0.0.1:1", options).error().code(),
            ErrorCode::kInvalidInput);
  // A plain-http client never reads the CA file.
  EXPECT_TRUE(HttpClient::Create("http://127.0.0.1:1", options).ok());
}

TEST(HttpClient, RefusedConnectionIsUnavailable) {
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  auto client = HttpClient::Create("http://127.0.0.1:9", options).value();
  auto r = client->Request("GET", "/checkpoint");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("GET http://127.0.0.1:9/checkpoint"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace clearbox::net
