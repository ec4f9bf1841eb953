// The Walker the engine hands to a format handler for one container.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "unpack/internal/engine.h"
#include "unpack/internal/format.h"

namespace clearbox::unpack::internal {

class ContainerWalker : public Walker {
 public:
  // `ctx` describes the container itself: its provenance and depth. `info` is announced to
  // the sink by Announce(), after the enclosing containers (`ctx.container`).
  ContainerWalker(Engine& engine, BlobContext ctx, FilesystemInfo info)
      : engine_(engine), ctx_(std::move(ctx)), info_(std::move(info)), parent_(ctx_.container) {
    ctx_.container = this;
  }

  // Announces the container (and the containers around it) to the sink, once.
  void Announce();

  const std::string& provenance() const override { return ctx_.provenance; }
  const Limits& limits() const override { return engine_.limits(); }
  int threads() const override;
  bool WantsContent() const override { return engine_.sink().WantsContent(); }
  Status AddNode(Node node, ContentReader* content) override;
  Status AddPayload(Payload payload) override;
  void AddNote(Note::Kind kind, uint64_t offset, std::string message) override;
  uint64_t OutputBudget(uint64_t compressed_bytes) const override;
  Status Charge(uint64_t bytes) override { return engine_.ChargeTotal(bytes); }
  Status CheckContinue() override { return engine_.CheckContinue(); }
  std::unique_ptr<SpillBuffer> NewSpillBuffer() override;
  void DoneWith(ByteView bytes) override;

 private:
  Engine& engine_;
  // Mutable only so that threads() can mark the container parallel before the handler
  // starts its threads (nested containers then extract on one thread).
  mutable BlobContext ctx_;
  FilesystemInfo info_;
  ContainerWalker* parent_;
  std::atomic<bool> announced_{false};
};

}  // namespace clearbox::unpack::internal
