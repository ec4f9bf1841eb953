#include "server/log_http.h"

#include "clearbox/tlog/submission.h"

namespace clearbox::server {

namespace {

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

HttpResponse ToHttp(tlog::LogResponse r) {
  HttpResponse out;
  out.status = r.status;
  if (r.content_type != kTextPlain) out.content_type = r.content_type;  // else the default
  out.cache_control = r.cache_control;
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  return out;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> StartLogHttpServer(tlog::LogServer& log,
                                                       HttpServerOptions options) {
  options.max_body_bytes = 64 * 1024;
  options.body_too_large_message =
      "entry too large: a log entry is at most 64 KiB (entry bundles carry a 16-bit length); "
      "log a statement or manifest that names the artifact by digest, not the artifact";
  return HttpServer::Start(options, [&log](HttpRequest&& request, Responder respond) {
    tlog::LogRequest r;
    r.method = request.method;
    r.target = request.target;
    r.submitter = request.Header(tlog::kSubmitterHeader);
    r.body = std::move(request.body);
    log.Handle(std::move(r), [respond = std::move(respond)](tlog::LogResponse response) {
      if (!response.finish) return respond(ToHttp(std::move(response)));
      // Finished (the proof text built) on the connection's loop, not the sequencer's thread.
      HttpResponse deferred;
      deferred.finish = [response = std::move(response)](HttpResponse& out) mutable {
        tlog::FinishResponse(response);
        out = ToHttp(std::move(response));
      };
      respond(std::move(deferred));
    });
  });
}

Result<std::unique_ptr<HttpServer>> StartWitnessHttpServer(tlog::Witness& witness,
                                                           HttpServerOptions options) {
  options.max_body_bytes = tlog::kMaxWitnessRequestSize;
  options.body_too_large_message = "add-checkpoint request too large (limit 64 KiB)";
  return HttpServer::Start(options, [&witness](HttpRequest&& request, Responder respond) {
    std::string_view path = request.target;
    if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (path != "/add-checkpoint") {
      return respond(
          HttpResponse::Text(404, "not found: this witness serves POST /add-checkpoint"));
    }
    if (request.method != "POST") {
      HttpResponse r = HttpResponse::Text(405, "use POST for /add-checkpoint");
      r.headers.emplace_back("Allow", "POST");
      return respond(std::move(r));
    }
    tlog::WitnessAnswer answer = witness.AddCheckpoint(request.body);
    HttpResponse r;
    r.status = answer.status;
    r.content_type = std::move(answer.content_type);
    r.cache_control = "no-store";
    r.body = std::make_shared<const std::string>(std::move(answer.body));
    respond(std::move(r));
  });
}

Result<tlog::WitnessAnswer> HttpWitnessTransport::AddCheckpoint(const std::string& witness_url,
                                                                const std::string& body) {
  Connection* connection;
  {
    std::lock_guard lock(mu_);
    auto& slot = connections_[witness_url];
    if (!slot) slot = std::make_unique<Connection>();
    connection = slot.get();
  }
  std::lock_guard lock(connection->mu);
  if (!connection->client) {
    net::HttpClientOptions options;
    options.timeout = timeout_;
    options.max_response_bytes = 1 << 20;
    CLEARBOX_ASSIGN_OR_RETURN(connection->client, net::HttpClient::Create(witness_url, options));
  }
  CLEARBOX_ASSIGN_OR_RETURN(net::HttpClientResponse response,
                            connection->client->Request("POST", "/add-checkpoint", body));
  tlog::WitnessAnswer answer;
  answer.status = response.status;
  answer.content_type = std::string(response.Header("Content-Type"));
  answer.body = std::move(response.body);
  return answer;
}

}  // namespace clearbox::server
