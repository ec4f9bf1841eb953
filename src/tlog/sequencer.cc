#include "clearbox/tlog/sequencer.h"

#include <cstring>
#include <unordered_map>

#include "clearbox/core/thread_name.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/proof.h"
#include "tile_hash_cache.h"

namespace clearbox::tlog {

namespace {

using Clock = std::chrono::steady_clock;

struct HashHasher {
  size_t operator()(const Hash& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

// Only the path matters for deleting superseded partials; don't keep 8 KiB per tile around.
TileData PathOnly(const TileData& t) { return TileData{t.tile, t.path, {}}; }

}  // namespace

Sequencer::Sequencer(LogStorage& storage, LogConfig config,
                     std::unique_ptr<crypto::NoteSigner> signer, SequencerOptions options)
    : storage_(storage),
      config_(std::move(config)),
      signer_(std::move(signer)),
      options_(std::move(options)),
      hashes_(std::make_unique<internal::TileHashCache>(storage)) {}

Sequencer::~Sequencer() { Stop(); }

void Sequencer::Log(const std::string& message) const {
  if (options_.log) options_.log(message);
}

Result<std::unique_ptr<Sequencer>> Sequencer::Start(LogStorage& storage, const LogConfig& config,
                                                    std::unique_ptr<crypto::NoteSigner> signer,
                                                    WitnessTransport* transport,
                                                    SequencerOptions options) {
  CLEARBOX_RETURN_IF_ERROR(ValidateLogConfig(config));
  CLEARBOX_ASSIGN_OR_RETURN(crypto::VerifierKey log_key, crypto::ParseVerifierKey(config.log_key));
  if (!signer || signer->name() != log_key.name || signer->key_id() != log_key.key_id) {
    return Error::InvalidInput("the signing key is not the log's key " + config.log_key);
  }
  if (!config.witnesses.empty() && transport == nullptr) {
    return Error::InvalidInput("the log lists witnesses but no way to reach them was given");
  }
  std::unique_ptr<Sequencer> s(
      new Sequencer(storage, config, std::move(signer), std::move(options)));
  CLEARBOX_RETURN_IF_ERROR(s->Recover());
  s->target_size_ = s->tiler_.size();
  s->target_root_ = s->tiler_.Root();
  if (!config.witnesses.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(
        s->cosigner_, WitnessCosigner::Create(config.witnesses, *transport, s->published_size_));
  }
  if (s->published_note_.empty() || s->target_size_ > s->published_size_) {
    // A log without any checkpoint (init did not finish), or with recovered entries: publish
    // the current tree before taking new work. If that fails, the publisher keeps retrying.
    if (Status p = s->Publish(false); !p.ok()) {
      s->Log("warning: could not publish checkpoint " + std::to_string(s->target_size_) +
             " yet: " + p.error().message());
    }
  }
  s->last_publish_ = Clock::now();
  s->integrator_ = std::thread([raw = s.get()] {
    NameThisThread("cb-integrate");
    raw->IntegratorLoop();
  });
  s->publisher_ = std::thread([raw = s.get()] {
    NameThisThread("cb-publish");
    raw->PublisherLoop();
  });
  return s;
}

Status Sequencer::Recover() {
  CLEARBOX_ASSIGN_OR_RETURN(auto log_verifier,
                            crypto::Ed25519NoteVerifier::FromVerifierKey(config_.log_key));
  uint64_t published = 0;
  std::optional<Hash> root;
  auto text = storage_.ReadCheckpoint();
  if (text.ok()) {
    auto verified = OpenCheckpoint(*text, *log_verifier, {}, config_.origin);
    if (!verified.ok()) {
      return verified.error().WithContext(storage_.Describe() + ": published checkpoint");
    }
    published = verified->checkpoint.size;
    root = verified->checkpoint.root;
    published_note_ = *text;
  } else if (text.error().code() != ErrorCode::kNotFound) {
    return text.error();
  }
  auto tiler = TreeTiler::Resume(published, storage_, root);
  if (!tiler.ok()) {
    return tiler.error().WithContext(storage_.Describe() +
                                     ": tiles of the published checkpoint (size " +
                                     std::to_string(published) + ")");
  }
  tiler_ = std::move(*tiler);
  auto bundler = EntryBundler::Resume(published, storage_);
  if (!bundler.ok()) {
    return bundler.error().WithContext(storage_.Describe() + ": entry bundle at size " +
                                       std::to_string(published));
  }
  bundler_ = std::move(*bundler);
  published_size_ = published;

  // Roll forward over entries that are durable but were never published. Entry bundles are
  // written (and fsynced) before any checkpoint or witness request names them, so whatever
  // contiguous run of them follows the checkpoint is exactly what a crash left unpublished.
  std::vector<Bytes> published_edge;  // entries of the published partial bundle
  if (uint16_t w = static_cast<uint16_t>(published % kTileWidth)) {
    CLEARBOX_ASSIGN_OR_RETURN(Bytes data, storage_.Fetch(EntryBundlePath(published / kTileWidth, w),
                                                         kMaxEntryBundleSize));
    CLEARBOX_ASSIGN_OR_RETURN(published_edge, ParseEntryBundle(data, w));
  }
  uint64_t size = published;
  for (;;) {
    const uint64_t bundle = size / kTileWidth;
    const uint16_t offset = static_cast<uint16_t>(size % kTileWidth);
    std::optional<std::vector<Bytes>> entries;
    auto try_width = [&](uint16_t width) -> Result<bool> {
      auto data = storage_.Fetch(EntryBundlePath(bundle, width), kMaxEntryBundleSize);
      if (!data.ok()) {
        if (data.error().code() == ErrorCode::kNotFound) return false;
        return data.error();
      }
      auto parsed = ParseEntryBundle(*data, width);
      if (!parsed.ok()) {
        Log("recovery: ignoring unreadable " + EntryBundlePath(bundle, width) + ": " +
            parsed.error().message());
        return true;  // present but torn: nothing at or beyond it is usable
      }
      entries = std::move(*parsed);
      return true;
    };
    CLEARBOX_ASSIGN_OR_RETURN(bool found, try_width(static_cast<uint16_t>(kTileWidth)));
    for (int w = kTileWidth - 1; !found && w > offset; --w) {
      CLEARBOX_ASSIGN_OR_RETURN(found, try_width(static_cast<uint16_t>(w)));
    }
    if (!entries) break;
    // A stale bundle from an older, abandoned right edge must not be spliced in.
    if (offset > 0) {  // only the first bundle starts mid-way: at the published size
      bool same = true;
      for (uint16_t i = 0; i < offset && same; ++i) same = (*entries)[i] == published_edge[i];
      if (!same) {
        Log("recovery: " + EntryBundlePath(bundle, static_cast<uint16_t>(entries->size())) +
            " does not extend the published entries; ignoring it");
        break;
      }
    }
    for (size_t i = offset; i < entries->size(); ++i) {
      CLEARBOX_RETURN_IF_ERROR(tiler_.Append(LeafHash((*entries)[i])));
      CLEARBOX_RETURN_IF_ERROR(bundler_.Append((*entries)[i]));
    }
    size += entries->size() - offset;
    if (entries->size() < kTileWidth) break;
  }
  if (size > published) {
    Log("recovery: " + std::to_string(size - published) +
        " durable entries beyond the published checkpoint (size " + std::to_string(published) +
        "); re-deriving their tiles and publishing them");
    std::vector<TileData> tiles = tiler_.TakeChangedTiles();
    std::vector<TileData> bundles = bundler_.TakeChangedBundles();
    tiles.insert(tiles.end(), std::make_move_iterator(bundles.begin()),
                 std::make_move_iterator(bundles.end()));
    CLEARBOX_RETURN_IF_ERROR(storage_.WriteTiles(tiles));
    stats_.recovered_entries = size - published;
  }

  // The dedup index may lag (it is written without fsync) or, on a damaged disk, lead.
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t indexed, storage_.IndexedSize());
  if (indexed > size) {
    CLEARBOX_RETURN_IF_ERROR(storage_.TruncateIndex(size));
    indexed = size;
  }
  while (indexed < size) {
    // Level-0 tiles hold the leaf hashes: re-index from them.
    TileId tile = TileForStoredHash(0, indexed, size);
    CLEARBOX_ASSIGN_OR_RETURN(Bytes data, storage_.Fetch(TilePath(tile), kFullTileSize));
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> leaves, ParseTileData(data, tile));
    std::vector<IndexedEntry> batch;
    for (uint64_t j = indexed % kTileWidth; j < leaves.size(); ++j) {
      batch.push_back({leaves[j], tile.index * kTileWidth + j});
    }
    CLEARBOX_RETURN_IF_ERROR(storage_.IndexEntries(batch));
    indexed += batch.size();
  }
  if (!published_note_.empty()) checkpoint_ = std::make_shared<const std::string>(published_note_);
  stats_.tree_size = published_size_;
  return Status::Ok();
}

void Sequencer::Add(Bytes entry, AddCallback done) {
  const Hash leaf_hash = LeafHash(entry);
  AddHashed(std::move(entry), leaf_hash, std::move(done));
}

void Sequencer::AddHashed(Bytes entry, const Hash& leaf_hash, AddCallback done) {
  if (entry.size() > config_.max_entry_size) {
    done(Error::LimitExceeded("entry of " + std::to_string(entry.size()) +
                              " bytes is larger than this log's limit of " +
                              std::to_string(config_.max_entry_size) + " bytes"));
    return;
  }
  std::unique_lock lock(mu_);
  if (stop_integrator_ || stopped_) {
    lock.unlock();
    done(Error::Unavailable("the log is shutting down; retry later"));
    return;
  }
  if (queue_.size() >= options_.max_queued_entries) {
    lock.unlock();
    done(Error::Unavailable("the log is busy (" + std::to_string(options_.max_queued_entries) +
                            " entries queued); retry later"));
    return;
  }
  const auto now = Clock::now();
  if (queue_.empty()) first_queued_ = now;
  queue_.push_back(Pending{std::move(entry), leaf_hash, std::move(done), now});
  const bool wake = queue_.size() == 1 || queue_.size() == config_.batch_max_entries;
  lock.unlock();
  if (wake) integrator_cv_.notify_one();
}

void Sequencer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_integrator_) return;
    stop_integrator_ = true;
  }
  integrator_cv_.notify_all();
  if (integrator_.joinable()) integrator_.join();  // it hands over its last batch
  {
    std::lock_guard lock(mu_);
    stop_publisher_ = true;
  }
  publisher_cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
}

std::shared_ptr<const std::string> Sequencer::checkpoint() const {
  std::lock_guard lock(mu_);
  return checkpoint_;
}

SequencerStats Sequencer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// ---- integrator ----

void Sequencer::IntegratorLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_integrator_) {
      lock.unlock();
      FinishWrites();  // the last batches are handed over too
      lock.lock();
      break;
    }
    if (!in_flight_.empty() && in_flight_.front()->done) {  // hand it over first
      lock.unlock();
      FinishWrite();
      lock.lock();
      continue;
    }
    const auto now = Clock::now();
    // Back-pressure: do not run ahead of the publisher without bound (witnesses down).
    const bool publisher_far_behind =
        tiler_.size() - published_size_ > options_.max_unpublished_entries;
    const bool batch_due = !queue_.empty() && !publisher_far_behind &&
                           (queue_.size() >= config_.batch_max_entries ||
                            now - first_queued_ >= config_.batch_max_delay);
    if (batch_due) {
      const size_t n = std::min<size_t>(queue_.size(), config_.batch_max_entries);
      std::vector<Pending> batch;
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!queue_.empty()) first_queued_ = queue_.front().queued_at;
      lock.unlock();
      Integrate(std::move(batch));
      lock.lock();
      continue;
    }
    // A finished write wakes us as well (see Integrate), so waiting here never delays one.
    if (queue_.empty() || publisher_far_behind) {
      integrator_cv_.wait(lock);
    } else {
      integrator_cv_.wait_until(lock, first_queued_ + config_.batch_max_delay);
    }
  }
  std::deque<Pending> queued = std::move(queue_);
  queue_.clear();
  stopped_ = true;
  lock.unlock();
  const Error error = Error::Unavailable(
      "the log is shutting down; retry later (resubmitting an entry that became durable "
      "returns its index)");
  for (Pending& p : queued) p.done(error);
}

void Sequencer::Integrate(std::vector<Pending> batch) {
  if (broken_) {
    for (Pending& p : batch) p.done(*broken_);
    return;
  }
  const auto t0 = Clock::now();
  std::vector<Hash> leaf_hashes;
  leaf_hashes.reserve(batch.size());
  for (const Pending& p : batch) leaf_hashes.push_back(p.leaf_hash);
  auto known = storage_.LookupEntries(leaf_hashes);
  if (!known.ok()) {
    Error error = known.error().WithContext("deduplication index");
    for (Pending& p : batch) p.done(error);
    return;
  }
  const auto t1 = Clock::now();

  Staged staged;
  staged.waiters.reserve(batch.size());
  std::unordered_map<Hash, uint64_t, HashHasher> in_batch;
  in_batch.reserve(batch.size());
  std::vector<IndexedEntry> fresh;
  fresh.reserve(batch.size());
  uint64_t duplicates = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& p = batch[i];
    if (auto it = in_batch.find(p.leaf_hash); it != in_batch.end()) {
      staged.waiters.push_back({it->second, true, std::move(p.done)});
      ++duplicates;
      continue;
    }
    if ((*known)[i]) {
      staged.waiters.push_back({*(*known)[i], true, std::move(p.done)});
      ++duplicates;
      continue;
    }
    const uint64_t index = tiler_.size();
    // The size limit was checked at Add, so the bundler cannot refuse what the tiler took.
    if (Status s = tiler_.Append(p.leaf_hash); !s.ok()) {
      p.done(s.error());
      continue;
    }
    if (Status s = bundler_.Append(p.entry); !s.ok()) {
      broken_ = s.error().WithContext("entry bundle out of step with the tree");
      p.done(*broken_);
      continue;
    }
    in_batch.emplace(p.leaf_hash, index);
    fresh.push_back({p.leaf_hash, index});
    staged.waiters.push_back({index, false, std::move(p.done)});
  }
  const auto t2 = Clock::now();

  std::vector<TileData> tiles;
  size_t hash_tiles = 0;
  if (!fresh.empty() && !broken_) {
    tiles = tiler_.TakeChangedTiles();
    std::vector<TileData> bundles = bundler_.TakeChangedBundles();
    hash_tiles = tiles.size();
    tiles.insert(tiles.end(), std::make_move_iterator(bundles.begin()),
                 std::make_move_iterator(bundles.end()));
    // Indexed before the write, so that the next batch's lookups (which overlap the write) see
    // these entries. If the write fails the sequencer stops, and a restart truncates the index
    // to the durable tree.
    if (Status indexed = storage_.IndexEntries(fresh); !indexed.ok()) {
      broken_ = indexed.error().WithContext("storage failed; restart the log server to recover");
      Log("error: " + broken_->message());
    }
  }
  // Batches are handed over in order, the earlier ones first. This one's write may start while
  // the previous one's is still syncing; one with nothing to write waits for them all.
  if (fresh.empty() || broken_) {
    FinishWrites();
  } else {
    while (in_flight_.size() >= kWritesInFlight) FinishWrite();
  }
  if (broken_) {
    // Nothing of this batch may be handed over: its tiles are not all durable.
    for (Waiter& w : staged.waiters) w.done(*broken_);
    return;
  }
  staged.size = tiler_.size();
  staged.root = tiler_.Root();
  {
    std::lock_guard lock(mu_);
    stats_.duplicates += duplicates;
    stats_.lookup_time += t1 - t0;
    stats_.integrate_time += t2 - t1;
  }
  if (fresh.empty()) {  // only duplicates: nothing to write
    {
      std::lock_guard lock(mu_);
      staged_.push_back(std::move(staged));
    }
    publisher_cv_.notify_one();
    return;
  }
  in_flight_.push_back(std::make_unique<InFlight>());
  InFlight* f = in_flight_.back().get();
  f->tiles = std::move(tiles);
  f->hash_tiles = hash_tiles;
  f->entries = fresh.size();
  f->staged = std::move(staged);
  f->started = Clock::now();
  f->written = std::async(std::launch::async, [this, f] {
    NameThisThread("cb-tilewrite");
    Status s = storage_.WriteTiles(f->tiles);
    f->finished = Clock::now();
    {
      std::lock_guard lock(mu_);
      f->done = true;
    }
    integrator_cv_.notify_one();
    return s;
  });
}

void Sequencer::FinishWrites() {
  while (!in_flight_.empty()) FinishWrite();
}

void Sequencer::FinishWrite() {
  if (in_flight_.empty()) return;
  std::unique_ptr<InFlight> f = std::move(in_flight_.front());
  in_flight_.pop_front();
  Status written = f->written.get();
  if (!written.ok() && !broken_) {
    // The tree in memory is now ahead of what is durable: stop here. A restart recovers
    // from what the storage holds.
    broken_ = written.error().WithContext("storage failed; restart the log server to recover");
    Log("error: " + broken_->message());
  }
  if (broken_) {  // this batch's write, or an earlier one's, failed: nothing more is handed over
    for (Waiter& w : f->staged.waiters) w.done(*broken_);
    return;
  }
  for (const TileData& t : f->tiles) {
    if (t.tile.full()) f->staged.full_tiles.push_back(PathOnly(t));
  }
  f->tiles.resize(f->hash_tiles);
  f->staged.hash_tiles = std::move(f->tiles);
  {
    std::lock_guard lock(mu_);
    staged_.push_back(std::move(f->staged));
    stats_.entries += f->entries;
    ++stats_.batches;
    stats_.write_time += f->finished - f->started;
  }
  publisher_cv_.notify_one();
}

// ---- publisher ----

void Sequencer::PublisherLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    const auto now = Clock::now();
    const bool stopping = stop_publisher_;
    std::deque<Staged> staged = std::move(staged_);
    staged_.clear();
    const bool unpublished = target_size_ > published_size_ || !staged.empty();
    const bool republish_due =
        cosigner_ && !unpublished && now - last_publish_ >= config_.republish_interval;
    if (!staged.empty() || (unpublished && now >= retry_at_) || republish_due || stopping) {
      lock.unlock();
      TakeStaged(std::move(staged));
      if (target_size_ > published_size_ && (now >= retry_at_ || stopping)) {
        (void)Publish(false);
      } else if (republish_due) {
        if (Status s = Publish(true); !s.ok()) last_publish_ = Clock::now();  // bounded retry
      }
      AnswerWaiters();
      lock.lock();
      if (stopping) break;
      continue;
    }
    auto wake = Clock::time_point::max();
    if (unpublished) wake = retry_at_;
    if (cosigner_ && !unpublished) wake = last_publish_ + config_.republish_interval;
    if (wake == Clock::time_point::max()) {
      publisher_cv_.wait(lock);
    } else {
      publisher_cv_.wait_until(lock, wake);
    }
  }
  lock.unlock();
  const Error error = Error::Unavailable(
      "the log is shutting down before this entry was published; retry later (resubmitting "
      "returns its index once it is)");
  std::deque<Waiter> waiters = std::move(waiters_);
  waiters_.clear();
  for (Waiter& w : waiters) w.done(error);
}

void Sequencer::TakeStaged(std::deque<Staged> staged) {
  for (Staged& s : staged) {
    hashes_->Offer(s.hash_tiles);
    unpublished_full_.insert(unpublished_full_.end(), std::make_move_iterator(s.full_tiles.begin()),
                             std::make_move_iterator(s.full_tiles.end()));
    for (Waiter& w : s.waiters) waiters_.push_back(std::move(w));
    target_size_ = s.size;  // handed over in order: the last is the newest
    target_root_ = s.root;
  }
}

Status Sequencer::Publish(bool republish) {
  const auto start = Clock::now();
  Checkpoint checkpoint{config_.origin, target_size_, target_root_, {}};
  const crypto::NoteSigner* signers[] = {signer_.get()};
  auto signed_note = SignCheckpoint(checkpoint, signers);
  if (!signed_note.ok()) return signed_note.error();
  std::string note = *signed_note;

  if (cosigner_) {
    hashes_->SetTreeSize(checkpoint.size);  // the witnesses' consistency proofs
    std::vector<WitnessOutcome> outcomes = cosigner_->Cosign(*signed_note, checkpoint, *hashes_);
    auto parsed = crypto::ParseNote(*signed_note);
    if (!parsed.ok()) return parsed.error();
    std::vector<std::string> failures;
    for (WitnessOutcome& o : outcomes) {
      if (o.cosignature) {
        parsed->signatures.push_back(std::move(*o.cosignature));
      } else if (o.error) {
        failures.push_back(o.error->message());
      }
    }
    const size_t cosigned = parsed->signatures.size() - 1;
    for (const std::string& f : failures) Log("witness: " + f);
    if (cosigned < config_.witness_quorum) {
      retry_at_ = Clock::now() + options_.publish_retry;
      return Error::Unavailable(
          "only " + std::to_string(cosigned) + " of the " + std::to_string(config_.witness_quorum) +
          " witness cosignatures required for size " + std::to_string(checkpoint.size));
    }
    note = crypto::FormatNote(*parsed);
  } else if (republish) {
    return Status::Ok();  // nothing fresh to add without witnesses
  }

  if (Status s = storage_.PublishCheckpoint(note); !s.ok()) {
    retry_at_ = Clock::now() + options_.publish_retry;
    Log("error: publishing checkpoint " + std::to_string(checkpoint.size) + ": " +
        s.error().message());
    return s;
  }
  const auto now = Clock::now();
  published_note_ = note;
  last_publish_ = now;
  {
    std::lock_guard lock(mu_);
    published_size_ = checkpoint.size;
    checkpoint_ = std::make_shared<const std::string>(note);
    stats_.tree_size = checkpoint.size;
    ++stats_.checkpoints;
    stats_.publish_time += now - start;
  }
  integrator_cv_.notify_one();  // it may be waiting for us to catch up
  // Partial tiles superseded by now-published full tiles go after a grace period, so that a
  // client holding a slightly older checkpoint still finds them.
  if (!unpublished_full_.empty()) {
    superseded_.emplace_back(now, std::move(unpublished_full_));
    unpublished_full_.clear();
  }
  while (!superseded_.empty() && now - superseded_.front().first >= options_.partial_grace) {
    if (Status s = storage_.DeleteSupersededPartials(superseded_.front().second); !s.ok()) {
      Log("warning: " + s.error().message());
    }
    superseded_.pop_front();
  }
  return Status::Ok();
}

void Sequencer::AnswerWaiters() {
  if (waiters_.empty()) return;
  const auto start = Clock::now();
  uint64_t published;
  std::shared_ptr<const std::string> checkpoint;
  {
    std::lock_guard lock(mu_);
    published = published_size_;
    checkpoint = checkpoint_;
  }
  // The proofs are built later, on the answering threads, from a snapshot of the cache. Load
  // the tiles of the lowest and highest new entry first: between them, the batches offered
  // theirs, so the snapshot holds every tile their proofs need (old entries' tiles, if missing,
  // are read from storage by Proof()).
  hashes_->SetTreeSize(published);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const Waiter& w : waiters_) {
    if (w.index < published && !w.duplicate) {
      lo = std::min(lo, w.index);
      hi = std::max(hi, w.index);
    }
  }
  if (lo <= hi) {
    (void)ProveInclusion(lo, published, *hashes_);
    (void)ProveInclusion(hi, published, *hashes_);
  }
  std::shared_ptr<internal::HashSnapshot> snapshot;
  std::deque<Waiter> keep;
  for (Waiter& w : waiters_) {
    if (w.index >= published) {
      keep.push_back(std::move(w));
      continue;
    }
    if (!snapshot) snapshot = hashes_->Snapshot();
    AddResult result;
    result.index = w.index;
    result.duplicate = w.duplicate;
    result.checkpoint = checkpoint;
    result.hashes = snapshot;
    w.done(std::move(result));
  }
  waiters_ = std::move(keep);
  std::lock_guard lock(mu_);
  stats_.answer_time += Clock::now() - start;
}

Result<std::string> AddResult::Proof() const {
  if (!checkpoint || !hashes) {
    return Error::Internal("this result carries no published checkpoint to prove against");
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> path,
                            ProveInclusion(index, hashes->tree_size(), *hashes));
  return FormatTlogProof(index, path, *checkpoint);
}

}  // namespace clearbox::tlog
