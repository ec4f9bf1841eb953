// clearbox maint request | approve | deny | status | issue | check-policy: the approval layer
// of `clearbox maint` (docs/maint.md). Argument parsing, log I/O and printing; the decisions
// are in clearbox/maint/approval.h and policy.h.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/audit/pledge.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/ssh_cert.h"
#include "clearbox/release/statement.h"
#include "clearbox/tlog/client.h"
#include "commands.h"
#include "common.h"
#include "log_add.h"
#include "maint_cli.h"
#include "release_inputs.h"

namespace clearbox::cli {
namespace {

// REQUEST: a request envelope file, or its SHA-256 (64 hex digits, "sha256:" allowed).
Result<std::string> RequestDigest(const std::string& arg) {
  std::string hex = arg.rfind("sha256:", 0) == 0 ? arg.substr(7) : arg;
  if (hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos &&
      access(arg.c_str(), F_OK) != 0) {
    return hex;
  }
  CLEARBOX_ASSIGN_OR_RETURN(Bytes bytes, ReadFile(arg, maint::kMaxMaintEnvelopeBytes + 1));
  // Only its digest is used (the log holds the request that counts), but a file that is not a
  // request at all deserves a better answer than "not in the log".
  auto envelope = release::ParseEnvelope(AsChars(bytes));
  if (!envelope.ok()) return envelope.error().WithContext(arg);
  auto statement = release::ParseStatement(AsChars(envelope->payload));
  if (!statement.ok()) return statement.error().WithContext(arg);
  auto request = maint::RequestOf(*statement);
  if (!request.ok()) return request.error().WithContext(arg);
  return Sha256Hex(bytes);
}

struct RequestArgs {
  MaintCommon c;
  std::string ticket, engineer_key, window, reason, key, output;
  std::vector<std::string> devices, principals;
};

int RunRequest(const RequestArgs& a) {
  auto signer = LoadSigner(a.c, a.key, &maint::Policy::requesters, "a requester", false);
  if (!signer.ok()) return Fail(signer.error());
  const maint::Policy* policy = &signer->policy;
  const uint64_t* now = &signer->now;
  const crypto::Ed25519PrivateKey* key = &signer->key;

  maint::MaintRequest r;
  r.ticket = a.ticket;
  auto engineer = ReadTextFile(a.engineer_key, 64 * 1024);
  if (!engineer.ok()) return Fail(engineer.error());
  auto engineer_key = maint::ParseSshPublicKey(engineer->substr(0, engineer->find('\n')));
  if (!engineer_key.ok()) return Fail(engineer_key.error().WithContext(a.engineer_key));
  engineer_key->comment.clear();
  r.engineer_key = maint::FormatSshPublicKey(*engineer_key);
  r.devices = a.devices;
  r.principals = a.principals;
  size_t slash = a.window.find('/');
  if (slash == std::string::npos) {
    return Fail(Error::InvalidInput("--window \"" + a.window + "\": expected START/END"));
  }
  auto start = ParseWhen(a.window.substr(0, slash), "--window start");
  if (!start.ok()) return Fail(start.error());
  auto end = ParseWhen(a.window.substr(slash + 1), "--window end");
  if (!end.ok()) return Fail(end.error());
  r.window_start = *start;
  r.window_end = *end;
  r.reason = a.reason;
  if (r.reason.empty() || r.reason.size() > maint::kMaxReasonBytes) {
    return Fail(Error::InvalidInput("--reason: 1-4096 bytes"));
  }
  r.requested_at = *now;
  r.requester = signer->person.name;
  if (Status s = maint::CheckRequest(*policy, r, *now); !s.ok()) {
    return Fail(s.error().WithContext("refused"));
  }
  auto statement = maint::MakeRequestStatement(r);
  if (!statement.ok()) return Fail(statement.error());
  int rc = SignAndPublish(*statement, *key, *policy, a.c, a.output);
  if (rc != kExitOk) return rc;
  auto digest = RequestDigest(a.output);
  if (!digest.ok()) return Fail(digest.error());
  std::fprintf(stderr, "request %s sha256:%s by %s published to %s\n", r.ticket.c_str(),
               digest->c_str(), r.requester.c_str(),
               (a.c.log.empty() ? policy->log.url : a.c.log).c_str());
  return kExitOk;
}

struct ReviewArgs {
  MaintCommon c;
  std::string request, key, reason, output;
  bool approve = true;
};

int RunReview(const ReviewArgs& a) {
  auto signer = LoadSigner(a.c, a.key, &maint::Policy::approvers, "an approver", true);
  if (!signer.ok()) return Fail(signer.error());
  const maint::Policy* policy = &signer->policy;
  const uint64_t* now = &signer->now;
  const crypto::Ed25519PrivateKey* key = &signer->key;
  auto digest = RequestDigest(a.request);
  if (!digest.ok()) return Fail(digest.error());
  // What is reviewed is the request as the log holds it.
  auto e = EvaluateFromLog(*policy, a.c, *digest, *now);
  if (!e.ok()) return Fail(e.error().WithContext("refused"));
  const maint::Person& me = signer->person;
  std::string requester_keyid;
  if (const maint::Person* r = maint::FindPerson(policy->requesters, e->requester)) {
    requester_keyid = r->key.keyid();
  }
  if (me.name == e->requester || me.key.keyid() == requester_keyid) {
    return Fail(Error::PermissionDenied("refused: self-approval: " + me.name +
                                        " filed this request"));
  }
  if (!e->blocked.empty()) return Fail(Error::PermissionDenied("refused: " + e->blocked));
  for (const maint::ReviewOutcome& o : e->reviews) {
    if (o.counted && o.reviewer == me.name) {
      std::fprintf(stderr,
                   "clearbox: note: %s already reviewed this request at log entry %llu; this "
                   "review is logged but counted once\n",
                   me.name.c_str(), static_cast<unsigned long long>(o.index));
    }
  }
  if (e->state != maint::Evaluation::State::kPending) {
    std::fprintf(stderr, "clearbox: note: already %s by \"%s\" at log entry %llu; this review "
                 "is logged but changes nothing\n",
                 e->state == maint::Evaluation::State::kApproved ? "approved" : "denied",
                 e->decided_by.c_str(), static_cast<unsigned long long>(e->decided_at_index));
  }
  maint::MaintReview v;
  v.request_sha256 = *digest;
  v.ticket = e->request.ticket;
  v.approve = a.approve;
  v.reason = a.reason;
  v.reviewed_at = *now;
  v.reviewer = me.name;
  std::string output = a.output;
  if (output.empty()) {  // beside the request file, or named after the ticket
    std::string base = access(a.request.c_str(), F_OK) == 0 ? a.request : e->request.ticket;
    output = base + "." + me.name + (a.approve ? ".approve" : ".deny") + ".dsse";
  }
  int rc = SignAndPublish(maint::MakeReviewStatement(v), *key, *policy, a.c, output);
  if (rc != kExitOk) return rc;
  std::fprintf(stderr, "%s %s request %s (sha256:%s)\n", me.name.c_str(),
               a.approve ? "approved" : "denied", v.ticket.c_str(), digest->c_str());
  return kExitOk;
}

struct StatusArgs {
  MaintCommon c;
  std::string request;
};

int RunStatus(const StatusArgs& a) {
  auto policy = LoadPolicy(a.c.policy);
  if (!policy.ok()) return Fail(policy.error());
  auto now = ParseWhen(a.c.now, "--now");
  if (!now.ok()) return Fail(now.error());
  auto digest = RequestDigest(a.request);
  if (!digest.ok()) return Fail(digest.error());
  auto e = EvaluateFromLog(*policy, a.c, *digest, *now);
  if (!e.ok()) return Fail(e.error());
  std::fputs(maint::DescribeEvaluation(*e).c_str(), stdout);
  bool issuable = e->state == maint::Evaluation::State::kApproved && e->blocked.empty() &&
                  e->issued.empty();
  return issuable ? kExitOk : kExitFindings;
}

struct IssueArgs {
  MaintCommon c;
  std::string request, ca, key, output;
};

int RunIssue(const IssueArgs& a) {
  auto signer = LoadSigner(a.c, a.key, &maint::Policy::issuers, "an issuer", true);
  if (!signer.ok()) return Fail(signer.error());
  const maint::Policy* policy = &signer->policy;
  const uint64_t* now = &signer->now;
  const crypto::Ed25519PrivateKey* key = &signer->key;
  auto ca_text = ReadTextFile(a.ca, 64 * 1024);
  if (!ca_text.ok()) return Fail(ca_text.error());
  auto ca = maint::SshCaKey::FromOpenSshPrivateKey(*ca_text);
  if (!ca.ok()) return Fail(ca.error().WithContext(a.ca));
  auto policy_ca = maint::ParseSshPublicKey(policy->ca_key);
  if (!policy_ca.ok() || policy_ca->blob != ca->public_key().blob) {
    return Fail(Error::PermissionDenied(a.ca + ": not the policy's ca-key " +
                                        (policy_ca.ok() ? maint::SshFingerprint(policy_ca->blob)
                                                        : std::string("?"))));
  }
  auto digest = RequestDigest(a.request);
  if (!digest.ok()) return Fail(digest.error());
  auto e = EvaluateFromLog(*policy, a.c, *digest, *now);
  if (!e.ok()) return Fail(e.error().WithContext("refused"));
  auto serial = maint::NewSerial(e->serials_in_log);
  if (!serial.ok()) return Fail(serial.error());
  auto request = maint::CertificateFor(*policy, *e, *serial);
  if (!request.ok()) return Fail(request.error().WithContext("refused"));
  auto cert = maint::IssueCertificate(*request, *ca, policy->max_window_seconds);
  if (!cert.ok()) return Fail(cert.error());

  maint::CertificateRecord record;
  record.certificate_sha256 = Sha256Hex(*cert);
  record.request_sha256 = *digest;
  record.key_id = request->key_id;
  record.serial = *serial;
  record.principals = request->principals;
  record.valid_after = request->valid_after;
  record.valid_before = request->valid_before;
  record.issued_at = *now;
  record.ca_fingerprint = maint::SshFingerprint(ca->public_key().blob);
  record.observer_required = policy->observer_required;
  // The certificate is written only once its record is in the log.
  int rc = SignAndPublish(maint::MakeCertificateStatement(record), *key, *policy, a.c,
                          a.output + ".record.dsse");
  if (rc != kExitOk) return rc;
  std::string line = maint::FormatCertificateLine(*cert, request->key_id) + "\n";
  if (Status s = WriteFileAtomic(a.output, AsBytes(line), 0644); !s.ok()) return Fail(s.error());
  std::fprintf(stderr,
               "issued %s serial %llu for %s, %s to %s (decided by \"%s\"), recorded in the log\n",
               request->key_id.c_str(), static_cast<unsigned long long>(*serial),
               e->request.principals[0].c_str(), maint::FormatUtcTime(request->valid_after).c_str(),
               maint::FormatUtcTime(request->valid_before).c_str(), e->decided_by.c_str());
  return kExitOk;
}

struct CheckArgs {
  std::string policy, pledge;
};

int RunCheckPolicy(const CheckArgs& a) {
  auto policy = LoadPolicy(a.policy);
  if (!policy.ok()) return Fail(policy.error());
  std::printf("ok: %s: %zu requester(s), %zu approver(s), %zu threshold(s), max-window %s\n",
              a.policy.c_str(), policy->requesters.size(), policy->approvers.size(),
              policy->thresholds.size(), maint::FormatDuration(policy->max_window_seconds).c_str());
  if (a.pledge.empty()) return kExitOk;
  auto text = ReadTextFile(a.pledge, audit::kMaxPledgeBytes + 1);
  if (!text.ok()) return Fail(text.error());
  auto pledge = audit::ParsePledge(*text, a.pledge);
  if (!pledge.ok()) return Fail(pledge.error());
  maint::PledgedMaintenance m{pledge->maintenance.procedure,
                              pledge->maintenance.approvals_required, pledge->maintenance.approvers};
  auto findings = maint::CheckPolicyAgainstPledge(*policy, m);
  for (const std::string& f : findings) {
    std::printf("finding: %s: %s\n", a.pledge.c_str(), f.c_str());
  }
  if (findings.empty()) std::printf("ok: the policy keeps within %s\n", a.pledge.c_str());
  return findings.empty() ? kExitOk : kExitFindings;
}

}  // namespace

void RegisterMaintApprovalCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);

  auto ra = std::make_shared<RequestArgs>();
  CLI::App* req = maint->add_subcommand("request", "file a signed maintenance request and log it");
  AddMaintCommon(req, &ra->c);
  req->add_option("--ticket", ra->ticket, "the change ticket (becomes the certificate's key id)")
      ->required();
  req->add_option("--engineer-key", ra->engineer_key, "the engineer's OpenSSH public key (.pub)")
      ->required();
  req->add_option("--devices", ra->devices, "the devices to maintain")->required();
  req->add_option("--principals", ra->principals, "the device accounts asked for")->required();
  req->add_option("--window", ra->window, "START/END: UTC times or now+1h/now+3h")->required();
  req->add_option("--reason", ra->reason, "why")->required();
  req->add_option("--key", ra->key, "the requester's signer key (clearbox key generate)")->required();
  req->add_option("-o,--output", ra->output, "the request envelope to write")->required();
  req->callback([ra] { ExitCode() = RunRequest(*ra); });

  for (bool approve : {true, false}) {
    auto va = std::make_shared<ReviewArgs>();
    va->approve = approve;
    CLI::App* rev = maint->add_subcommand(
        approve ? "approve" : "deny",
        approve ? "approve a logged request (a signed review, logged)"
                : "deny a logged request (a signed review, logged)");
    AddMaintCommon(rev, &va->c);
    rev->add_option("REQUEST", va->request, "the request envelope, or its sha256")->required();
    rev->add_option("--key", va->key, "the approver's signer key")->required();
    rev->add_option("--reason", va->reason, "why (optional)");
    rev->add_option("-o,--output", va->output,
                    "the review envelope (default: REQUEST.<name>.approve|deny.dsse)");
    rev->callback([va] { ExitCode() = RunReview(*va); });
  }

  auto sa = std::make_shared<StatusArgs>();
  CLI::App* st = maint->add_subcommand(
      "status", "who approved or denied a request, from the log; exit 0 if it can be issued");
  AddMaintCommon(st, &sa->c);
  st->add_option("REQUEST", sa->request, "the request envelope, or its sha256")->required();
  st->callback([sa] { ExitCode() = RunStatus(*sa); });

  auto ia = std::make_shared<IssueArgs>();
  CLI::App* issue = maint->add_subcommand(
      "issue", "issue the OpenSSH certificate of an approved request (checked from the log)");
  AddMaintCommon(issue, &ia->c);
  issue->add_option("REQUEST", ia->request, "the request envelope, or its sha256")->required();
  issue->add_option("--ca", ia->ca, "the CA's OpenSSH Ed25519 private key")->required();
  issue->add_option("--key", ia->key, "the issuer's signer key (signs the log record)")->required();
  issue->add_option("-o,--output", ia->output, "the certificate (KEY-cert.pub)")->required();
  issue->callback([ia] { ExitCode() = RunIssue(*ia); });

  auto ca = std::make_shared<CheckArgs>();
  CLI::App* check = maint->add_subcommand(
      "check-policy", "validate a maintenance policy; with --pledge, check it keeps the pledge");
  check->add_option("POLICY", ca->policy, "the policy")->required();
  check->add_option("--pledge", ca->pledge, "the vendor's pledge (its maintenance section)");
  check->callback([ca] { ExitCode() = RunCheckPolicy(*ca); });
}

}  // namespace clearbox::cli
