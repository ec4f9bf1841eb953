// Fuzzes the witness's add-checkpoint handler (clearbox/tlog/witness.h), which takes request
// bodies straight from the network: the request parser, the note and checkpoint parsers
// behind it, signature checks and the consistency check. Each input meets a fresh witness that
// has already cosigned size 5 of the tessera test log (the corpus holds that log's real
// checkpoints and proofs). Invariants: only a parseable request is ever cosigned; a 409
// carries the witness's size as text/x.tlog.size; every answer is one of the spec's statuses.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "clearbox/tlog/witness.h"

namespace {

using namespace clearbox;

// The tessera test log's key (public test data) and its checkpoint of size 5.
constexpr char kLogKey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
constexpr char kBootstrap[] =
    "old 0\n\nexample.com/log/testdata\n5\ngy5gl3aksFyiCO95a/1vLXz88A3dRq+0l9Sxte8ZqZQ=\n\n"
    "\xe2\x80\x94 example.com/log/testdata "
    "M9e0lmn5eDHyHP10zJObZdFAX2y1V8fdDKBi4IiHbDYf1TCUBwxZOhqwv2QZCqrdda2zTRTrmnwjwscN5RBTEmZUYAs="
    "\n";

const std::string& StateDir() {
  static const std::string dir = (std::filesystem::temp_directory_path() /
                                  ("clearbox-witness-fuzz-" + std::to_string(::getpid())))
                                     .string();
  return dir;
}

std::unique_ptr<tlog::Witness> FreshWitness() {
  std::filesystem::remove_all(StateDir());
  crypto::Ed25519Seed seed{};
  auto signer = tlog::CosignatureV1Signer::Create("fuzz.example/witness",
                                                  crypto::Ed25519PrivateKey::FromSeed(seed).value(),
                                                  [] { return uint64_t{1700000000}; })
                    .value();
  return tlog::Witness::Open(StateDir(), std::move(signer),
                             {{"example.com/log/testdata", {kLogKey}}})
      .value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = tlog::ParseAddCheckpointRequest(body);
  if (request.ok() && request->proof.size() > tlog::kMaxWitnessProofLines) std::abort();

  auto witness = FreshWitness();
  if (witness->AddCheckpoint(kBootstrap).status != 200) std::abort();
  tlog::WitnessAnswer answer = witness->AddCheckpoint(body);
  switch (answer.status) {
    case 200:
      if (!request.ok() || answer.body.substr(0, 3) != "\xe2\x80\x94") std::abort();
      break;
    case 409:
      if (answer.content_type != tlog::kTlogSizeContentType || answer.body.empty() ||
          answer.body.back() != '\n') {
        std::abort();
      }
      break;
    case 400:
    case 403:
    case 404:
    case 422:
      break;
    default:
      std::abort();  // 500 means the state could not be written: not an input problem
  }
  return 0;
}
