// The attack suite: one test per attack from the TUF and Uptane threat lists that applies to
// an offline gate, each built for real (keys, signatures, Merkle tree, cosigned checkpoint)
// and each refused by the check named in docs/gate.md with its own reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gate_test_util.h"

namespace clearbox::gate {
namespace {

using testing::FindCheck;
using ::testing::HasSubstr;
using testing::World;
using testing::WorldOptions;

// REJECT, `name` failed with `reason` in it, and every check was still reported.
void ExpectRefused(const Decision& d, std::string_view name, std::string_view reason) {
  EXPECT_FALSE(d.accepted);
  const GateCheck* c = FindCheck(d, name);
  ASSERT_NE(c, nullptr) << "no check " << name;
  EXPECT_FALSE(c->passed) << name << ": " << c->reason;
  EXPECT_THAT(c->reason, HasSubstr(std::string(reason)));
  if (name != "bundle") {
    EXPECT_EQ(d.checks.size(), GateCheckNames().size());
  }
}

// Everything but `failing` passed.
void ExpectOnlyFailures(const Decision& d, std::vector<std::string_view> failing) {
  for (const auto& c : d.checks) {
    bool expected = std::find(failing.begin(), failing.end(), c.name) != failing.end();
    EXPECT_EQ(c.passed, !expected) << c.name << ": " << c.reason;
  }
}

TEST(GateAccept, AGoodBundleIsAcceptedWithEveryCheckReported) {
  World w;
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle());
  ASSERT_EQ(d.checks.size(), GateCheckNames().size());
  for (size_t i = 0; i < d.checks.size(); ++i) {
    EXPECT_EQ(d.checks[i].name, GateCheckNames()[i]);
    EXPECT_TRUE(d.checks[i].passed) << d.checks[i].name << ": " << d.checks[i].reason;
    EXPECT_FALSE(d.checks[i].reason.empty()) << d.checks[i].name;
  }
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.vendor, "Example Networks");
  EXPECT_EQ(d.version, "2.4.1");
  EXPECT_EQ(d.security_version, 5u);
  EXPECT_EQ(d.next_state.highest_security_version, 5u);
  EXPECT_THAT(d.next_state.checkpoint, HasSubstr("log.example/firmware\n"));
  EXPECT_THAT(FindCheck(d, "witnesses")->reason, HasSubstr("2 of 2 witnesses cosigned, quorum 1"));
}

TEST(GateAttack, ArbitrarySoftware) {
  World w;
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle(), nullptr, Sha256Hex(AsBytes("other image")));
  ExpectRefused(d, "release",
                "arbitrary software: the release is for image sha256 " + w.image_sha256 +
                    ", this image is " + Sha256Hex(AsBytes("other image")));
}

TEST(GateAttack, UnsignedStatement) {
  World w;
  auto stranger = World::NewKey();
  Decision d =
      w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release({&stranger}), w.Verdict()}));
  ExpectRefused(
      d, "statements",
      "statement 1 (logIndex 6): no signature verifies with a policy key (1 signature tried)");
  ExpectRefused(d, "release", "no release statement signed by a vendor key");
}

TEST(GateAttack, WronglySignedStatement) {
  World w;
  // The vendor's signature over one release, moved onto another payload (security version 9).
  auto env = testing::Must(release::ParseEnvelope(w.Release()));
  w.release_predicate.security_version = 9;
  auto other = testing::Must(release::ParseEnvelope(w.Release()));
  other.signatures = env.signatures;
  Decision d = w.Run(w.MakePolicy(),
                     w.MakeBundle({w.Pledge(), release::SerializeEnvelope(other), w.Verdict()}));
  ExpectRefused(d, "statements",
                "statement 1 (logIndex 6): no signature verifies with a policy key");
  ExpectRefused(d, "release", "no release statement signed by a vendor key");
}

TEST(GateAttack, VendorThresholdNotMet) {
  WorldOptions o;
  o.vendor_threshold = 2;
  World w(o);
  Decision d = w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge({&w.vendor[0], &w.vendor[1]}),
                                                   w.Release({&w.vendor[1]}), w.Verdict()}));
  ExpectRefused(d, "release",
                "statement 1 (logIndex 6) is signed by 1 of the 2 vendor keys required");
  ExpectOnlyFailures(d, {"release", "vendor", "binding", "security-version"});
  // Both vendors: accepted; one key signing twice would still count once.
  World w2(o);
  auto both = w2.MakeBundle({w2.Pledge({&w2.vendor[0], &w2.vendor[1]}),
                             w2.Release({&w2.vendor[0], &w2.vendor[1]}), w2.Verdict()});
  EXPECT_TRUE(w2.Run(w2.MakePolicy(), both).accepted);
  auto twice = w2.MakeBundle({w2.Pledge({&w2.vendor[0], &w2.vendor[1]}),
                              w2.Release({&w2.vendor[0], &w2.vendor[0]}), w2.Verdict()});
  ExpectRefused(w2.Run(w2.MakePolicy(), twice), "release",
                "signed by 1 of the 2 vendor keys required");
}

TEST(GateAttack, EvaluatorThresholdNotMet) {
  WorldOptions o;
  o.evaluator_threshold = 2;
  World w(o);
  // Two verdicts by the same evaluator key are one evaluator.
  Decision d =
      w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), w.Verdict(), w.Verdict()}));
  ExpectRefused(d, "evaluators",
                "1 of the 2 evaluator keys required signed a verdict on this image");
  ExpectOnlyFailures(d, {"evaluators"});
  Decision two =
      w.Run(w.MakePolicy(),
            w.MakeBundle({w.Pledge(), w.Release(), w.Verdict(), w.Verdict({&w.evaluator[1]})}));
  EXPECT_TRUE(two.accepted) << FindCheck(two, "evaluators")->reason;
}

TEST(GateAttack, VendorKeyIsNoEvaluator) {
  // A verdict signed by a vendor key: kinds and roles come from the signed predicate and the
  // policy, so the vendor cannot judge its own image.
  World w;
  Decision d =
      w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), w.Verdict({&w.vendor[0]})}));
  ExpectRefused(d, "evaluators", "0 of the 1 evaluator keys required");
  ExpectRefused(d, "verdict", "no verdict on this image by an evaluator key");
}

TEST(GateAttack, RevokedKey) {
  World w;
  auto doc = w.PolicyDocument();
  doc["revokedKeys"] = {World::KeyId(w.vendor[0])};
  Decision d = w.Run(w.MakePolicy(doc), w.GoodBundle());
  ExpectRefused(d, "release", "signed by revoked key " + World::KeyId(w.vendor[0]));
  ExpectRefused(d, "revoked", "signed by revoked key " + World::KeyId(w.vendor[0]));
  // Revoked by its key text instead of its keyid: the same.
  doc["revokedKeys"] = {World::KeyText(w.vendor[0], "old-vendor")};
  ExpectRefused(w.Run(w.MakePolicy(doc), w.GoodBundle()), "revoked",
                "signed by revoked key " + World::KeyId(w.vendor[0]));
  // A revoked signature beside a valid one is ignored.
  Decision also = w.Run(w.MakePolicy(doc),
                        w.MakeBundle({w.Pledge({&w.vendor[0], &w.vendor[1]}),
                                      w.Release({&w.vendor[0], &w.vendor[1]}), w.Verdict()}));
  EXPECT_TRUE(also.accepted) << FindCheck(also, "revoked")->reason;
}

TEST(GateAttack, RollbackAttack) {
  World w;
  DeviceState state;
  state.highest_security_version = 7;
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle(), &state);
  ExpectRefused(d, "security-version", "rollback: security version 5 is below 7 already installed");
  ExpectOnlyFailures(d, {"security-version"});
  EXPECT_EQ(d.next_state.highest_security_version, 7u);
}

TEST(GateAttack, RollbackBelowThePolicyMinimum) {
  WorldOptions o;
  o.min_security_version = 6;
  World w(o);
  ExpectRefused(w.Run(w.MakePolicy(), w.GoodBundle()), "security-version",
                "security version 5 is below the policy's minimum 6");
}

TEST(GateAttack, FreezeAttack) {
  World w;
  // The log and witnesses last vouched two days ago: someone is replaying an old view.
  Decision d = w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), w.Verdict()}, {},
                                                  w.NowSeconds() - 2 * 86400));
  ExpectRefused(
      d, "checkpoint-age",
      "freeze: the newest witness cosignature is 172800 s old (48 h), more than the 86400 s");
  ExpectOnlyFailures(d, {"checkpoint-age"});
}

TEST(GateAttack, FreezeWithoutAnyWitnessTimestamp) {
  WorldOptions o;
  o.quorum = 0;
  World w(o);
  Decision d =
      w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), w.Verdict()}, size_t{0}));
  ExpectRefused(d, "checkpoint-age", "no valid witness cosignature with a timestamp");
}

TEST(GateAttack, MixAndMatchVerdictForAnotherImage) {
  World w;
  std::string other = Sha256Hex(AsBytes("firmware image 2.3.0"));
  std::string verdict = World::Sign(
      release::MakeVerdictStatement("old.bin", other, w.verdict_predicate), {&w.evaluator[0]});
  Decision d = w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), verdict}));
  ExpectRefused(d, "binding",
                "verdict for another image: statement 2 (logIndex 7) is for image sha256 " + other);
  ExpectRefused(d, "evaluators", "0 of the 1 evaluator keys required");
}

TEST(GateAttack, MixAndMatchReleaseForAnotherPledge) {
  World w;
  w.release_predicate.pledge_sha256 = Sha256Hex(AsBytes("a weaker pledge"));
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle());
  ExpectRefused(d, "binding",
                "release for another pledge: the release is made under pledge sha256 " +
                    w.release_predicate.pledge_sha256 + ", the bundle's pledge is " +
                    w.pledge_sha256);
  ExpectOnlyFailures(d, {"binding"});
}

TEST(GateAttack, MixAndMatchVerdictForAnotherPledge) {
  World w;
  w.verdict_predicate.pledge_sha256 = Sha256Hex(AsBytes("a weaker pledge"));
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle());
  ExpectRefused(d, "binding", "verdict for another pledge: statement 2 (logIndex 7)");
}

TEST(GateAttack, SplitViewWitnessQuorumNotMet) {
  WorldOptions o;
  o.quorum = 2;
  World w(o);
  Decision d =
      w.Run(w.MakePolicy(), w.MakeBundle({w.Pledge(), w.Release(), w.Verdict()}, size_t{1}));
  ExpectRefused(d, "witnesses",
                "1 of 2 witnesses cosigned, quorum 2; no cosignature by witness-1.example+");
  ExpectOnlyFailures(d, {"witnesses"});
}

TEST(GateAttack, SplitViewInvalidCosignature) {
  WorldOptions o;
  o.quorum = 2;
  World w(o);
  Bundle b = w.GoodBundle();
  // Flip one bit of the last cosignature's base64 (a byte of the Ed25519 signature).
  size_t last = b.checkpoint.rfind(' ');
  b.checkpoint[last + 20] = b.checkpoint[last + 20] == 'A' ? 'B' : 'A';
  ExpectRefused(w.Run(w.MakePolicy(), b), "witnesses", "invalid cosignature by witness-1.example+");
}

// The state a device keeps after accepting `b`.
DeviceState Accepted(const World& w, const Bundle& b) {
  Decision d = w.Run(w.MakePolicy(), b);
  EXPECT_TRUE(d.accepted);
  return d.next_state;
}

TEST(GateAttack, SplitViewForkAgainstTheStoredCheckpoint) {
  World w;
  testing::TestLog fork = w.log;  // the same log key, about to show two histories
  Bundle b = w.GoodBundle();      // entries 5, 6, 7
  fork.AppendFiller(3);           // other entries 5, 6, 7
  DeviceState state;
  state.checkpoint = fork.Checkpoint(w.Witnesses(), w.NowSeconds() - 60);
  Decision d = w.Run(w.MakePolicy(), b, &state);
  ExpectRefused(d, "state", "split view: the log forked: tree size 8 has root ");
  ExpectOnlyFailures(d, {"state"});
  EXPECT_EQ(d.next_state.checkpoint, state.checkpoint);
}

TEST(GateAttack, StoredCheckpointOfAnotherLog) {
  World w, other;
  DeviceState state;
  state.checkpoint = other.log.Checkpoint({}, 0);
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle(), &state);
  ExpectRefused(d, "state", "the stored checkpoint does not verify under the policy's log key");
  ExpectOnlyFailures(d, {"state"});
}

TEST(GateAttack, SplitViewConsistencyProofDoesNotVerify) {
  World w;
  DeviceState state = Accepted(w, w.GoodBundle());
  w.release_predicate.security_version = 6;
  Bundle b = w.GoodBundle();
  b.consistency_proofs.push_back(w.log.ProveConsistency(8));
  b.consistency_proofs[0].hashes[0][0] ^= 1;
  ExpectRefused(w.Run(w.MakePolicy(), b, &state), "state",
                "split view: the log is not append-only from the stored checkpoint: consistency "
                "proof from size 8 to 11");
}

TEST(GateAttack, SplitViewNoProofAndNoWitnessToVouch) {
  WorldOptions o;
  o.quorum = 0;
  o.max_age_seconds.reset();
  World w(o);
  DeviceState state = Accepted(w, w.GoodBundle());
  ExpectRefused(w.Run(w.MakePolicy(), w.GoodBundle(), &state), "state",
                "stored tree size 8, bundle's 11: no consistency proof from size 8 and no witness "
                "quorum to vouch that the log only grew");
}

TEST(GateAttack, RollbackOfTheLogView) {
  World w;
  Bundle old = w.GoodBundle();
  w.log.AppendFiller(4);
  DeviceState state;
  state.checkpoint = w.log.Checkpoint(w.Witnesses(), w.NowSeconds());
  ExpectRefused(w.Run(w.MakePolicy(), old, &state), "state",
                "rollback of the log view: the bundle's checkpoint (tree size 8) is older than the "
                "stored one (tree size 12)");
}

TEST(GateState, AnUpdateWithAConsistencyProofMovesTheStateForward) {
  World w;
  DeviceState state = Accepted(w, w.GoodBundle());
  state.highest_security_version = 5;
  w.release_predicate.security_version = 6;
  w.release_predicate.version = "2.5.0";
  Bundle b = w.GoodBundle();
  b.consistency_proofs.push_back(w.log.ProveConsistency(8));
  Decision d = w.Run(w.MakePolicy(), b, &state);
  EXPECT_TRUE(d.accepted);
  EXPECT_THAT(FindCheck(d, "state")->reason,
              HasSubstr("stored tree size 8, bundle's 11: consistency proof verified"));
  EXPECT_EQ(d.next_state.highest_security_version, 6u);
  EXPECT_EQ(d.next_state.checkpoint, b.checkpoint);
  // The same bundle again: the same tree, fine (a re-install); the state round-trips.
  auto reread = testing::Must(ParseDeviceState(FormatDeviceState(d.next_state)));
  EXPECT_TRUE(w.Run(w.MakePolicy(), b, &reread).accepted);
  // Without the proof, the witness quorum vouches for the growth.
  Bundle no_proof = w.GoodBundle();
  Decision vouched = w.Run(w.MakePolicy(), no_proof, &reread);
  EXPECT_TRUE(vouched.accepted);
  EXPECT_THAT(FindCheck(vouched, "state")->reason,
              HasSubstr("2 witnesses vouch that the log only grew"));
}

TEST(GateAttack, ProofFromAnotherLog) {
  World w;
  testing::TestLog another("another.example/log");
  another.AppendFiller(5);
  Bundle b = w.MakeBundleIn(another, {w.Pledge(), w.Release(), w.Verdict()});
  Decision d = w.Run(w.MakePolicy(), b);
  ExpectRefused(d, "checkpoint",
                "checkpoint: no verifiable signatures (signed by another.example/log");
  ExpectRefused(d, "checkpoint",
                "the policy trusts log \"log.example/firmware\" key log.example/firmware+");
  ExpectRefused(d, "checkpoint",
                "it is a checkpoint of log \"another.example/log\" (tree size 8), signed by "
                "another.example/log+");
  ExpectRefused(d, "inclusion", "not checked: the bundle's checkpoint did not verify");
}

TEST(GateAttack, ProofFromTheRightKeyButAnotherOrigin) {
  World w;
  auto doc = w.PolicyDocument();
  doc["log"]["origin"] = "log.example/other";
  Decision d = w.Run(w.MakePolicy(doc), w.GoodBundle());
  ExpectRefused(d, "checkpoint",
                "checkpoint origin \"log.example/firmware\", want \"log.example/other\"");
}

TEST(GateAttack, EndlessSignatures) {
  // 64 statements of 64 signatures by strangers, against 4 policy keys: 16384 verifications
  // if nothing stopped them; the budget does, and says so.
  World w;
  auto stranger = World::NewKey();
  std::vector<const crypto::Ed25519PrivateKey*> many(64, &stranger);
  std::string envelope = World::Sign(
      release::MakeReleaseStatement("fw.bin", w.image_sha256, w.release_predicate), many);
  Bundle b = w.MakeBundle(std::vector<std::string>(kMaxBundleStatements, envelope));
  auto start = std::chrono::steady_clock::now();
  Decision d = w.Run(w.MakePolicy(), b);
  auto took = std::chrono::steady_clock::now() - start;
  ExpectRefused(d, "statements", "no signature verifies with a policy key (64 signatures tried)");
  ExpectRefused(d, "statements", "the budget of 4096 signature verifications is spent");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(GateAttack, StatementNotInTheLog) {
  World w;
  Bundle b = w.GoodBundle();
  b.statements[1].inclusion_proof[0][0] ^= 1;
  Decision d = w.Run(w.MakePolicy(), b);
  ExpectRefused(d, "inclusion",
                "statement 1 (logIndex 6) is not proven in the log: inclusion proof for leaf 6 in "
                "tree 8 does not lead to the root");
  ExpectOnlyFailures(d, {"inclusion"});
}

TEST(GateAttack, EndlessData) {
  World w;
  // The limit is checked on the length before a byte is parsed (the CLI test feeds a sparse
  // 10 GB file; this is the library's half).
  std::string endless(kMaxBundleBytes + 1, '[');
  Decision d = Decide(w.MakePolicy(), endless, w.image_sha256, nullptr, w.now);
  ExpectRefused(d, "bundle", "bundle: 33554433 bytes, more than the limit of 33554432 (32 MiB)");
  EXPECT_EQ(d.checks.size(), 1u);
}

TEST(GateAttack, TruncatedBundle) {
  World w;
  std::string json = SerializeBundle(w.GoodBundle());
  json.resize(json.size() / 2);
  Decision d = Decide(w.MakePolicy(), json, w.image_sha256, nullptr, w.now);
  ExpectRefused(d, "bundle", "bundle: not JSON");
}

TEST(GateAttack, MalformedBundle) {
  World w;
  auto doc = nlohmann::json::parse(SerializeBundle(w.GoodBundle()));
  doc["statements"][1]["logIndex"] = "6";
  ExpectRefused(Decide(w.MakePolicy(), doc.dump(), w.image_sha256, nullptr, w.now), "bundle",
                "bundle: /statements/1/logIndex: expected an unsigned integer, got a string");
}

TEST(GateAttack, VerdictFail) {
  World w;
  w.verdict_predicate.pass = false;
  w.verdict_predicate.blocking_findings = {"CBX-BACKDOOR-001", "CBX-TELNET-002"};
  Decision d = w.Run(w.MakePolicy(), w.GoodBundle());
  ExpectRefused(d, "verdict",
                "verdict fail by \"Example Lab\" (statement 2 (logIndex 7)), blocking findings: "
                "CBX-BACKDOOR-001, CBX-TELNET-002");
  ExpectOnlyFailures(d, {"verdict"});
  // A policy that asks only for a signed verdict takes it.
  auto doc = w.PolicyDocument();
  doc["requiredVerdict"] = "any";
  Decision any =
      Decide(w.MakePolicy(doc), SerializeBundle(w.GoodBundle()), w.image_sha256, nullptr, w.now);
  EXPECT_TRUE(any.accepted) << FindCheck(any, "verdict")->reason;
}

TEST(GateAttack, AnotherVendorsRelease) {
  World w;
  auto doc = w.PolicyDocument();
  doc["vendor"] = "Other Corp";
  ExpectRefused(w.Run(w.MakePolicy(doc), w.GoodBundle()), "vendor",
                "the release is for vendor \"Example Networks\", the policy's is \"Other Corp\"");
}

TEST(GateAttack, IndependentChecksStillRunAfterAFailure) {
  World w;
  DeviceState state;
  state.highest_security_version = 9;
  // Wrong image, frozen checkpoint, rollback: three refusals, each with its own reason; the
  // checks in between still pass.
  Bundle b = w.MakeBundle({w.Pledge(), w.Release(), w.Verdict()}, {}, w.NowSeconds() - 3 * 86400);
  Decision d = w.Run(w.MakePolicy(), b, &state, Sha256Hex(AsBytes("other image")));
  ExpectRefused(d, "release", "arbitrary software");
  ExpectRefused(d, "checkpoint-age", "freeze");
  ExpectRefused(d, "evaluators", "0 of the 1 evaluator keys required");
  ExpectOnlyFailures(d, {"release", "checkpoint-age", "vendor", "binding", "evaluators", "verdict",
                         "security-version"});
  EXPECT_EQ(d.checks.size(), GateCheckNames().size());
}

}  // namespace
}  // namespace clearbox::gate
