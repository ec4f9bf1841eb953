#include "clearbox/tlog/log_config.h"

#include <nlohmann/json.hpp>
#include <set>

#include "clearbox/crypto/note.h"
#include "clearbox/tlog/cosignature.h"

namespace clearbox::tlog {

namespace {

using Json = nlohmann::json;

bool IsHttpUrl(std::string_view url) {
  return url.substr(0, 7) == "http://" && url.size() > 7 &&
         url.find_first_of(" \t\r\n") == std::string_view::npos;
}

Error FieldError(std::string_view field, std::string_view what) {
  return Error::InvalidInput("log config: " + std::string(field) + ": " + std::string(what));
}

}  // namespace

Result<std::string> CosignerVerifierKey(std::string_view vkey) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::VerifierKey key, crypto::ParseVerifierKey(vkey));
  if (key.type != crypto::kNoteTypeEd25519 && key.type != crypto::kNoteTypeCosignatureV1) {
    return Error::Unsupported("verifier key " + key.name + ": type " + std::to_string(key.type) +
                              " is not an Ed25519 (0x01) or cosignature (0x04) key");
  }
  if (key.public_key.size() != crypto::kEd25519PublicKeySize) {
    return Error::InvalidInput("verifier key " + key.name + ": public key of " +
                               std::to_string(key.public_key.size()) + " bytes, want 32");
  }
  return crypto::FormatVerifierKey(key.name, crypto::kNoteTypeCosignatureV1, key.public_key);
}

Status ValidateLogConfig(const LogConfig& config) {
  if (config.origin.empty()) return FieldError("origin", "empty");
  for (char c : config.origin) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return FieldError("origin", "contains a control character");
    }
  }
  auto log_key = crypto::Ed25519NoteVerifier::FromVerifierKey(config.log_key);
  if (!log_key.ok()) return FieldError("log_key", log_key.error().message());

  std::set<std::string> seen;
  for (size_t i = 0; i < config.submitters.size(); ++i) {
    const std::string field = "submitters[" + std::to_string(i) + "]";
    auto submitter = crypto::Ed25519NoteVerifier::FromVerifierKey(config.submitters[i]);
    if (!submitter.ok()) return FieldError(field, submitter.error().message());
    if (!seen.insert(config.submitters[i]).second) return FieldError(field, "listed twice");
  }
  seen.clear();
  for (size_t i = 0; i < config.witnesses.size(); ++i) {
    const std::string field = "witnesses[" + std::to_string(i) + "]";
    auto witness = CosignatureV1Verifier::FromVerifierKey(config.witnesses[i].key);
    if (!witness.ok()) return FieldError(field + ".key", witness.error().message());
    if (!IsHttpUrl(config.witnesses[i].url)) {
      return FieldError(field + ".url", "'" + config.witnesses[i].url + "' is not an http:// URL");
    }
    if (!seen.insert(config.witnesses[i].key).second) return FieldError(field, "listed twice");
  }
  if (config.witness_quorum > config.witnesses.size()) {
    return FieldError("witness_quorum", std::to_string(config.witness_quorum) + " exceeds the " +
                                            std::to_string(config.witnesses.size()) +
                                            " witnesses listed");
  }
  if (config.batch_max_entries < 1 || config.batch_max_entries > kMaxBatchEntries) {
    return FieldError("batch_max_entries", "must be 1.." + std::to_string(kMaxBatchEntries) +
                                               ", got " + std::to_string(config.batch_max_entries));
  }
  if (config.batch_max_delay.count() < 0 || config.batch_max_delay > kMaxBatchDelay) {
    return FieldError("batch_max_delay_ms", "must be 0.." + std::to_string(kMaxBatchDelay.count()) +
                                                ", got " +
                                                std::to_string(config.batch_max_delay.count()));
  }
  if (config.republish_interval.count() < 1) {
    return FieldError("republish_interval_s", "must be at least 1");
  }
  if (config.max_entry_size < 1 || config.max_entry_size > 65535) {
    return FieldError("max_entry_size", "must be 1..65535 (entry bundles carry a 16-bit length)");
  }
  return Status::Ok();
}

Result<LogConfig> ParseLogConfig(std::string_view text) {
  LogConfig config;
  try {
    Json json = Json::parse(text);
    if (!json.is_object()) return FieldError("(top level)", "not a JSON object");
    for (const auto& [name, value] : json.items()) {
      if (name == "origin") {
        config.origin = value.get<std::string>();
      } else if (name == "log_key") {
        config.log_key = value.get<std::string>();
      } else if (name == "submitters") {
        config.submitters = value.get<std::vector<std::string>>();
      } else if (name == "witnesses") {
        if (!value.is_array()) return FieldError(name, "not an array");
        for (const auto& w : value) {
          if (!w.is_object() || !w.contains("key") || !w.contains("url") || w.size() != 2) {
            return FieldError(name, "each witness must be {\"key\": ..., \"url\": ...}");
          }
          config.witnesses.push_back({w["key"].get<std::string>(), w["url"].get<std::string>()});
        }
      } else if (name == "witness_quorum") {
        config.witness_quorum = value.get<uint32_t>();
      } else if (name == "batch_max_entries") {
        config.batch_max_entries = value.get<uint32_t>();
      } else if (name == "batch_max_delay_ms") {
        config.batch_max_delay = std::chrono::milliseconds(value.get<uint32_t>());
      } else if (name == "republish_interval_s") {
        config.republish_interval = std::chrono::seconds(value.get<uint32_t>());
      } else if (name == "max_entry_size") {
        config.max_entry_size = value.get<uint32_t>();
      } else {
        return FieldError(name, "unknown setting");
      }
    }
  } catch (const Json::exception& e) {
    return Error::InvalidInput(std::string("log config: ") + e.what());
  }
  CLEARBOX_RETURN_IF_ERROR(ValidateLogConfig(config));
  return config;
}

std::string FormatLogConfig(const LogConfig& config) {
  Json witnesses = Json::array();
  for (const auto& w : config.witnesses) witnesses.push_back({{"key", w.key}, {"url", w.url}});
  Json json = {
      {"origin", config.origin},
      {"log_key", config.log_key},
      {"submitters", config.submitters},
      {"witnesses", witnesses},
      {"witness_quorum", config.witness_quorum},
      {"batch_max_entries", config.batch_max_entries},
      {"batch_max_delay_ms", config.batch_max_delay.count()},
      {"republish_interval_s", config.republish_interval.count()},
      {"max_entry_size", config.max_entry_size},
  };
  return json.dump(2) + "\n";
}

Result<WitnessEndpoint> ParseWitnessEndpoint(std::string_view text) {
  // A 32-byte Ed25519 vkey's base64 has no '=' padding, so the first '=' ends the key.
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Error::InvalidInput("witness '" + std::string(text) + "': expected VKEY=URL");
  }
  WitnessEndpoint endpoint;
  auto key = CosignerVerifierKey(text.substr(0, eq));
  if (!key.ok()) return key.error().WithContext("witness '" + std::string(text) + "'");
  endpoint.key = *key;
  endpoint.url = std::string(text.substr(eq + 1));
  while (!endpoint.url.empty() && endpoint.url.back() == '/') endpoint.url.pop_back();
  if (!IsHttpUrl(endpoint.url)) {
    return Error::InvalidInput("witness '" + std::string(text) + "': URL '" + endpoint.url +
                               "' is not http://");
  }
  return endpoint;
}

}  // namespace clearbox::tlog
