// The log half of the decision: is the checkpoint the policy's log's, cosigned by enough
// witnesses, fresh, consistent with what the device saw before, and does it contain every
// statement of the bundle?
#include <algorithm>
#include <cstdio>

#include "clearbox/tlog/cosignature.h"
#include "decide_internal.h"
#include "json_fields.h"

namespace clearbox::gate::internal {
namespace {

std::string Hex8(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

std::string KeyLabel(std::string_view name, uint32_t key_id) {
  return std::string(name) + "+" + Hex8(key_id);
}

// Who signed a checkpoint that did not verify, and what it claims to be, so that "a proof
// from another log" says which log.
std::string DescribeUnverified(std::string_view signed_note) {
  auto note = crypto::ParseNote(signed_note);
  if (!note.ok()) return "";
  std::string out;
  if (auto cp = tlog::ParseCheckpoint(note->text); cp.ok()) {
    out += "it is a checkpoint of log " + Quoted(cp->origin) + " (tree size " +
           std::to_string(cp->size) + ")";
  } else {
    out += "its text is not a checkpoint";
  }
  out += ", signed by ";
  for (size_t i = 0; i < note->signatures.size() && i < 8; ++i) {
    if (i) out += ", ";
    out += KeyLabel(note->signatures[i].name, note->signatures[i].key_id);
  }
  if (note->signatures.size() > 8) out += ", ...";
  return out;
}

void CheckCheckpoint(Context& ctx) {
  const Policy& p = ctx.policy;
  std::string trusted =
      "log " + Quoted(p.log_origin) + " key " + KeyLabel(p.log_key->name(), p.log_key->key_id());
  auto opened = tlog::OpenCheckpoint(ctx.bundle.checkpoint, *p.log_key, {}, p.log_origin);
  if (!opened.ok()) {
    std::string found = DescribeUnverified(ctx.bundle.checkpoint);
    ctx.Add(kCheckCheckpoint, false,
            opened.error().message() + (found.empty() ? "" : "; " + found) +
                "; the policy trusts " + trusted);
    return;
  }
  ctx.Add(kCheckCheckpoint, true,
          "tree size " + std::to_string(opened->checkpoint.size) + " signed by " + trusted);
  ctx.checkpoint = std::move(*opened);
}

void CheckWitnesses(Context& ctx) {
  const Policy& p = ctx.policy;
  auto note = crypto::ParseNote(ctx.bundle.checkpoint);
  if (!note.ok()) {
    ctx.Add(kCheckWitnesses, p.witness_quorum == 0,
            "the checkpoint is not a signed note: " + note.error().message());
    return;
  }
  std::vector<std::string> missing, invalid;
  for (const auto& witness : p.witness_keys) {
    bool valid = false, seen = false;
    for (const auto& sig : note->signatures) {
      if (sig.name != witness->name() || sig.key_id != witness->key_id()) continue;
      seen = true;
      if (++ctx.signature_checks > kMaxSignatureChecks) break;
      if (!witness->Verify(AsBytes(note->text), sig.signature)) continue;
      valid = true;
      // Only cosignatures (type 0x04) carry a timestamp; an Ed25519 note key vouches for the
      // tree but not for when.
      if (dynamic_cast<const tlog::CosignatureV1Verifier*>(witness.get()) != nullptr) {
        if (auto c = tlog::DecodeCosignatureV1(sig.signature); c.ok()) {
          ctx.newest_cosignature = std::max(ctx.newest_cosignature.value_or(0), c->timestamp);
        }
      }
      break;
    }
    std::string label = KeyLabel(witness->name(), witness->key_id());
    if (valid) {
      ++ctx.witnesses_valid;
    } else if (seen) {
      invalid.push_back(label);
    } else {
      missing.push_back(label);
    }
  }
  ctx.witness_quorum_met = ctx.witnesses_valid >= p.witness_quorum;
  std::string reason = std::to_string(ctx.witnesses_valid) + " of " +
                       std::to_string(p.witness_keys.size()) + " witnesses cosigned, quorum " +
                       std::to_string(p.witness_quorum);
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!invalid.empty()) reason += "; invalid cosignature by " + list(invalid);
  if (!missing.empty()) reason += "; no cosignature by " + list(missing);
  ctx.Add(kCheckWitnesses, ctx.witness_quorum_met, reason);
}

void CheckAge(Context& ctx) {
  if (!ctx.policy.max_checkpoint_age) {
    ctx.Add(kCheckAge, true, "no maximum age in the policy");
    return;
  }
  int64_t max = ctx.policy.max_checkpoint_age->count();
  if (!ctx.newest_cosignature) {
    ctx.Add(kCheckAge, false,
            "no valid witness cosignature with a timestamp: the checkpoint's age is unknown "
            "(the policy allows " +
                std::to_string(max) + " s)");
    return;
  }
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(ctx.now.time_since_epoch()).count();
  // Timestamps are <= 2^63 - 1 (DecodeCosignatureV1); the subtraction stays in range.
  int64_t newest = static_cast<int64_t>(*ctx.newest_cosignature);
  if (newest > now) {
    ctx.Add(kCheckAge, true,
            "newest witness cosignature is " + std::to_string(newest - now) +
                " s ahead of the device clock (counted as fresh)");
    return;
  }
  int64_t age = now - newest;
  if (age > max) {
    ctx.Add(kCheckAge, false,
            "freeze: the newest witness cosignature is " + std::to_string(age) + " s old (" +
                std::to_string(age / 3600) + " h), more than the " + std::to_string(max) +
                " s the policy allows");
    return;
  }
  ctx.Add(kCheckAge, true,
          "newest witness cosignature is " + std::to_string(age) + " s old, at most " +
              std::to_string(max) + " s allowed");
}

void CheckState(Context& ctx) {
  if (!ctx.state || ctx.state->checkpoint.empty()) {
    ctx.Add(kCheckState, true, "no stored checkpoint (first update)");
    return;
  }
  auto stored =
      tlog::OpenCheckpoint(ctx.state->checkpoint, *ctx.policy.log_key, {}, ctx.policy.log_origin);
  if (!stored.ok()) {
    ctx.stored_unusable = true;
    ctx.Add(kCheckState, false,
            "the stored checkpoint does not verify under the policy's log key: " +
                stored.error().message());
    return;
  }
  if (!ctx.checkpoint) {
    ctx.Add(kCheckState, false, "not checked: the bundle's checkpoint did not verify");
    return;
  }
  ctx.stored_size = stored->checkpoint.size;
  const tlog::Checkpoint& old_cp = stored->checkpoint;
  const tlog::Checkpoint& new_cp = ctx.checkpoint->checkpoint;
  std::string sizes = "stored tree size " + std::to_string(old_cp.size) + ", bundle's " +
                      std::to_string(new_cp.size);
  if (new_cp.size < old_cp.size) {
    ctx.Add(kCheckState, false,
            "rollback of the log view: the bundle's checkpoint (tree size " +
                std::to_string(new_cp.size) + ") is older than the stored one (tree size " +
                std::to_string(old_cp.size) + ")");
    return;
  }
  if (new_cp.size == old_cp.size) {
    if (new_cp.root != old_cp.root) {
      ctx.Add(kCheckState, false,
              "split view: the log forked: tree size " + std::to_string(new_cp.size) +
                  " has root " + tlog::HashToBase64(new_cp.root) + " here and " +
                  tlog::HashToBase64(old_cp.root) + " in the stored checkpoint");
      return;
    }
    ctx.Add(kCheckState, true,
            "the same tree as the stored checkpoint (size " + std::to_string(new_cp.size) + ")");
    return;
  }
  const ConsistencyProof* proof = nullptr;
  for (const auto& p : ctx.bundle.consistency_proofs) {
    if (p.from_size == old_cp.size) {
      proof = &p;
      break;
    }
  }
  if (proof) {
    Status s =
        tlog::VerifyConsistency(old_cp.size, new_cp.size, old_cp.root, new_cp.root, proof->hashes);
    if (!s.ok()) {
      ctx.Add(kCheckState, false,
              "split view: the log is not append-only from the stored checkpoint: " +
                  s.error().message());
      return;
    }
    ctx.Add(kCheckState, true, sizes + ": consistency proof verified");
    return;
  }
  // Witnesses cosign only a tree consistent with every earlier one they saw: a quorum of them
  // vouches for append-only growth where the bundle carries no proof from this device's size.
  if (ctx.policy.witness_quorum >= 1 && ctx.witness_quorum_met) {
    ctx.Add(kCheckState, true,
            sizes + ": no consistency proof from size " + std::to_string(old_cp.size) + "; " +
                std::to_string(ctx.witnesses_valid) +
                " witnesses vouch that the log only grew (quorum " +
                std::to_string(ctx.policy.witness_quorum) + ")");
    return;
  }
  ctx.Add(kCheckState, false,
          sizes + ": no consistency proof from size " + std::to_string(old_cp.size) +
              " and no witness quorum to vouch that the log only grew");
}

void CheckInclusion(Context& ctx) {
  if (!ctx.checkpoint) {
    ctx.Add(kCheckInclusion, false, "not checked: the bundle's checkpoint did not verify");
    return;
  }
  const tlog::Checkpoint& cp = ctx.checkpoint->checkpoint;
  for (size_t i = 0; i < ctx.bundle.statements.size(); ++i) {
    const BundleStatement& s = ctx.bundle.statements[i];
    Status ok = tlog::VerifyInclusion(s.log_index, cp.size, tlog::LeafHash(AsBytes(s.envelope)),
                                      s.inclusion_proof, cp.root);
    if (!ok.ok()) {
      ctx.Add(kCheckInclusion, false,
              "statement " + std::to_string(i) + " (logIndex " + std::to_string(s.log_index) +
                  ") is not proven in the log: " + ok.error().message());
      return;
    }
  }
  ctx.Add(kCheckInclusion, true,
          std::to_string(ctx.bundle.statements.size()) + " statements in the tree of size " +
              std::to_string(cp.size));
}

}  // namespace

std::string StatementLabel(const OpenedStatement& s) {
  return "statement " + std::to_string(s.index) + " (logIndex " + std::to_string(s.log_index) + ")";
}

std::string Short(std::string_view sha256) { return std::string(sha256.substr(0, 16)); }

void CheckLog(Context& ctx) {
  CheckCheckpoint(ctx);
  CheckWitnesses(ctx);
  CheckAge(ctx);
  CheckState(ctx);
  CheckInclusion(ctx);
}

}  // namespace clearbox::gate::internal
