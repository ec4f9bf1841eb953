// The configuration of one transparency log: who may submit, which witnesses cosign, and how
// the sequencer batches. Stored by the log's storage (DIR/config.json for the directory
// backend), written by `clearbox log init`, read by `clearbox log serve`.
//
//   {
//     "origin": "log.example/releases",
//     "log_key": "log.example/releases+a1b2c3d4+AQ...",          // the log's verifier key
//     "submitters": ["vendor.example+0badf00d+AQ..."],            // empty: anyone may add
//     "witnesses": [{"key": "w.example/w1+12345678+BA...", "url": "http://w.example/w1"}],
//     "witness_quorum": 1,                                      // cosignatures required
//     "batch_max_entries": 4096,
//     "batch_max_delay_ms": 20,
//     "republish_interval_s": 300,
//     "max_entry_size": 65535
//   }
//
// A checkpoint is published only with at least witness_quorum valid cosignatures from the
// listed witnesses (a "key" is a c2sp.org/tlog-cosignature Ed25519 vkey, type 0x04; an
// Ed25519 note vkey, type 0x01, of the same key is accepted and stored converted).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::tlog {

struct WitnessEndpoint {
  std::string key;  // cosigner vkey, type 0x04
  std::string url;  // submission prefix; the log POSTs to <url>/add-checkpoint
  bool operator==(const WitnessEndpoint&) const = default;
};

struct LogConfig {
  std::string origin;
  std::string log_key;  // the log's Ed25519 note verifier key; its name is usually the origin
  std::vector<std::string> submitters;
  std::vector<WitnessEndpoint> witnesses;
  uint32_t witness_quorum = 0;
  uint32_t batch_max_entries = 4096;
  std::chrono::milliseconds batch_max_delay{20};
  // With witnesses, a quiet log asks them for fresh cosignatures at most this often (and only
  // then): a checkpoint is otherwise published only when the tree grew.
  std::chrono::seconds republish_interval{300};
  uint32_t max_entry_size = 65535;  // entry bundles carry a 16-bit length
  bool operator==(const LogConfig&) const = default;
};

// Limits on the batching values (so a typo cannot make a log unusable).
inline constexpr uint32_t kMaxBatchEntries = 1 << 16;
inline constexpr std::chrono::milliseconds kMaxBatchDelay{10000};

// Checks every field: origin and key names, each vkey parses (and is of the right type), the
// log key's name is a valid note key name, URLs are http://, quorum <= witness count, batch
// values in range. Errors: kInvalidInput naming the field.
Status ValidateLogConfig(const LogConfig& config);

// JSON (the format above). Parse validates. Errors: kInvalidInput naming the field (unknown
// fields are rejected, so a misspelt setting is not silently ignored).
Result<LogConfig> ParseLogConfig(std::string_view json);
std::string FormatLogConfig(const LogConfig& config);

// Parses "VKEY=URL" (the --witness flag); a type-0x01 vkey is converted to its type-0x04 form.
// Errors: kInvalidInput naming the text.
Result<WitnessEndpoint> ParseWitnessEndpoint(std::string_view text);

// The type-0x04 cosignature vkey for a type-0x01 or type-0x04 Ed25519 vkey.
// Errors: kInvalidInput / kUnsupported from the vkey parser.
Result<std::string> CosignerVerifierKey(std::string_view vkey);

}  // namespace clearbox::tlog
