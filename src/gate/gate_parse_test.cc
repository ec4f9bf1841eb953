// ParsePolicy, ParseBundle and ParseDeviceState: round trips, and one refusal per rule, each
// naming the JSON path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gate_test_util.h"

namespace clearbox::gate {
namespace {

using ::testing::HasSubstr;
using testing::World;
using Json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(GatePolicy, TheWorldsPolicyParses) {
  World w;
  auto doc = w.PolicyDocument();
  doc["revokedKeys"] = {World::KeyId(w.evaluator[1])};
  Policy p = w.MakePolicy(doc);
  EXPECT_EQ(p.vendor, "Example Networks");
  EXPECT_EQ(p.vendor_keys.keys.size(), 2u);
  EXPECT_EQ(p.vendor_keys.keys[0].name(), "vendor-0");
  EXPECT_EQ(p.vendor_keys.keys[0].keyid(), World::KeyId(w.vendor[0]));
  EXPECT_EQ(p.witness_keys.size(), 2u);
  EXPECT_EQ(p.witness_quorum, 1u);
  EXPECT_EQ(p.log_origin, "log.example/firmware");
  EXPECT_EQ(p.max_checkpoint_age, std::chrono::seconds(86400));
  EXPECT_TRUE(p.require_pass);
  EXPECT_EQ(p.revoked_keyids, std::vector<std::string>{World::KeyId(w.evaluator[1])});
}

TEST(GatePolicy, TheDocumentedExampleParses) {
  std::string path = std::string(CLEARBOX_SOURCE_DIR) + "/docs/examples/gate-policy.json";
  auto p = ParsePolicy(ReadFile(path));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->vendor_keys.threshold, 1u);
  EXPECT_EQ(p->evaluator_keys.threshold, 2u);
  EXPECT_EQ(p->witness_quorum, 2u);
  EXPECT_EQ(p->min_security_version, 3u);
}

// Each edit of a valid policy and the error it must give.
TEST(GatePolicy, EachRuleRefusedWithItsPath) {
  World w;
  struct Case {
    const char* name;
    std::function<void(Json&)> edit;
    std::string message;
  };
  std::vector<Case> cases = {
      {"type", [](Json& d) { d["type"] = "https://clearbox.dev/gate-policy/v2"; },
       "policy: /type: \"https://clearbox.dev/gate-policy/v2\" is not "
       "\"https://clearbox.dev/gate-policy/v1\""},
      {"unknown", [](Json& d) { d["minSecurityVersoin"] = 3; },
       "policy: /minSecurityVersoin: unknown field"},
      {"threshold high", [](Json& d) { d["vendorKeys"]["threshold"] = 3; },
       "policy: /vendorKeys/threshold: 3 is not between 1 and the 2 keys listed"},
      {"threshold zero", [](Json& d) { d["evaluatorKeys"]["threshold"] = 0; },
       "policy: /evaluatorKeys/threshold: 0 is not between 1 and the 2 keys listed"},
      {"no keys", [](Json& d) { d["vendorKeys"]["keys"] = Json::array(); },
       "policy: /vendorKeys/keys: no keys listed"},
      {"bad key", [](Json& d) { d["evaluatorKeys"]["keys"][1] = "not a key"; },
       "policy: /evaluatorKeys/keys/1: "},
      {"dup key", [](Json& d) { d["vendorKeys"]["keys"][1] = d["vendorKeys"]["keys"][0]; },
       "policy: /vendorKeys/keys/1: the same key as /vendorKeys/keys/0"},
      {"quorum", [](Json& d) { d["witnesses"]["quorum"] = 3; },
       "policy: /witnesses/quorum: 3 is more than the 2 witnesses listed"},
      {"witness key", [](Json& d) { d["witnesses"]["keys"][0] = 7; },
       "policy: /witnesses/keys/0: expected a verifier key (a string)"},
      {"log key", [](Json& d) { d["log"]["key"] = "log+00000000+AAAA"; }, "policy: /log/key: "},
      {"log origin", [](Json& d) { d["log"].erase("origin"); },
       "policy: /log/origin: missing (required)"},
      {"negative", [](Json& d) { d["minSecurityVersion"] = -1; },
       "policy: /minSecurityVersion: expected an unsigned integer, got a negative integer"},
      {"age", [](Json& d) { d["maxCheckpointAgeSeconds"] = 0; },
       "policy: /maxCheckpointAgeSeconds: 0 is not between 1 and"},
      {"verdict", [](Json& d) { d["requiredVerdict"] = "fail"; },
       "policy: /requiredVerdict: \"fail\" is not \"pass\" or \"any\""},
      {"revoked", [](Json& d) { d["revokedKeys"] = {"abc"}; },
       "policy: /revokedKeys/0: neither a keyid (64 lowercase hex) nor a key"},
      {"all revoked",
       [&](Json& d) {
         d["revokedKeys"] = {World::KeyId(w.vendor[0]), World::KeyId(w.vendor[1])};
       },
       "policy: /vendorKeys/threshold: 1 but only 0 of the keys listed are not revoked"},
      {"not object", [](Json& d) { d = Json::array(); }, "policy: /: expected an object"},
  };
  for (const auto& c : cases) {
    Json doc = w.PolicyDocument();
    c.edit(doc);
    auto p = ParsePolicy(doc.dump());
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidInput) << c.name;
    EXPECT_THAT(p.error().message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_EQ(ParsePolicy(std::string(kMaxPolicyBytes + 1, ' ')).error().code(),
            ErrorCode::kLimitExceeded);
  EXPECT_THAT(ParsePolicy("{\"type\": 1, \"type\": 2}").error().message(),
              HasSubstr("appears twice"));
}

TEST(GateBundle, RoundTrips) {
  World w;
  Bundle b = w.GoodBundle();
  b.consistency_proofs.push_back(w.log.ProveConsistency(3));
  std::string json = SerializeBundle(b);
  EXPECT_EQ(json.back(), '\n');
  Bundle back = testing::Must(ParseBundle(json));
  EXPECT_EQ(SerializeBundle(back), json);
  ASSERT_EQ(back.statements.size(), 3u);
  EXPECT_EQ(back.statements[2].envelope, b.statements[2].envelope);
  EXPECT_EQ(back.statements[2].inclusion_proof, b.statements[2].inclusion_proof);
  EXPECT_EQ(back.consistency_proofs[0].hashes, b.consistency_proofs[0].hashes);
  // For tests/gate_schema_test.sh: a real bundle, state and policy to check the schemas.
  std::string dir = std::string(CLEARBOX_BINARY_DIR) + "/gate-samples";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/bundle.json") << json;
  std::ofstream(dir + "/policy.json") << w.PolicyDocument().dump(2) << "\n";
  std::ofstream(dir + "/state.json") << FormatDeviceState(w.Run(w.MakePolicy(), b).next_state);
}

TEST(GateBundle, EachRuleRefusedWithItsPath) {
  World w;
  Json good = Json::parse(SerializeBundle(w.GoodBundle()));
  struct Case {
    const char* name;
    std::function<void(Json&)> edit;
    std::string message;
    ErrorCode code = ErrorCode::kInvalidInput;
  };
  std::vector<Case> cases = {
      {"media type", [](Json& d) { d["mediaType"] = "application/json"; },
       "bundle: /mediaType: \"application/json\" is not "
       "\"application/vnd.clearbox.bundle.v1+json\""},
      {"unknown", [](Json& d) { d["signatures"] = Json::array(); },
       "bundle: /signatures: unknown field"},
      {"no checkpoint", [](Json& d) { d.erase("checkpoint"); },
       "bundle: /checkpoint: missing (required)"},
      {"no statements", [](Json& d) { d["statements"] = Json::array(); },
       "bundle: /statements: no statements"},
      {"statement type", [](Json& d) { d["statements"][0] = "x"; },
       "bundle: /statements/0: expected an object"},
      {"envelope", [](Json& d) { d["statements"][2]["envelope"] = Json::object(); },
       "bundle: /statements/2/envelope: expected a string, got an object"},
      {"hash", [](Json& d) { d["statements"][1]["inclusionProof"][0] = "AAAA"; },
       "bundle: /statements/1/inclusionProof/0: not a base64 SHA-256 hash (32 bytes)"},
      {"from zero",
       [](Json& d) {
         d["consistencyProofs"] = {{{"fromSize", 0}, {"hashes", Json::array()}}};
       },
       "bundle: /consistencyProofs/0/fromSize: 0: a proof from the empty tree proves nothing"},
      {"too many hashes",
       [](Json& d) {
         d["statements"][0]["inclusionProof"] = Json::array();
         for (int i = 0; i < 65; ++i)
           d["statements"][0]["inclusionProof"].push_back(std::string(44, 'A'));
       },
       "bundle: /statements/0/inclusionProof: 65 hashes, more than the limit of 64",
       ErrorCode::kLimitExceeded},
      {"too many statements",
       [](Json& d) {
         for (int i = 0; i < 62; ++i) d["statements"].push_back(d["statements"][0]);
       },
       "bundle: /statements: 65 statements, more than the limit of 64", ErrorCode::kLimitExceeded},
      {"deep", [](Json& d) { d["x"] = Json::parse(std::string(20, '[') + std::string(20, ']')); },
       "bundle: nested deeper than", ErrorCode::kLimitExceeded},
  };
  for (const auto& c : cases) {
    Json doc = good;
    c.edit(doc);
    auto b = ParseBundle(doc.dump());
    ASSERT_FALSE(b.ok()) << c.name;
    EXPECT_EQ(b.error().code(), c.code) << c.name << ": " << b.error().message();
    EXPECT_THAT(b.error().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(GateState, RoundTripsAndRefusals) {
  DeviceState s;
  s.highest_security_version = 12;
  s.checkpoint = "log\n1\nAAAA\n\n— log abc\n";
  std::string text = FormatDeviceState(s);
  EXPECT_EQ(text.back(), '\n');
  auto back = testing::Must(ParseDeviceState(text));
  EXPECT_EQ(back.highest_security_version, 12u);
  EXPECT_EQ(back.checkpoint, s.checkpoint);
  EXPECT_EQ(testing::Must(ParseDeviceState(FormatDeviceState(DeviceState{}))).checkpoint, "");
  EXPECT_THAT(
      ParseDeviceState("{\"type\":\"https://clearbox.dev/gate-state/v1\",\"checkpoint\":\"\"}")
          .error()
          .message(),
      HasSubstr("state: /highestSecurityVersion: missing (required)"));
  EXPECT_THAT(ParseDeviceState("{\"type\":\"x\",\"highestSecurityVersion\":1,\"checkpoint\":\"\"}")
                  .error()
                  .message(),
              HasSubstr("state: /type: \"x\" is not"));
  EXPECT_THAT(ParseDeviceState("{\"type\":\"https://clearbox.dev/gate-state/v1\","
                               "\"highestSecurityVersion\":1,\"checkpoint\":5}")
                  .error()
                  .message(),
              HasSubstr("state: /checkpoint: expected a string, got an integer"));
  EXPECT_EQ(ParseDeviceState(std::string((1 << 20) + 1, ' ')).error().code(),
            ErrorCode::kLimitExceeded);
}

TEST(GateNames, EveryCheckIsDocumented) {
  std::string doc = ReadFile(std::string(CLEARBOX_SOURCE_DIR) + "/docs/gate.md");
  for (std::string_view name : GateCheckNames()) {
    EXPECT_THAT(doc, HasSubstr("| `" + std::string(name) + "` |")) << name;
  }
}

}  // namespace
}  // namespace clearbox::gate
