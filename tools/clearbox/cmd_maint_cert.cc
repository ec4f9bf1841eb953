// clearbox maint cert issue | cert show | revoke: the certificate layer of `clearbox maint`
// (docs/maint-certificates.md). Argument parsing and printing only; the work is in
// clearbox/maint/ssh_cert.h and krl.h. The request/approval-checked `maint issue` calls the
// same library.
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/maint/krl.h"
#include "clearbox/maint/ssh_cert.h"
#include "commands.h"
#include "common.h"

namespace clearbox::cli {
namespace {

// A time: seconds since the epoch, "now", "now+90m"/"now-2h" (s, m, h, d), or
// "YYYY-MM-DDTHH:MM:SSZ" (UTC).
Result<uint64_t> ParseTime(const std::string& text, const char* flag) {
  auto bad = [&] {
    return Error::InvalidInput(std::string(flag) + " \"" + text +
                               "\": expected seconds since the epoch, now, now+90m, now-2h or "
                               "YYYY-MM-DDTHH:MM:SSZ");
  };
  if (text.empty()) return bad();
  if (text.rfind("now", 0) == 0) {
    int64_t now = int64_t(std::time(nullptr));
    if (text == "now") return uint64_t(now);
    char sign = text[3];
    std::string num = text.substr(4);
    if ((sign != '+' && sign != '-') || num.size() < 2 || num.size() > 12) return bad();
    char unit = num.back();
    num.pop_back();
    for (char c : num) {
      if (c < '0' || c > '9') return bad();
    }
    int64_t mult = unit == 's'   ? 1
                   : unit == 'm' ? 60
                   : unit == 'h' ? 3600
                   : unit == 'd' ? 86400
                                 : 0;
    if (mult == 0) return bad();
    int64_t delta = std::stoll(num) * mult;
    int64_t t = sign == '+' ? now + delta : now - delta;
    if (t < 0) return bad();
    return uint64_t(t);
  }
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 19) return bad();
    return uint64_t(std::stoull(text));
  }
  struct tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return bad();
  time_t t = timegm(&tm);
  if (t < 0) return bad();
  return uint64_t(t);
}

// The first line of a key file that is not blank or a comment.
Result<std::string> FirstKeyLine(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, 1024 * 1024));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    return line;
  }
  return Error::InvalidInput(path + ": no key line");
}

struct IssueArgs {
  std::string ca, key, key_id, valid_after, valid_before, force_command, source_address, output;
  std::string principals_file;
  std::vector<std::string> principals;
  uint64_t serial = 0;
  uint64_t max_validity = 8 * 3600;
};

int RunIssue(const IssueArgs& a) {
  auto ca_text = ReadTextFile(a.ca, 64 * 1024);
  if (!ca_text.ok()) return Fail(ca_text.error());
  auto ca = maint::SshCaKey::FromOpenSshPrivateKey(*ca_text);
  if (!ca.ok()) return Fail(ca.error().WithContext(a.ca));
  auto line = FirstKeyLine(a.key);
  if (!line.ok()) return Fail(line.error());
  auto subject = maint::ParseSshPublicKey(*line);
  if (!subject.ok()) return Fail(subject.error().WithContext(a.key));

  maint::CertificateRequest req;
  req.subject = std::move(*subject);
  req.serial = a.serial;
  req.key_id = a.key_id;
  req.principals = a.principals;
  if (!a.principals_file.empty()) {
    auto text = ReadTextFile(a.principals_file, 64 * 1024 * 1024);
    if (!text.ok()) return Fail(text.error());
    size_t pos = 0;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      if (nl == std::string::npos) nl = text->size();
      if (nl > pos) req.principals.push_back(text->substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  auto after = ParseTime(a.valid_after, "--valid-after");
  if (!after.ok()) return Fail(after.error());
  auto before = ParseTime(a.valid_before, "--valid-before");
  if (!before.ok()) return Fail(before.error());
  req.valid_after = *after;
  req.valid_before = *before;
  req.force_command = a.force_command;
  req.source_address = a.source_address;

  auto cert = maint::IssueCertificate(req, *ca, a.max_validity);
  if (!cert.ok()) return Fail(cert.error());
  std::string text = maint::FormatCertificateLine(*cert, a.key_id) + "\n";
  if (Status s = WriteFileAtomic(a.output, AsBytes(text), 0644); !s.ok()) return Fail(s.error());
  std::fprintf(stderr, "issued certificate \"%s\" serial %llu for %zu principal(s) to %s\n",
               a.key_id.c_str(), static_cast<unsigned long long>(a.serial), req.principals.size(),
               a.output.c_str());
  return kExitOk;
}

int RunShow(const std::string& path) {
  auto line = FirstKeyLine(path);
  if (!line.ok()) return Fail(line.error());
  auto cert = maint::ParseCertificateLine(*line);
  if (!cert.ok()) return Fail(cert.error().WithContext(path));
  std::printf("%s:\n%s", path.c_str(), maint::DescribeCertificate(*cert).c_str());
  return kExitOk;
}

struct RevokeArgs {
  std::string ca, output, comment = "clearbox maint";
  std::vector<uint64_t> serials;
  std::vector<std::string> key_ids;
  uint64_t version = 0;
};

int RunRevoke(const RevokeArgs& a) {
  if (a.serials.empty() && a.key_ids.empty()) {
    return Fail(Error::InvalidInput("nothing to revoke: give --serial and/or --key-id"));
  }
  auto line = FirstKeyLine(a.ca);
  if (!line.ok()) return Fail(line.error());
  auto ca = maint::ParseSshPublicKey(*line);
  if (!ca.ok()) return Fail(ca.error().WithContext(a.ca));
  maint::Krl krl;
  krl.generated_date = uint64_t(std::time(nullptr));
  krl.version = a.version != 0 ? a.version : krl.generated_date;
  krl.comment = a.comment;
  maint::KrlCertificateSection& s = krl.certificates.emplace_back();
  s.ca_key = ca->blob;
  s.serials = a.serials;
  s.key_ids = a.key_ids;
  auto bytes = maint::WriteKrl(krl);
  if (!bytes.ok()) return Fail(bytes.error());
  if (Status st = WriteFileAtomic(a.output, *bytes, 0644); !st.ok()) return Fail(st.error());
  std::fprintf(stderr, "wrote KRL version %llu revoking %zu serial(s) and %zu key id(s) to %s\n",
               static_cast<unsigned long long>(krl.version), a.serials.size(), a.key_ids.size(),
               a.output.c_str());
  return kExitOk;
}

}  // namespace

CLI::App* MaintCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "maint"; })) {
    return sub;
  }
  CLI::App* maint =
      app.add_subcommand("maint", "vendor maintenance: approvals, SSH certificates, recordings");
  maint->require_subcommand(1);
  return maint;
}

void RegisterMaintCertCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);
  CLI::App* cert = maint->add_subcommand("cert", "OpenSSH user certificates (low level)");
  cert->require_subcommand(1);

  auto ia = std::make_shared<IssueArgs>();
  CLI::App* issue = cert->add_subcommand(
      "issue", "sign a short-lived OpenSSH user certificate (no approval checks: see maint issue)");
  issue->add_option("--ca", ia->ca, "the CA's OpenSSH Ed25519 private key (unencrypted)")
      ->required();
  issue->add_option("--key", ia->key, "the engineer's public key (.pub)")->required();
  issue->add_option("--key-id", ia->key_id, "the key id: the ticket")->required();
  issue->add_option("--serial", ia->serial, "unique serial, 1 or more")->required();
  issue->add_option("--principal", ia->principals, "an approved device account (repeatable)");
  issue->add_option("--principals-file", ia->principals_file, "approved accounts, one per line");
  issue
      ->add_option("--valid-after", ia->valid_after,
                   "start: epoch seconds, now, now-5m, or YYYY-MM-DDTHH:MM:SSZ")
      ->required();
  issue->add_option("--valid-before", ia->valid_before, "end (exclusive), same forms")->required();
  issue
      ->add_option("--max-validity", ia->max_validity,
                   "longest window the policy allows, in seconds")
      ->capture_default_str();
  issue->add_option("--force-command", ia->force_command, "the recording wrapper")->required();
  issue
      ->add_option("--source-address", ia->source_address,
                   "the jump host: address or CIDR list, e.g. 192.0.2.10/32")
      ->required();
  issue->add_option("-o,--output", ia->output, "the certificate file (KEY-cert.pub)")->required();
  issue->callback([ia] { ExitCode() = RunIssue(*ia); });

  auto show_file = std::make_shared<std::string>();
  CLI::App* show =
      cert->add_subcommand("show", "verify and print a certificate (as ssh-keygen -L)");
  show->add_option("file", *show_file, "a *-cert.pub file")->required();
  show->callback([show_file] { ExitCode() = RunShow(*show_file); });

  auto ra = std::make_shared<RevokeArgs>();
  CLI::App* revoke = maint->add_subcommand("revoke", "write an OpenSSH KRL (sshd RevokedKeys)");
  revoke->add_option("--ca", ra->ca, "the CA's public key (.pub)")->required();
  revoke->add_option("--serial", ra->serials, "a serial to revoke (repeatable)");
  revoke->add_option("--key-id", ra->key_ids, "a key id to revoke (repeatable)");
  revoke->add_option("--krl-version", ra->version, "the KRL's version (default: the time)");
  revoke->add_option("--comment", ra->comment, "the KRL's comment")->capture_default_str();
  revoke->add_option("-o,--output", ra->output, "the KRL file")->required();
  revoke->callback([ra] { ExitCode() = RunRevoke(*ra); });
}

}  // namespace clearbox::cli
