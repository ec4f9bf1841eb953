// A real world for the gate's tests and benchmark: fresh Ed25519 vendor, evaluator, log and
// witness keys, signed pledge/release/verdict statements, a Merkle tree holding them, a
// checkpoint signed by the log and cosigned by the witnesses, and the policy that trusts it
// all. Each attack test changes one thing and expects one refusal.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/crypto/note.h"
#include "clearbox/gate/bundle.h"
#include "clearbox/gate/gate.h"
#include "clearbox/gate/policy.h"
#include "clearbox/release/statement.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::gate::testing {

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().ToString());
  return std::move(r).value();
}

// A log: a Merkle tree in memory and its signing key; checkpoints are cosigned on request.
// A copy shares the key and forks the tree.
class TestLog {
 public:
  explicit TestLog(std::string origin, std::optional<crypto::Ed25519PrivateKey> key = {})
      : origin_(std::move(origin)),
        key_(Must(crypto::Ed25519NoteSigner::Create(
            origin_, key ? *key : Must(crypto::Ed25519PrivateKey::Generate())))) {}

  const std::string& origin() const { return origin_; }
  std::string VerifierKey() const { return key_->VerifierKeyText(); }
  uint64_t size() const { return tree_.size(); }

  uint64_t Append(std::string_view entry) {
    tree_.Append(tlog::LeafHash(AsBytes(entry)));
    return tree_.size() - 1;
  }
  // Other people's entries, so that proofs have the length they have in a busy log.
  void AppendFiller(uint64_t n) {
    uint8_t b[8];
    for (uint64_t i = 0; i < n; ++i) {
      StoreBE64(b, tree_.size());
      tree_.Append(tlog::LeafHash(ByteView(b, 8)));
    }
  }
  std::vector<tlog::Hash> ProveInclusion(uint64_t index) {
    return Must(tlog::ProveInclusion(index, tree_.size(), tree_));
  }
  ConsistencyProof ProveConsistency(uint64_t from) {
    return ConsistencyProof{from, Must(tlog::ProveConsistency(from, tree_.size(), tree_))};
  }
  // The checkpoint of the tree as it is, signed by the log and then cosigned by `witnesses` at
  // `timestamp`.
  std::string Checkpoint(const std::vector<const tlog::CosignatureV1Signer*>& witnesses,
                         uint64_t timestamp) const {
    tlog::Checkpoint cp{origin_, tree_.size(), tree_.Root(), {}};
    std::string text = Must(tlog::FormatCheckpoint(cp));
    const crypto::NoteSigner* log[] = {key_.get()};
    std::string note = Must(crypto::SignNote(text, log));
    for (const auto* w : witnesses) {
      crypto::NoteSignature sig{w->name(), w->key_id(), Must(w->SignAt(AsBytes(text), timestamp))};
      note += sig.Line();
    }
    return note;
  }

 private:
  std::string origin_;
  std::shared_ptr<const crypto::Ed25519NoteSigner> key_;
  tlog::MemoryHashStore tree_;
};

struct WorldOptions {
  size_t vendor_keys = 2;
  size_t vendor_threshold = 1;
  size_t evaluator_keys = 2;
  size_t evaluator_threshold = 1;
  size_t witnesses = 2;
  size_t quorum = 1;
  uint64_t filler = 5;  // log entries before the statements
  uint64_t min_security_version = 1;
  std::optional<uint64_t> max_age_seconds = 86400;
  // "" = fresh random keys; else every key derives from it, so that the whole world (Ed25519
  // signs deterministically) is the same on every run: fuzz seeds stay valid.
  std::string key_seed;
};

class World {
 public:
  explicit World(WorldOptions o = {})
      : options(o),
        log("log.example/firmware",
            o.key_seed.empty() ? std::nullopt : std::optional(DerivedKey(o.key_seed, 0))) {
    for (size_t i = 0; i < o.vendor_keys; ++i) vendor.push_back(NextKey());
    for (size_t i = 0; i < o.evaluator_keys; ++i) evaluator.push_back(NextKey());
    for (size_t i = 0; i < o.witnesses; ++i) {
      witnesses.push_back(Must(tlog::CosignatureV1Signer::Create(
          "witness-" + std::to_string(i) + ".example", NextKey())));
    }
    pledge_sha256 = Sha256Hex(AsBytes("the pledge document"));
    image_sha256 = Sha256Hex(AsBytes("firmware image 2.4.1"));
    pledge_predicate.vendor = "Example Networks";
    pledge_predicate.product = "EX-1000";
    pledge_predicate.pledge_sha256 = pledge_sha256;
    release_predicate.vendor = "Example Networks";
    release_predicate.product = "EX-1000";
    release_predicate.version = "2.4.1";
    release_predicate.security_version = 5;
    release_predicate.pledge_sha256 = pledge_sha256;
    verdict_predicate.sarif_sha256 = Sha256Hex(AsBytes("sarif"));
    verdict_predicate.pledge_sha256 = pledge_sha256;
    verdict_predicate.clearbox_version = "0.1.0";
    verdict_predicate.rule_set_sha256 = Sha256Hex(AsBytes("rules"));
    verdict_predicate.pass = true;
    verdict_predicate.evaluator = "Example Lab";
    log.AppendFiller(o.filler);
  }

  static crypto::Ed25519PrivateKey NewKey() { return Must(crypto::Ed25519PrivateKey::Generate()); }
  static crypto::Ed25519PrivateKey DerivedKey(const std::string& seed, int n) {
    return Must(
        crypto::Ed25519PrivateKey::FromSeed(Sha256(AsBytes(seed + "/" + std::to_string(n)))));
  }
  crypto::Ed25519PrivateKey NextKey() {
    return options.key_seed.empty() ? NewKey() : DerivedKey(options.key_seed, ++derived_);
  }
  static std::string KeyText(const crypto::Ed25519PrivateKey& k, std::string name) {
    return crypto::FormatVerifierKey(name, crypto::kNoteTypeEd25519, k.public_key());
  }
  static std::string KeyId(const crypto::Ed25519PrivateKey& k) {
    return release::Ed25519KeyId(k.public_key());
  }

  // A statement signed by each of `keys`.
  static std::string Sign(const release::Statement& s,
                          const std::vector<const crypto::Ed25519PrivateKey*>& keys) {
    std::string payload = release::SerializeStatement(s);
    auto env =
        Must(release::SignEnvelope(release::kInTotoPayloadType, AsBytes(payload), *keys.at(0)));
    for (size_t i = 1; i < keys.size(); ++i) {
      Status st = release::AddSignature(env, *keys[i]);
      if (!st.ok()) throw std::runtime_error(st.ToString());
    }
    return release::SerializeEnvelope(env);
  }
  std::string Pledge(std::vector<const crypto::Ed25519PrivateKey*> keys = {}) const {
    if (keys.empty()) keys = {&vendor[0]};
    return Sign(release::MakePledgeStatement("pledge.json", pledge_predicate), keys);
  }
  std::string Release(std::vector<const crypto::Ed25519PrivateKey*> keys = {}) const {
    if (keys.empty()) keys = {&vendor[0]};
    return Sign(release::MakeReleaseStatement("fw.bin", image_sha256, release_predicate), keys);
  }
  std::string Verdict(std::vector<const crypto::Ed25519PrivateKey*> keys = {}) const {
    if (keys.empty()) keys = {&evaluator[0]};
    return Sign(release::MakeVerdictStatement("fw.bin", image_sha256, verdict_predicate), keys);
  }

  // The witnesses 0..n-1 (all by default).
  std::vector<const tlog::CosignatureV1Signer*> Witnesses(std::optional<size_t> n = {}) const {
    std::vector<const tlog::CosignatureV1Signer*> out;
    for (size_t i = 0; i < n.value_or(witnesses.size()); ++i) out.push_back(witnesses[i].get());
    return out;
  }
  uint64_t NowSeconds() const {
    return uint64_t(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  }

  // Logs `envelopes` in `log` and returns the bundle: a checkpoint of the tree after them,
  // cosigned by the first `cosigners` witnesses (all) at `cosigned_at` (a minute ago), and
  // each envelope's inclusion proof.
  Bundle MakeBundleIn(TestLog& in, const std::vector<std::string>& envelopes,
                      std::optional<size_t> cosigners = {},
                      std::optional<uint64_t> cosigned_at = {}) const {
    Bundle b;
    for (const auto& e : envelopes) b.statements.push_back({e, in.Append(e), {}});
    for (auto& s : b.statements) s.inclusion_proof = in.ProveInclusion(s.log_index);
    b.checkpoint = in.Checkpoint(Witnesses(cosigners), cosigned_at.value_or(NowSeconds() - 60));
    return b;
  }
  Bundle MakeBundle(const std::vector<std::string>& envelopes, std::optional<size_t> cosigners = {},
                    std::optional<uint64_t> cosigned_at = {}) {
    return MakeBundleIn(log, envelopes, cosigners, cosigned_at);
  }
  Bundle GoodBundle() { return MakeBundle({Pledge(), Release(), Verdict()}); }

  nlohmann::json PolicyDocument() const {
    nlohmann::json vkeys = nlohmann::json::array(), ekeys = nlohmann::json::array(),
                   wkeys = nlohmann::json::array();
    for (size_t i = 0; i < vendor.size(); ++i)
      vkeys.push_back(KeyText(vendor[i], "vendor-" + std::to_string(i)));
    for (size_t i = 0; i < evaluator.size(); ++i)
      ekeys.push_back(KeyText(evaluator[i], "lab-" + std::to_string(i)));
    for (const auto& w : witnesses) wkeys.push_back(w->VerifierKeyText());
    nlohmann::json doc = {
        {"type", kPolicyType},
        {"vendor", "Example Networks"},
        {"product", "EX-1000"},
        {"vendorKeys", {{"threshold", options.vendor_threshold}, {"keys", vkeys}}},
        {"evaluatorKeys", {{"threshold", options.evaluator_threshold}, {"keys", ekeys}}},
        {"log", {{"origin", log.origin()}, {"key", log.VerifierKey()}}},
        {"witnesses", {{"quorum", options.quorum}, {"keys", wkeys}}},
        {"minSecurityVersion", options.min_security_version},
        {"requiredVerdict", "pass"},
        {"revokedKeys", nlohmann::json::array()}};
    if (options.max_age_seconds) doc["maxCheckpointAgeSeconds"] = *options.max_age_seconds;
    return doc;
  }
  Policy MakePolicy(const nlohmann::json& doc) const { return Must(ParsePolicy(doc.dump())); }
  Policy MakePolicy() const { return MakePolicy(PolicyDocument()); }

  Decision Run(const Policy& p, const Bundle& b, const DeviceState* state = nullptr,
               std::optional<std::string> image = {}) const {
    return Decide(p, SerializeBundle(b), image.value_or(image_sha256), state, now);
  }

  WorldOptions options;
  int derived_ = 0;
  std::vector<crypto::Ed25519PrivateKey> vendor, evaluator;
  std::vector<std::unique_ptr<tlog::CosignatureV1Signer>> witnesses;
  TestLog log;
  std::string pledge_sha256, image_sha256;
  release::PledgePredicate pledge_predicate;
  release::ReleasePredicate release_predicate;
  release::VerdictPredicate verdict_predicate;
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::seconds(1796601600));  // 2026-12-07
};

// The check called `name`, or nullptr.
inline const GateCheck* FindCheck(const Decision& d, std::string_view name) {
  for (const auto& c : d.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace clearbox::gate::testing
