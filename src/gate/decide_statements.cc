// The statement half of the decision: who signed what, is it this image under this pledge,
// did enough evaluators judge it, and is it not a rollback?
#include <algorithm>
#include <set>

#include "decide_internal.h"
#include "json_fields.h"

namespace clearbox::gate::internal {
namespace {

bool IsLowerHex64(std::string_view s) { return release::internal::IsLowerHexSha256(s); }

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// The policy keys that signed `env`. The keyid in a signature is an unauthenticated hint: it
// only decides which key is tried first.
std::vector<size_t> ValidSigners(Context& ctx, const release::Envelope& env, bool& budget_spent) {
  Bytes pae = release::PreAuthEncoding(env.payload_type, env.payload);
  std::vector<bool> found(ctx.keys.size(), false);
  for (const auto& sig : env.signatures) {
    bool matched = false;
    for (int hinted_pass = 1; hinted_pass >= 0 && !matched; --hinted_pass) {
      for (size_t k = 0; k < ctx.keys.size() && !matched; ++k) {
        bool hinted = ctx.keys[k].key->keyid() == sig.keyid;
        if (found[k] || hinted != (hinted_pass == 1)) continue;
        if (++ctx.signature_checks > kMaxSignatureChecks) {
          budget_spent = true;
          break;
        }
        matched = found[k] = ctx.keys[k].key->Verify(pae, sig.sig);
      }
    }
  }
  std::vector<size_t> out;
  for (size_t k = 0; k < found.size(); ++k) {
    if (found[k]) out.push_back(k);
  }
  return out;
}

// Opens statement `i`: envelope, signatures by policy keys, statement, predicate.
OpenedStatement Open(Context& ctx, size_t i) {
  const BundleStatement& in = ctx.bundle.statements[i];
  OpenedStatement s;
  s.index = i;
  s.log_index = in.log_index;
  auto env = release::ParseEnvelope(in.envelope);
  if (!env.ok()) {
    s.problem = env.error().message();
    return s;
  }
  if (env->payload_type != release::kInTotoPayloadType) {
    s.problem = "payloadType " + Quoted(env->payload_type) + " is not an in-toto statement";
    return s;
  }
  bool budget_spent = false;
  s.signers = ValidSigners(ctx, *env, budget_spent);
  if (s.signers.empty()) {
    s.problem = budget_spent
                    ? "not checked: the budget of " + std::to_string(kMaxSignatureChecks) +
                          " signature verifications is spent"
                    : "no signature verifies with a policy key (" +
                          Plural(env->signatures.size(), "signature", "signatures") + " tried)";
    for (const auto& sig : env->signatures) {
      for (const auto& id : ctx.policy.revoked_keyids) {
        if (sig.keyid == id) s.problem += "; a signature names revoked key " + id;
      }
    }
    return s;
  }
  // Only now, with the payload verified, is its predicateType the statement's kind.
  auto statement = release::ParseStatement(AsChars(env->payload));
  if (!statement.ok()) {
    s.problem = statement.error().message();
    return s;
  }
  s.subject_sha256 = statement->subjects[0].sha256;
  s.predicate_json = statement->predicate.dump(-1, ' ', false, Json::error_handler_t::replace);
  Status parsed = Status::Ok();
  if (statement->predicate_type == release::kPledgePredicateType) {
    s.kind = Kind::kPledge;
    auto p = release::PledgeOf(*statement);
    if (p.ok())
      s.pledge = std::move(*p);
    else
      parsed = p.status();
  } else if (statement->predicate_type == release::kReleasePredicateType) {
    s.kind = Kind::kRelease;
    auto p = release::ReleaseOf(*statement);
    if (p.ok())
      s.release = std::move(*p);
    else
      parsed = p.status();
  } else if (statement->predicate_type == release::kVerdictPredicateType) {
    s.kind = Kind::kVerdict;
    auto p = release::VerdictOf(*statement);
    if (p.ok())
      s.verdict = std::move(*p);
    else
      parsed = p.status();
  } else {
    s.problem = "predicateType " + Quoted(statement->predicate_type) +
                " is not a pledge, release or verdict";
    return s;
  }
  if (!parsed.ok()) s.problem = parsed.error().message();
  return s;
}

Tally Count(const Context& ctx, const OpenedStatement& s, bool vendor_role) {
  Tally t;
  for (size_t k : s.signers) {
    const PolicyKey& key = ctx.keys[k];
    if (!(vendor_role ? key.vendor : key.evaluator)) continue;
    if (key.revoked) {
      t.revoked_keyids.push_back(key.key->keyid());
    } else {
      ++t.counted;
    }
  }
  return t;
}

std::string RevokedNote(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += "; signed by revoked key " + id + " (not counted)";
  return out;
}

void NoteRevokedBlocking(Context& ctx, const OpenedStatement& s, const Tally& t) {
  for (const auto& id : t.revoked_keyids) {
    ctx.revoked_blocking.push_back(id + " (" + StatementLabel(s) + ")");
  }
}

// The vendor-signed statements of `kind`; the first one below threshold explains a failure.
std::vector<const OpenedStatement*> VendorSigned(Context& ctx, Kind kind, std::string& why_not) {
  std::vector<const OpenedStatement*> out;
  std::vector<std::pair<const OpenedStatement*, Tally>> below;
  size_t threshold = ctx.policy.vendor_keys.threshold;
  for (const auto& s : ctx.statements) {
    if (!s.problem.empty() || s.kind != kind) continue;
    Tally t = Count(ctx, s, /*vendor_role=*/true);
    if (t.counted >= threshold) {
      out.push_back(&s);
      continue;
    }
    if (why_not.empty()) {
      why_not = StatementLabel(s) + " is signed by " + std::to_string(t.counted) + " of the " +
                std::to_string(threshold) + " vendor keys required" + RevokedNote(t.revoked_keyids);
    }
    below.emplace_back(&s, std::move(t));
  }
  // A revoked signature matters only where no statement of this kind met the threshold.
  if (out.empty()) {
    for (const auto& [s, t] : below) NoteRevokedBlocking(ctx, *s, t);
  }
  return out;
}

void CheckStatementsOpen(Context& ctx) {
  size_t counts[4] = {0, 0, 0, 0};
  std::string problems;
  size_t bad = 0;
  for (const auto& s : ctx.statements) {
    if (s.problem.empty()) {
      ++counts[static_cast<int>(s.kind)];
      continue;
    }
    if (bad++ < 3)
      problems += (problems.empty() ? "" : "; ") + StatementLabel(s) + ": " + s.problem;
  }
  if (bad > 3) problems += "; and " + std::to_string(bad - 3) + " more";
  if (ctx.signature_checks > kMaxSignatureChecks) {
    problems += "; the budget of " + std::to_string(kMaxSignatureChecks) +
                " signature verifications is spent";
  }
  if (bad) {
    ctx.Add(kCheckStatements, false, problems);
    return;
  }
  ctx.Add(kCheckStatements, true,
          Plural(counts[1], "pledge", "pledges") + ", " + Plural(counts[2], "release", "releases") +
              ", " + Plural(counts[3], "verdict", "verdicts") + ", each signed by a policy key");
}

void CheckPledge(Context& ctx) {
  std::string why_not;
  auto pledges = VendorSigned(ctx, Kind::kPledge, why_not);
  if (pledges.empty()) {
    ctx.Add(kCheckPledge, false,
            why_not.empty() ? "no pledge statement signed by a vendor key in the bundle" : why_not);
    return;
  }
  for (const auto* p : pledges) {
    if (p->pledge.pledge_sha256 != pledges[0]->pledge.pledge_sha256) {
      ctx.Add(kCheckPledge, false,
              "two different pledges: sha256 " + pledges[0]->pledge.pledge_sha256 + " and " +
                  p->pledge.pledge_sha256);
      return;
    }
  }
  ctx.pledge = pledges[0];
  const auto& pl = ctx.pledge->pledge;
  ctx.Add(kCheckPledge, true,
          "pledge sha256 " + pl.pledge_sha256 + " of " + pl.vendor + " " + pl.product +
              ", signed by " +
              Plural(Count(ctx, *ctx.pledge, true).counted, "vendor key", "vendor keys") +
              ", threshold " + std::to_string(ctx.policy.vendor_keys.threshold));
}

void CheckRelease(Context& ctx) {
  if (!IsLowerHex64(ctx.image_sha256)) {
    ctx.Add(
        kCheckRelease, false,
        "the image digest " + Quoted(ctx.image_sha256) + " is not a SHA-256 (64 lowercase hex)");
    return;
  }
  std::string why_not;
  auto releases = VendorSigned(ctx, Kind::kRelease, why_not);
  if (releases.empty()) {
    ctx.Add(
        kCheckRelease, false,
        why_not.empty() ? "no release statement signed by a vendor key in the bundle" : why_not);
    return;
  }
  std::vector<const OpenedStatement*> mine;
  for (const auto* r : releases) {
    if (r->subject_sha256 == ctx.image_sha256) mine.push_back(r);
  }
  if (mine.empty()) {
    ctx.Add(kCheckRelease, false,
            "arbitrary software: the release is for image sha256 " + releases[0]->subject_sha256 +
                ", this image is " + std::string(ctx.image_sha256));
    return;
  }
  for (const auto* r : mine) {
    if (r->predicate_json != mine[0]->predicate_json) {
      ctx.Add(kCheckRelease, false,
              "two different releases of this image: " + StatementLabel(*mine[0]) + " and " +
                  StatementLabel(*r));
      return;
    }
  }
  ctx.release = mine[0];
  const auto& r = ctx.release->release;
  ctx.decision.vendor = r.vendor;
  ctx.decision.product = r.product;
  ctx.decision.version = r.version;
  ctx.decision.security_version = r.security_version;
  ctx.Add(kCheckRelease, true,
          r.vendor + " " + r.product + " " + r.version + " (security version " +
              std::to_string(r.security_version) + ") is this image, signed by " +
              Plural(Count(ctx, *ctx.release, true).counted, "vendor key", "vendor keys") +
              ", threshold " + std::to_string(ctx.policy.vendor_keys.threshold));
}

void CheckVendor(Context& ctx) {
  const Policy& p = ctx.policy;
  if (p.vendor.empty() && p.product.empty()) {
    ctx.Add(kCheckVendor, true, "the policy names no vendor or product");
    return;
  }
  auto mismatch = [&](std::string_view what, std::string_view field, const std::string& got,
                      const std::string& want) -> bool {
    if (want.empty() || got == want) return false;
    ctx.Add(kCheckVendor, false,
            "the " + std::string(what) + " is for " + std::string(field) + " " + Quoted(got) +
                ", the policy's is " + Quoted(want));
    return true;
  };
  for (const OpenedStatement* s : {ctx.release, ctx.pledge}) {
    if (!s) continue;
    bool is_release = s == ctx.release;
    const std::string& vendor = is_release ? s->release.vendor : s->pledge.vendor;
    const std::string& product = is_release ? s->release.product : s->pledge.product;
    std::string_view what = is_release ? "release" : "pledge";
    if (mismatch(what, "vendor", vendor, p.vendor) ||
        mismatch(what, "product", product, p.product)) {
      return;
    }
  }
  if (!ctx.release || !ctx.pledge) {
    ctx.Add(kCheckVendor, false, "not checked: no trusted release and pledge");
    return;
  }
  ctx.Add(kCheckVendor, true,
          "release and pledge are for " + ctx.release->release.vendor + " " +
              ctx.release->release.product);
}

// The verdicts at least one non-revoked evaluator key signed.
std::vector<const OpenedStatement*> EvaluatorVerdicts(const Context& ctx) {
  std::vector<const OpenedStatement*> out;
  for (const auto& s : ctx.statements) {
    if (s.problem.empty() && s.kind == Kind::kVerdict && Count(ctx, s, false).counted > 0) {
      out.push_back(&s);
    }
  }
  return out;
}

void CheckBinding(Context& ctx) {
  if (!ctx.release || !ctx.pledge) {
    ctx.Add(kCheckBinding, false, "not checked: no trusted release and pledge");
    return;
  }
  const std::string& pledge = ctx.pledge->pledge.pledge_sha256;
  if (ctx.release->release.pledge_sha256 != pledge) {
    ctx.Add(kCheckBinding, false,
            "release for another pledge: the release is made under pledge sha256 " +
                ctx.release->release.pledge_sha256 + ", the bundle's pledge is " + pledge);
    return;
  }
  auto verdicts = EvaluatorVerdicts(ctx);
  for (const auto* v : verdicts) {
    if (v->subject_sha256 != ctx.image_sha256) {
      ctx.Add(kCheckBinding, false,
              "verdict for another image: " + StatementLabel(*v) + " is for image sha256 " +
                  v->subject_sha256 + ", this image is " + std::string(ctx.image_sha256));
      return;
    }
    if (v->verdict.pledge_sha256 != pledge) {
      ctx.Add(kCheckBinding, false,
              "verdict for another pledge: " + StatementLabel(*v) +
                  " judged the image against pledge sha256 " + v->verdict.pledge_sha256 +
                  ", the bundle's pledge is " + pledge);
      return;
    }
  }
  ctx.Add(kCheckBinding, true,
          "the release and " + Plural(verdicts.size(), "verdict", "verdicts") +
              " are for this image and pledge sha256 " + Short(pledge) + "...");
}

// Verdicts on this image judged against the bundle's pledge (any pledge when there is none).
bool OnThisImageAndPledge(const Context& ctx, const OpenedStatement& s) {
  return s.problem.empty() && s.kind == Kind::kVerdict && s.subject_sha256 == ctx.image_sha256 &&
         (!ctx.pledge || s.verdict.pledge_sha256 == ctx.pledge->pledge.pledge_sha256);
}

void CheckEvaluators(Context& ctx) {
  std::set<size_t> evaluators;  // distinct keys: one key signing two verdicts counts once
  std::vector<std::string> revoked;
  for (const auto& s : ctx.statements) {
    if (!OnThisImageAndPledge(ctx, s)) continue;
    Tally t = Count(ctx, s, false);
    for (size_t k : s.signers) {
      if (ctx.keys[k].evaluator && !ctx.keys[k].revoked) evaluators.insert(k);
    }
    revoked.insert(revoked.end(), t.revoked_keyids.begin(), t.revoked_keyids.end());
  }
  size_t threshold = ctx.policy.evaluator_keys.threshold;
  bool passed = evaluators.size() >= threshold;
  if (!passed) {
    for (const auto& s : ctx.statements) {
      if (OnThisImageAndPledge(ctx, s)) NoteRevokedBlocking(ctx, s, Count(ctx, s, false));
    }
  }
  ctx.Add(kCheckEvaluators, passed,
          std::to_string(evaluators.size()) + " of the " + std::to_string(threshold) +
              " evaluator keys required signed a verdict on this image" + RevokedNote(revoked));
}

// Verdicts on this image and pledge that a non-revoked evaluator key signed.
std::vector<const OpenedStatement*> MatchingVerdicts(const Context& ctx) {
  std::vector<const OpenedStatement*> out;
  for (const auto* v : EvaluatorVerdicts(ctx)) {
    if (OnThisImageAndPledge(ctx, *v)) out.push_back(v);
  }
  return out;
}

void CheckVerdict(Context& ctx) {
  auto verdicts = MatchingVerdicts(ctx);
  if (verdicts.empty()) {
    ctx.Add(kCheckVerdict, false, "no verdict on this image by an evaluator key");
    return;
  }
  size_t pass = 0;
  const OpenedStatement* failed = nullptr;
  for (const auto* v : verdicts) {
    if (v->verdict.pass)
      ++pass;
    else if (!failed)
      failed = v;
  }
  std::string counts =
      std::to_string(pass) + " pass, " + std::to_string(verdicts.size() - pass) + " fail";
  if (!ctx.policy.require_pass) {
    ctx.Add(kCheckVerdict, true, "the policy accepts any signed verdict (" + counts + ")");
    return;
  }
  if (failed) {
    const auto& ids = failed->verdict.blocking_findings;
    std::string list;
    for (size_t i = 0; i < ids.size() && i < 10; ++i) list += (i ? ", " : "") + ids[i];
    if (ids.size() > 10) list += ", and " + std::to_string(ids.size() - 10) + " more";
    ctx.Add(kCheckVerdict, false,
            "verdict fail by " + Quoted(failed->verdict.evaluator) + " (" +
                StatementLabel(*failed) + "), blocking findings: " + list);
    return;
  }
  ctx.Add(kCheckVerdict, true, counts);
}

void CheckRevoked(Context& ctx) {
  if (!ctx.revoked_blocking.empty()) {
    std::string list;
    for (const auto& r : ctx.revoked_blocking) list += (list.empty() ? "" : ", ") + r;
    ctx.Add(kCheckRevoked, false,
            "signed by revoked key " + list + ": not counted, and a threshold fails without it");
    return;
  }
  ctx.Add(kCheckRevoked, true,
          ctx.policy.revoked_keyids.empty()
              ? "the policy revokes no key"
              : "no threshold relies on one of the " +
                    Plural(ctx.policy.revoked_keyids.size(), "revoked key", "revoked keys"));
}

void CheckSecurityVersion(Context& ctx) {
  if (!ctx.release) {
    ctx.Add(kCheckSecurityVersion, false, "not checked: no trusted release of this image");
    return;
  }
  uint64_t sv = ctx.release->release.security_version;
  uint64_t installed = ctx.state ? ctx.state->highest_security_version : 0;
  if (sv < installed) {
    ctx.Add(kCheckSecurityVersion, false,
            "rollback: security version " + std::to_string(sv) + " is below " +
                std::to_string(installed) + " already installed");
    return;
  }
  if (sv < ctx.policy.min_security_version) {
    ctx.Add(kCheckSecurityVersion, false,
            "rollback: security version " + std::to_string(sv) + " is below the policy's minimum " +
                std::to_string(ctx.policy.min_security_version));
    return;
  }
  ctx.Add(kCheckSecurityVersion, true,
          "security version " + std::to_string(sv) + ", minimum " +
              std::to_string(ctx.policy.min_security_version) + ", installed " +
              std::to_string(installed));
}

void CollectKeys(Context& ctx) {
  auto add = [&](const release::TrustedKey& key, bool vendor) {
    for (auto& k : ctx.keys) {
      if (k.key->keyid() == key.keyid()) {  // one key in both lists is one key
        (vendor ? k.vendor : k.evaluator) = true;
        return;
      }
    }
    PolicyKey k;
    k.key = &key;
    (vendor ? k.vendor : k.evaluator) = true;
    k.revoked = std::find(ctx.policy.revoked_keyids.begin(), ctx.policy.revoked_keyids.end(),
                          key.keyid()) != ctx.policy.revoked_keyids.end();
    ctx.keys.push_back(k);
  };
  for (const auto& k : ctx.policy.vendor_keys.keys) add(k, true);
  for (const auto& k : ctx.policy.evaluator_keys.keys) add(k, false);
}

}  // namespace

void CheckStatements(Context& ctx) {
  CollectKeys(ctx);
  ctx.statements.reserve(ctx.bundle.statements.size());
  for (size_t i = 0; i < ctx.bundle.statements.size(); ++i) ctx.statements.push_back(Open(ctx, i));
  CheckStatementsOpen(ctx);
  CheckPledge(ctx);
  CheckRelease(ctx);
  CheckVendor(ctx);
  CheckBinding(ctx);
  CheckEvaluators(ctx);
  CheckVerdict(ctx);
  CheckRevoked(ctx);  // after the thresholds, whose failures it explains
  CheckSecurityVersion(ctx);
}

}  // namespace clearbox::gate::internal
