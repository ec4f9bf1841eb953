// The witness side of c2sp.org/tlog-witness add-checkpoint, and the request format.
#include "clearbox/tlog/witness.h"

#include <cstdio>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"

namespace clearbox::tlog {

namespace {

// ASCII decimal without leading zeros ("0" alone is fine), fitting in uint64.
std::optional<uint64_t> ParseCanonicalDecimal(std::string_view text) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

WitnessAnswer Answer(int status, std::string message) {
  if (message.empty() || message.back() != '\n') message.push_back('\n');
  return WitnessAnswer{status, "text/plain; charset=utf-8", std::move(message)};
}

}  // namespace

Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body) {
  if (body.size() > kMaxWitnessRequestSize) {
    return Error::LimitExceeded("add-checkpoint request of " + std::to_string(body.size()) +
                                " bytes, more than " + std::to_string(kMaxWitnessRequestSize));
  }
  AddCheckpointRequest request;
  size_t pos = 0;
  int line_number = 0;
  auto next_line = [&]() -> std::optional<std::string_view> {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    return line;
  };
  auto old_line = next_line();
  if (!old_line || old_line->substr(0, 4) != "old ") {
    return Error::InvalidInput("add-checkpoint request line 1: want 'old <size>'");
  }
  auto old_size = ParseCanonicalDecimal(old_line->substr(4));
  if (!old_size) {
    return Error::InvalidInput("add-checkpoint request line 1: old size '" +
                               std::string(old_line->substr(4)) +
                               "' is not a decimal without leading zeros");
  }
  request.old_size = *old_size;
  for (;;) {
    auto line = next_line();
    if (!line) {
      return Error::InvalidInput("add-checkpoint request: no empty line before the checkpoint");
    }
    if (line->empty()) break;
    if (request.proof.size() == kMaxWitnessProofLines) {
      return Error::InvalidInput("add-checkpoint request line " + std::to_string(line_number) +
                                 ": more than 63 consistency proof lines");
    }
    auto hash = HashFromBase64(*line);
    if (!hash) {
      return Error::InvalidInput("add-checkpoint request line " + std::to_string(line_number) +
                                 ": proof line is not base64 of a 32-byte hash");
    }
    request.proof.push_back(*hash);
  }
  request.checkpoint = std::string(body.substr(pos));
  if (request.checkpoint.empty()) {
    return Error::InvalidInput("add-checkpoint request: no checkpoint after the empty line");
  }
  return request;
}

std::string FormatAddCheckpointRequest(const AddCheckpointRequest& request) {
  std::string out = "old " + std::to_string(request.old_size) + "\n";
  for (const Hash& h : request.proof) out += HashToBase64(h) + "\n";
  out += "\n";
  out += request.checkpoint;
  return out;
}

Result<std::vector<WitnessedLog>> ParseWitnessedLogs(std::string_view text) {
  std::vector<WitnessedLog> logs;
  size_t pos = 0;
  for (int line_number = 1; pos < text.size(); ++line_number) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> fields;
    for (size_t i = 0; i < line.size();) {
      size_t j = line.find_first_of(" \t", i);
      if (j == std::string_view::npos) j = line.size();
      if (j > i) fields.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    const std::string where = "witness logs line " + std::to_string(line_number);
    if (fields[0] != "log" || fields.size() < 2 || fields.size() > 3) {
      return Error::InvalidInput(where + ": want 'log <vkey> [<origin>]'");
    }
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(fields[1]);
    if (!verifier.ok()) return verifier.error().WithContext(where);
    std::string origin = fields.size() == 3 ? std::string(fields[2]) : (*verifier)->name();
    auto it = std::find_if(logs.begin(), logs.end(),
                           [&](const WitnessedLog& l) { return l.origin == origin; });
    if (it == logs.end()) {
      logs.push_back({origin, {}});
      it = logs.end() - 1;
    }
    it->keys.emplace_back(fields[1]);
  }
  return logs;
}

Result<std::unique_ptr<Witness>> Witness::Open(std::string state_dir,
                                               std::unique_ptr<CosignatureV1Signer> signer,
                                               const std::vector<WitnessedLog>& logs) {
  CLEARBOX_RETURN_IF_ERROR(MakeDirectories(state_dir, 0700));
  std::unique_ptr<Witness> witness(new Witness(std::move(state_dir), std::move(signer)));
  for (const WitnessedLog& log : logs) {
    auto state = std::make_unique<LogState>();
    for (const std::string& key : log.keys) {
      CLEARBOX_ASSIGN_OR_RETURN(auto verifier, crypto::Ed25519NoteVerifier::FromVerifierKey(key));
      state->verifiers.push_back(std::move(verifier));
    }
    if (!witness->logs_.emplace(log.origin, std::move(state)).second) {
      return Error::InvalidInput("witness logs: origin " + log.origin + " listed twice");
    }
  }
  return witness;
}

std::string Witness::StatePath(std::string_view origin) const {
  // Origins are arbitrary text; a digest makes a safe, fixed-length file name.
  return state_dir_ + "/" + Sha256Hex(AsBytes(origin)).substr(0, 32) + ".checkpoint";
}

Status Witness::LoadState(std::string_view origin, LogState& state) {
  if (state.loaded) return Status::Ok();
  auto text = ReadTextFile(StatePath(origin), crypto::kMaxNoteSize);
  if (!text.ok()) {
    if (text.error().code() != ErrorCode::kNotFound) return text.error();
    state.size = 0;
    state.root = EmptyRootHash();
  } else {
    CLEARBOX_ASSIGN_OR_RETURN(crypto::Note note, crypto::ParseNote(*text));
    CLEARBOX_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(note.text));
    if (checkpoint.origin != origin) {
      return Error::Io(StatePath(origin) + ": holds a checkpoint for " + checkpoint.origin);
    }
    state.size = checkpoint.size;
    state.root = checkpoint.root;
  }
  state.loaded = true;
  return Status::Ok();
}

Result<uint64_t> Witness::CosignedSize(std::string_view origin) {
  auto it = logs_.find(origin);
  if (it == logs_.end()) return Error::NotFound("unknown log origin " + std::string(origin));
  std::lock_guard lock(it->second->mu);
  CLEARBOX_RETURN_IF_ERROR(LoadState(origin, *it->second));
  return it->second->size;
}

WitnessAnswer Witness::AddCheckpoint(std::string_view request_body) {
  auto request = ParseAddCheckpointRequest(request_body);
  if (!request.ok()) return Answer(400, request.error().message());
  auto note = crypto::ParseNote(request->checkpoint);
  if (!note.ok()) return Answer(400, "checkpoint: " + note.error().message());
  auto checkpoint = ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return Answer(400, "checkpoint: " + checkpoint.error().message());

  auto it = logs_.find(checkpoint->origin);
  if (it == logs_.end()) return Answer(404, "unknown log origin " + checkpoint->origin);
  LogState& state = *it->second;
  std::vector<const crypto::NoteVerifier*> verifiers;
  for (const auto& v : state.verifiers) verifiers.push_back(v.get());
  auto opened = crypto::OpenNote(request->checkpoint, verifiers);
  if (!opened.ok()) {
    int status = opened.error().code() == ErrorCode::kVerificationFailed ? 403 : 400;
    return Answer(status, "checkpoint signature: " + opened.error().message());
  }
  if (request->old_size > checkpoint->size) {
    return Answer(400, "old size " + std::to_string(request->old_size) +
                           " is larger than the checkpoint size " +
                           std::to_string(checkpoint->size));
  }

  std::lock_guard lock(state.mu);  // check and update atomically
  if (Status s = LoadState(checkpoint->origin, state); !s.ok()) {
    return Answer(500, "witness state: " + s.error().message());
  }
  if (request->old_size != state.size) {
    return WitnessAnswer{409, std::string(kTlogSizeContentType), std::to_string(state.size) + "\n"};
  }
  if (checkpoint->size == request->old_size) {
    if (!request->proof.empty()) {
      return Answer(422, "consistency proof between equal sizes must be empty");
    }
    if (checkpoint->root != state.root) {
      // Same size, another root: the log forked. 409 per the spec; say so.
      return WitnessAnswer{409, std::string(kTlogSizeContentType),
                           std::to_string(state.size) + "\n"};
    }
  } else if (request->old_size == 0) {
    if (!request->proof.empty()) {
      return Answer(422, "consistency proof from size 0 must be empty");
    }
  } else if (Status s = VerifyConsistency(request->old_size, checkpoint->size, state.root,
                                          checkpoint->root, request->proof);
             !s.ok()) {
    return Answer(422, "consistency proof from " + std::to_string(request->old_size) + " to " +
                           std::to_string(checkpoint->size) + ": " + s.error().message());
  }

  // Persist before cosigning: a cosignature must never outlive a crash that forgets it.
  if (Status s = WriteFileAtomic(StatePath(checkpoint->origin), AsBytes(request->checkpoint), 0600);
      !s.ok()) {
    return Answer(500, "witness state: " + s.error().message());
  }
  state.size = checkpoint->size;
  state.root = checkpoint->root;
  auto cosignature = crypto::SignNoteText(note->text, *signer_);
  if (!cosignature.ok()) return Answer(500, "cosign: " + cosignature.error().message());
  return WitnessAnswer{200, "text/plain; charset=utf-8", cosignature->Line()};
}

}  // namespace clearbox::tlog
