#include "clearbox/tlog/client.h"

#include <algorithm>

#include "clearbox/tlog/cosignature.h"

namespace clearbox::tlog {

LogClient::LogClient(std::unique_ptr<TileFetcher> fetcher,
                     std::unique_ptr<crypto::NoteVerifier> log_key, std::string origin)
    : fetcher_(std::move(fetcher)), log_key_(std::move(log_key)), origin_(std::move(origin)) {}

Result<std::unique_ptr<LogClient>> LogClient::Open(std::string_view location,
                                                   std::string_view log_vkey,
                                                   std::string_view origin,
                                                   const FetchOptions& options) {
  CLEARBOX_ASSIGN_OR_RETURN(auto fetcher, OpenLogFetcher(location, options));
  std::unique_ptr<crypto::NoteVerifier> key;
  if (!log_vkey.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(key, NewNoteVerifier(log_vkey));
  }
  return std::make_unique<LogClient>(std::move(fetcher), std::move(key), std::string(origin));
}

Result<VerifiedCheckpoint> LogClient::CheckCheckpoint(std::string_view signed_note) const {
  if (log_key_) return OpenCheckpoint(signed_note, *log_key_, {}, origin_);
  // No key: structure only. The caller asked for this and says so to its user.
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Note note, crypto::ParseNote(signed_note));
  CLEARBOX_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(note.text));
  if (!origin_.empty() && cp.origin != origin_) {
    return Error::VerificationFailed("checkpoint origin \"" + cp.origin + "\", want \"" + origin_ +
                                     "\"");
  }
  crypto::OpenedNote opened;
  opened.text = std::move(note.text);
  opened.unverified = std::move(note.signatures);
  return VerifiedCheckpoint{std::move(cp), std::move(opened), std::string(signed_note)};
}

Result<VerifiedCheckpoint> LogClient::FetchCheckpoint() {
  auto data = fetcher_->Fetch("checkpoint", kMaxCheckpointSize);
  if (!data.ok()) return data.error().WithContext("fetching the checkpoint");
  return CheckCheckpoint(AsChars(*data));
}

TileHashReader& LogClient::ReaderFor(const Checkpoint& checkpoint) {
  if (!reader_ || reader_size_ != checkpoint.size || reader_root_ != checkpoint.root) {
    reader_ = std::make_unique<TileHashReader>(checkpoint.size, checkpoint.root, *fetcher_);
    reader_size_ = checkpoint.size;
    reader_root_ = checkpoint.root;
  }
  return *reader_;
}

Result<TlogProof> LogClient::ProveInclusion(uint64_t index, const VerifiedCheckpoint& checkpoint) {
  const Checkpoint& cp = checkpoint.checkpoint;
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> proof,
                            tlog::ProveInclusion(index, cp.size, ReaderFor(cp)));
  TlogProof out;
  out.index = index;
  out.inclusion_proof = std::move(proof);
  out.checkpoint = checkpoint.signed_note;
  return out;
}

Status LogClient::ForEachEntry(uint64_t begin, uint64_t end, const VerifiedCheckpoint& checkpoint,
                               const EntryVisitor& visit) {
  const Checkpoint& cp = checkpoint.checkpoint;
  if (begin > end || end > cp.size) {
    return Error::InvalidInput("entries [" + std::to_string(begin) + ", " + std::to_string(end) +
                               ") are not in a tree of size " + std::to_string(cp.size));
  }
  TileHashReader& reader = ReaderFor(cp);
  for (uint64_t index = begin; index < end;) {
    TileId tile = TileForStoredHash(0, index, cp.size);
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, reader.ReadTile(tile));
    std::string path = EntryBundlePath(tile.index, tile.width);
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<Bytes> entries,
                              FetchEntryBundle(*fetcher_, tile.index, tile.width));
    uint64_t first = tile.index << kTileHeight;
    uint64_t stop = std::min(end, first + tile.width);
    for (; index < stop; ++index) {
      const Bytes& entry = entries[index - first];
      if (LeafHash(entry) != hashes[index - first]) {
        return Error::VerificationFailed(path + ": entry " + std::to_string(index) +
                                         " does not match its hash in " + TilePath(tile));
      }
      CLEARBOX_RETURN_IF_ERROR(visit(index, entry));
    }
  }
  return Status::Ok();
}

Result<Bytes> LogClient::ReadEntry(uint64_t index, const VerifiedCheckpoint& checkpoint) {
  Bytes out;
  CLEARBOX_RETURN_IF_ERROR(
      ForEachEntry(index, index + 1, checkpoint, [&](uint64_t, ByteView e) -> Status {
        out.assign(e.begin(), e.end());
        return Status::Ok();
      }));
  return out;
}

Result<std::vector<Hash>> LogClient::CheckConsistency(const VerifiedCheckpoint& a,
                                                      const VerifiedCheckpoint& b,
                                                      std::vector<Hash>* failed_proof) {
  const Checkpoint& small = a.checkpoint.size <= b.checkpoint.size ? a.checkpoint : b.checkpoint;
  const Checkpoint& large = a.checkpoint.size <= b.checkpoint.size ? b.checkpoint : a.checkpoint;
  if (small.origin != large.origin) {
    return Error::InvalidInput("checkpoints of two logs (\"" + small.origin + "\" and \"" +
                               large.origin + "\")");
  }
  if (small.size == 0) {
    if (small.root != EmptyRootHash()) {
      return Error::VerificationFailed("checkpoint of size 0 does not have the empty root");
    }
    return std::vector<Hash>{};  // the empty tree is a prefix of every tree
  }
  std::vector<Hash> proof;
  if (small.size < large.size) {
    CLEARBOX_ASSIGN_OR_RETURN(proof, ProveConsistency(small.size, large.size, ReaderFor(large)));
  }
  Status s = VerifyConsistency(small.size, large.size, small.root, large.root, proof);
  if (!s.ok()) {
    if (failed_proof) *failed_proof = proof;
    return Error::VerificationFailed("checkpoints " + std::to_string(small.size) + " (" +
                                     HashToBase64(small.root) + ") and " +
                                     std::to_string(large.size) + " (" + HashToBase64(large.root) +
                                     ") are inconsistent: " + s.error().message());
  }
  return proof;
}

}  // namespace clearbox::tlog
