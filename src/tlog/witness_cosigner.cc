// The log side of c2sp.org/tlog-witness: asking witnesses to cosign a new checkpoint.
#include <future>

#include "clearbox/tlog/witness.h"

namespace clearbox::tlog {

namespace {

std::optional<uint64_t> ParseSizeBody(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty() || body.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : body) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<WitnessCosigner>> WitnessCosigner::Create(
    const std::vector<WitnessEndpoint>& witnesses, WitnessTransport& transport,
    uint64_t hint_size) {
  std::unique_ptr<WitnessCosigner> cosigner(new WitnessCosigner(transport));
  for (const WitnessEndpoint& endpoint : witnesses) {
    auto verifier = CosignatureV1Verifier::FromVerifierKey(endpoint.key);
    if (!verifier.ok()) return verifier.error().WithContext("witness " + endpoint.url);
    cosigner->peers_.push_back(Peer{endpoint, std::move(*verifier), hint_size});
  }
  return cosigner;
}

std::vector<WitnessOutcome> WitnessCosigner::Cosign(const std::string& signed_checkpoint,
                                                    const Checkpoint& checkpoint,
                                                    HashReader& proofs) {
  std::vector<WitnessOutcome> outcomes(peers_.size());
  auto text = FormatCheckpoint(checkpoint);

  // Two rounds at most: the first with our belief of each witness's size; after a 409 the
  // witness has told us its size, and one retry with a proof from there settles it.
  std::vector<size_t> todo(peers_.size());
  for (size_t i = 0; i < peers_.size(); ++i) {
    todo[i] = i;
    outcomes[i].witness = peers_[i].verifier->name();
  }
  for (int round = 0; round < 2 && !todo.empty(); ++round) {
    // Proofs are computed here, on the caller's thread: `proofs` need not be thread-safe.
    std::vector<std::string> bodies(todo.size());
    std::vector<bool> ready(todo.size(), false);
    for (size_t t = 0; t < todo.size(); ++t) {
      Peer& peer = peers_[todo[t]];
      AddCheckpointRequest request;
      request.old_size = std::min(peer.known_size, checkpoint.size);
      request.checkpoint = signed_checkpoint;
      if (request.old_size != 0 && request.old_size != checkpoint.size) {
        auto proof = ProveConsistency(request.old_size, checkpoint.size, proofs);
        if (!proof.ok()) {
          outcomes[todo[t]].error = proof.error().WithContext("consistency proof");
          continue;
        }
        request.proof = std::move(*proof);
      }
      bodies[t] = FormatAddCheckpointRequest(request);
      ready[t] = true;
    }
    std::vector<std::future<Result<WitnessAnswer>>> answers(todo.size());
    for (size_t t = 0; t < todo.size(); ++t) {
      if (!ready[t]) continue;
      answers[t] =
          std::async(std::launch::async, [this, &body = bodies[t], &peer = peers_[todo[t]]] {
            return transport_.AddCheckpoint(peer.endpoint.url, body);
          });
    }
    std::vector<size_t> retry;
    for (size_t t = 0; t < todo.size(); ++t) {
      if (!ready[t]) continue;
      const size_t i = todo[t];
      Peer& peer = peers_[i];
      WitnessOutcome& outcome = outcomes[i];
      Result<WitnessAnswer> answer = answers[t].get();
      const std::string who = "witness " + peer.verifier->name() + " (" + peer.endpoint.url + ")";
      if (!answer.ok()) {
        outcome.error = answer.error().WithContext(who);
        continue;
      }
      if (answer->status == 409) {
        auto size = ParseSizeBody(answer->body);
        if (!size) {
          outcome.error =
              Error::InvalidInput(who + ": 409 without a size: " + Excerpt(answer->body));
        } else if (*size > checkpoint.size) {
          outcome.error =
              Error::Conflict(who + " has cosigned size " + std::to_string(*size) +
                              ", beyond this log's size " + std::to_string(checkpoint.size) +
                              ": it saw a larger tree of this log (state lost "
                              "or rolled back?)");
        } else if (*size == peer.known_size || round == 1) {
          outcome.error = Error::Conflict(who + " refuses size " + std::to_string(checkpoint.size) +
                                          " from size " + std::to_string(*size) +
                                          ": it holds a different tree of that size (a fork!)");
        } else {
          peer.known_size = *size;
          retry.push_back(i);
        }
        continue;
      }
      if (answer->status != 200) {
        outcome.error = Error::Unavailable(who + " answered " + std::to_string(answer->status) +
                                           ": " + Excerpt(answer->body));
        continue;
      }
      // The answer is signature lines; appended to the checkpoint they make a signed note.
      auto note = crypto::ParseNote(signed_checkpoint + answer->body);
      if (!note.ok()) {
        outcome.error = note.error().WithContext(who + ": cosignature lines");
        continue;
      }
      for (const crypto::NoteSignature& signature : note->signatures) {
        if (signature.name != peer.verifier->name() ||
            signature.key_id != peer.verifier->key_id()) {
          continue;
        }
        if (text.ok() && peer.verifier->Verify(AsBytes(*text), signature.signature)) {
          outcome.cosignature = signature;
          break;
        }
      }
      if (outcome.cosignature) {
        peer.known_size = checkpoint.size;
      } else {
        outcome.error =
            Error::VerificationFailed(who + " returned no valid cosignature by its key");
      }
    }
    todo = std::move(retry);
  }
  return outcomes;
}

}  // namespace clearbox::tlog
