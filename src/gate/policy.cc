// ParsePolicy: the device's trust policy, refused as a whole on any error (a device must not
// run with half a policy).
#include "clearbox/gate/policy.h"

#include <set>
#include <utility>

#include "clearbox/core/strict_json.h"
#include "clearbox/tlog/cosignature.h"
#include "json_fields.h"

namespace clearbox::gate {
namespace {

using internal::FieldReader;
using internal::Json;
using internal::Pointer;

constexpr std::string_view kWhat = "policy";
// Ten years: a larger maximum age is no limit, and this keeps the seconds far from overflow.
constexpr uint64_t kMaxAgeCap = uint64_t{10} * 366 * 24 * 3600;

Error At(std::string_view path, std::string_view problem) {
  return Error(ErrorCode::kInvalidInput,
               std::string(kWhat) + ": " + std::string(path) + ": " + std::string(problem));
}

// The key texts of a {"threshold", "keys"} object; `label` names PEM keys ("vendor key 2").
Result<KeyThreshold> ParseKeyThreshold(const Json& doc, std::string_view field,
                                       std::string_view label) {
  std::string path = Pointer("", field);
  CLEARBOX_ASSIGN_OR_RETURN(
      const Json* object,
      FieldReader(doc, std::string(kWhat), "").Member(field, Json::value_t::object));
  CLEARBOX_RETURN_IF_ERROR(
      internal::RefuseUnknownFields(*object, kWhat, path, {"threshold", "keys"}));
  FieldReader fields(*object, std::string(kWhat), path);
  CLEARBOX_ASSIGN_OR_RETURN(const Json* keys, fields.Member("keys", Json::value_t::array));
  std::string keys_path = Pointer(path, "keys");
  if (keys->empty()) return At(keys_path, "no keys listed");
  if (keys->size() > kMaxPolicyKeys) {
    return Error::LimitExceeded(std::string(kWhat) + ": " + keys_path + ": " +
                                std::to_string(keys->size()) + " keys, more than the limit of " +
                                std::to_string(kMaxPolicyKeys));
  }
  KeyThreshold out;
  for (size_t i = 0; i < keys->size(); ++i) {
    std::string key_path = Pointer(keys_path, i);
    const Json& text = (*keys)[i];
    if (!text.is_string()) return At(key_path, "expected a key text (a string)");
    auto key = release::TrustedKey::FromKeyText(text.get_ref<const std::string&>(),
                                                std::string(label) + " " + std::to_string(i));
    if (!key.ok()) return At(key_path, key.error().message());
    for (size_t j = 0; j < out.keys.size(); ++j) {
      if (out.keys[j].keyid() == key->keyid()) {
        return At(key_path, "the same key as " + Pointer(keys_path, j) + " (keyid " + key->keyid() +
                                "); a key counts once");
      }
    }
    out.keys.push_back(std::move(*key));
  }
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t threshold, fields.Unsigned("threshold"));
  if (threshold < 1 || threshold > out.keys.size()) {
    return At(Pointer(path, "threshold"), std::to_string(threshold) + " is not between 1 and the " +
                                              std::to_string(out.keys.size()) + " keys listed");
  }
  out.threshold = threshold;
  return out;
}

Result<std::vector<std::string>> ParseRevoked(const Json& doc) {
  std::vector<std::string> out;
  if (!doc.contains("revokedKeys")) return out;
  CLEARBOX_ASSIGN_OR_RETURN(
      const Json* list,
      FieldReader(doc, std::string(kWhat), "").Member("revokedKeys", Json::value_t::array));
  if (list->size() > kMaxPolicyKeys) {
    return Error::LimitExceeded(std::string(kWhat) +
                                ": /revokedKeys: " + std::to_string(list->size()) +
                                " keys, more than the limit of " + std::to_string(kMaxPolicyKeys));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = Pointer("/revokedKeys", i);
    const Json& entry = (*list)[i];
    if (!entry.is_string()) return At(path, "expected a keyid or a key text (a string)");
    const auto& text = entry.get_ref<const std::string&>();
    if (release::internal::IsLowerHexSha256(text)) {
      out.push_back(text);
      continue;
    }
    auto key = release::TrustedKey::FromKeyText(text, "revoked key " + std::to_string(i));
    if (!key.ok()) {
      return At(path, "neither a keyid (64 lowercase hex) nor a key: " + key.error().message());
    }
    out.push_back(key->keyid());
  }
  return out;
}

size_t CountNotRevoked(const KeyThreshold& k, const std::vector<std::string>& revoked) {
  size_t n = 0;
  for (const auto& key : k.keys) {
    bool is_revoked = false;
    for (const auto& id : revoked) is_revoked = is_revoked || id == key.keyid();
    n += is_revoked ? 0 : 1;
  }
  return n;
}

Status ParseLog(const Json& doc, Policy& policy) {
  CLEARBOX_ASSIGN_OR_RETURN(
      const Json* log,
      FieldReader(doc, std::string(kWhat), "").Member("log", Json::value_t::object));
  CLEARBOX_RETURN_IF_ERROR(internal::RefuseUnknownFields(*log, kWhat, "/log", {"origin", "key"}));
  FieldReader fields(*log, std::string(kWhat), "/log");
  CLEARBOX_ASSIGN_OR_RETURN(policy.log_origin, fields.String("origin", 1024));
  CLEARBOX_ASSIGN_OR_RETURN(std::string key_text, fields.String("key"));
  // The log signs checkpoints with an Ed25519 note key (type 0x01), as C2SP tlog-checkpoint.
  auto key = crypto::Ed25519NoteVerifier::FromVerifierKey(key_text);
  if (!key.ok()) return At("/log/key", key.error().message());
  policy.log_key = std::move(*key);
  return Status::Ok();
}

Status ParseWitnesses(const Json& doc, Policy& policy) {
  CLEARBOX_ASSIGN_OR_RETURN(
      const Json* w,
      FieldReader(doc, std::string(kWhat), "").Member("witnesses", Json::value_t::object));
  CLEARBOX_RETURN_IF_ERROR(
      internal::RefuseUnknownFields(*w, kWhat, "/witnesses", {"quorum", "keys"}));
  FieldReader fields(*w, std::string(kWhat), "/witnesses");
  CLEARBOX_ASSIGN_OR_RETURN(const Json* keys, fields.Member("keys", Json::value_t::array));
  if (keys->size() > kMaxPolicyKeys) {
    return Error::LimitExceeded(std::string(kWhat) +
                                ": /witnesses/keys: " + std::to_string(keys->size()) +
                                " keys, more than the limit of " + std::to_string(kMaxPolicyKeys));
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    std::string path = Pointer("/witnesses/keys", i);
    const Json& text = (*keys)[i];
    if (!text.is_string()) return At(path, "expected a verifier key (a string)");
    auto key = tlog::NewNoteVerifier(text.get_ref<const std::string&>());
    if (!key.ok()) return At(path, key.error().message());
    for (size_t j = 0; j < policy.witness_keys.size(); ++j) {
      const auto& other = *policy.witness_keys[j];
      if (other.name() == (*key)->name() && other.key_id() == (*key)->key_id()) {
        return At(path, "the same witness as " + Pointer("/witnesses/keys", j) +
                            "; a witness counts once");
      }
    }
    policy.witness_keys.push_back(std::move(*key));
  }
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t quorum, fields.Unsigned("quorum"));
  if (quorum > policy.witness_keys.size()) {
    return At("/witnesses/quorum", std::to_string(quorum) + " is more than the " +
                                       std::to_string(policy.witness_keys.size()) +
                                       " witnesses listed");
  }
  policy.witness_quorum = quorum;
  return Status::Ok();
}

Result<std::string> OptionalString(const FieldReader& fields, std::string_view key) {
  if (!fields.Has(key)) return std::string();
  return fields.String(key, 1024);
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view json) {
  if (json.size() > kMaxPolicyBytes) {
    return Error::LimitExceeded("policy: " + std::to_string(json.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kMaxPolicyBytes));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, ParseStrictJson(json, kWhat, 16));
  CLEARBOX_RETURN_IF_ERROR(internal::ExpectObject(doc, kWhat, ""));
  CLEARBOX_RETURN_IF_ERROR(internal::RefuseUnknownFields(
      doc, kWhat, "",
      {"type", "vendor", "product", "vendorKeys", "evaluatorKeys", "log", "witnesses",
       "minSecurityVersion", "maxCheckpointAgeSeconds", "requiredVerdict", "revokedKeys"}));
  FieldReader fields(doc, std::string(kWhat), "");
  CLEARBOX_ASSIGN_OR_RETURN(std::string type, fields.String("type", 1024));
  if (type != kPolicyType) {
    return fields.Invalid(
        "type", internal::Quoted(type) + " is not " + internal::Quoted(std::string(kPolicyType)));
  }
  Policy policy;
  CLEARBOX_ASSIGN_OR_RETURN(policy.vendor, OptionalString(fields, "vendor"));
  CLEARBOX_ASSIGN_OR_RETURN(policy.product, OptionalString(fields, "product"));
  CLEARBOX_ASSIGN_OR_RETURN(policy.vendor_keys, ParseKeyThreshold(doc, "vendorKeys", "vendor key"));
  CLEARBOX_ASSIGN_OR_RETURN(policy.evaluator_keys,
                            ParseKeyThreshold(doc, "evaluatorKeys", "evaluator key"));
  CLEARBOX_RETURN_IF_ERROR(ParseLog(doc, policy));
  CLEARBOX_RETURN_IF_ERROR(ParseWitnesses(doc, policy));
  CLEARBOX_ASSIGN_OR_RETURN(policy.min_security_version, fields.Unsigned("minSecurityVersion"));
  if (fields.Has("maxCheckpointAgeSeconds")) {
    CLEARBOX_ASSIGN_OR_RETURN(uint64_t age, fields.Unsigned("maxCheckpointAgeSeconds"));
    if (age < 1 || age > kMaxAgeCap) {
      return fields.Invalid("maxCheckpointAgeSeconds",
                            std::to_string(age) + " is not between 1 and " +
                                std::to_string(kMaxAgeCap) + " (ten years)");
    }
    policy.max_checkpoint_age = std::chrono::seconds(age);
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::string verdict, fields.String("requiredVerdict", 64));
  if (verdict != "pass" && verdict != "any") {
    return fields.Invalid("requiredVerdict",
                          internal::Quoted(verdict) + " is not \"pass\" or \"any\"");
  }
  policy.require_pass = verdict == "pass";
  CLEARBOX_ASSIGN_OR_RETURN(policy.revoked_keyids, ParseRevoked(doc));
  // A policy whose thresholds its own revocations make unreachable could never accept: say so
  // now rather than reject every update.
  for (auto [group, field] : {std::pair{&policy.vendor_keys, "vendorKeys"},
                              std::pair{&policy.evaluator_keys, "evaluatorKeys"}}) {
    size_t usable = CountNotRevoked(*group, policy.revoked_keyids);
    if (usable < group->threshold) {
      return At(Pointer(Pointer("", field), "threshold"),
                std::to_string(group->threshold) + " but only " + std::to_string(usable) +
                    " of the keys listed are not revoked");
    }
  }
  return policy;
}

}  // namespace clearbox::gate
