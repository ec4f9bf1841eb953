// ParseBundle / SerializeBundle: the structure of a release bundle. Nothing is verified here;
// Decide does that.
#include "clearbox/gate/bundle.h"

#include "clearbox/core/strict_json.h"
#include "clearbox/crypto/note.h"
#include "clearbox/release/dsse.h"
#include "json_fields.h"

namespace clearbox::gate {
namespace {

using internal::FieldReader;
using internal::Json;
using internal::Pointer;

constexpr std::string_view kWhat = "bundle";
// The bundle is flat (envelopes and the checkpoint are strings): 8 levels is plenty.
constexpr int kMaxBundleDepth = 8;

Error Limit(std::string_view path, size_t count, std::string_view what, size_t limit) {
  return Error::LimitExceeded(std::string(kWhat) + ": " + std::string(path) + ": " +
                              std::to_string(count) + " " + std::string(what) +
                              ", more than the limit of " + std::to_string(limit));
}

Result<std::vector<tlog::Hash>> ParseHashes(const FieldReader& fields, std::string_view key) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* list, fields.Member(key, Json::value_t::array));
  std::string path = Pointer(fields.path(), key);
  if (list->size() > kMaxProofHashes) return Limit(path, list->size(), "hashes", kMaxProofHashes);
  std::vector<tlog::Hash> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& h = (*list)[i];
    std::optional<tlog::Hash> hash;
    if (h.is_string()) hash = tlog::HashFromBase64(h.get_ref<const std::string&>());
    if (!hash) {
      return Error::InvalidInput(std::string(kWhat) + ": " + Pointer(path, i) +
                                 ": not a base64 SHA-256 hash (32 bytes)");
    }
    out.push_back(*hash);
  }
  return out;
}

Result<BundleStatement> ParseStatementEntry(const Json& entry, const std::string& path) {
  CLEARBOX_RETURN_IF_ERROR(internal::ExpectObject(entry, kWhat, path));
  CLEARBOX_RETURN_IF_ERROR(internal::RefuseUnknownFields(
      entry, kWhat, path, {"envelope", "logIndex", "inclusionProof"}));
  FieldReader fields(entry, std::string(kWhat), path);
  BundleStatement out;
  CLEARBOX_ASSIGN_OR_RETURN(out.envelope, fields.String("envelope", release::kMaxEnvelopeBytes));
  CLEARBOX_ASSIGN_OR_RETURN(out.log_index, fields.Unsigned("logIndex"));
  CLEARBOX_ASSIGN_OR_RETURN(out.inclusion_proof, ParseHashes(fields, "inclusionProof"));
  return out;
}

Result<ConsistencyProof> ParseConsistencyEntry(const Json& entry, const std::string& path) {
  CLEARBOX_RETURN_IF_ERROR(internal::ExpectObject(entry, kWhat, path));
  CLEARBOX_RETURN_IF_ERROR(
      internal::RefuseUnknownFields(entry, kWhat, path, {"fromSize", "hashes"}));
  FieldReader fields(entry, std::string(kWhat), path);
  ConsistencyProof out;
  CLEARBOX_ASSIGN_OR_RETURN(out.from_size, fields.Unsigned("fromSize"));
  if (out.from_size == 0)
    return fields.Invalid("fromSize", "0: a proof from the empty tree proves nothing");
  CLEARBOX_ASSIGN_OR_RETURN(out.hashes, ParseHashes(fields, "hashes"));
  return out;
}

Json HashesJson(const std::vector<tlog::Hash>& hashes) {
  Json out = Json::array();
  for (const auto& h : hashes) out.push_back(tlog::HashToBase64(h));
  return out;
}

}  // namespace

Result<Bundle> ParseBundle(std::string_view json) {
  if (json.size() > kMaxBundleBytes) {
    return Error::LimitExceeded("bundle: " + std::to_string(json.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kMaxBundleBytes) + " (32 MiB)");
  }
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, ParseStrictJson(json, kWhat, kMaxBundleDepth));
  CLEARBOX_RETURN_IF_ERROR(internal::ExpectObject(doc, kWhat, ""));
  CLEARBOX_RETURN_IF_ERROR(internal::RefuseUnknownFields(
      doc, kWhat, "", {"mediaType", "checkpoint", "statements", "consistencyProofs"}));
  FieldReader fields(doc, std::string(kWhat), "");
  CLEARBOX_ASSIGN_OR_RETURN(std::string media_type, fields.String("mediaType", 256));
  if (media_type != kBundleMediaType) {
    return fields.Invalid("mediaType", internal::Quoted(media_type) + " is not " +
                                           internal::Quoted(std::string(kBundleMediaType)));
  }
  Bundle bundle;
  CLEARBOX_ASSIGN_OR_RETURN(bundle.checkpoint, fields.String("checkpoint", crypto::kMaxNoteSize));
  CLEARBOX_ASSIGN_OR_RETURN(const Json* statements,
                            fields.Member("statements", Json::value_t::array));
  if (statements->empty()) return fields.Invalid("statements", "no statements");
  if (statements->size() > kMaxBundleStatements) {
    return Limit("/statements", statements->size(), "statements", kMaxBundleStatements);
  }
  for (size_t i = 0; i < statements->size(); ++i) {
    CLEARBOX_ASSIGN_OR_RETURN(BundleStatement s,
                              ParseStatementEntry((*statements)[i], Pointer("/statements", i)));
    bundle.statements.push_back(std::move(s));
  }
  if (fields.Has("consistencyProofs")) {
    CLEARBOX_ASSIGN_OR_RETURN(const Json* proofs,
                              fields.Member("consistencyProofs", Json::value_t::array));
    if (proofs->size() > kMaxConsistencyProofs) {
      return Limit("/consistencyProofs", proofs->size(), "proofs", kMaxConsistencyProofs);
    }
    for (size_t i = 0; i < proofs->size(); ++i) {
      CLEARBOX_ASSIGN_OR_RETURN(
          ConsistencyProof p,
          ParseConsistencyEntry((*proofs)[i], Pointer("/consistencyProofs", i)));
      bundle.consistency_proofs.push_back(std::move(p));
    }
  }
  return bundle;
}

std::string SerializeBundle(const Bundle& bundle) {
  Json statements = Json::array();
  for (const auto& s : bundle.statements) {
    statements.push_back({{"envelope", s.envelope},
                          {"logIndex", s.log_index},
                          {"inclusionProof", HashesJson(s.inclusion_proof)}});
  }
  Json doc = {{"mediaType", kBundleMediaType},
              {"checkpoint", bundle.checkpoint},
              {"statements", std::move(statements)}};
  if (!bundle.consistency_proofs.empty()) {
    Json proofs = Json::array();
    for (const auto& p : bundle.consistency_proofs) {
      proofs.push_back({{"fromSize", p.from_size}, {"hashes", HashesJson(p.hashes)}});
    }
    doc["consistencyProofs"] = std::move(proofs);
  }
  // nlohmann's object is a std::map: keys come out sorted.
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::gate
