// The device state file: the highest security version installed and the largest checkpoint
// accepted. Structure only; Decide verifies the checkpoint under the policy's log key.
#include <string>

#include "clearbox/core/strict_json.h"
#include "clearbox/crypto/note.h"
#include "clearbox/gate/gate.h"
#include "json_fields.h"

namespace clearbox::gate {
namespace {

constexpr std::string_view kWhat = "state";
constexpr size_t kMaxStateBytes = size_t{1} << 20;

}  // namespace

std::string FormatDeviceState(const DeviceState& state) {
  internal::Json doc = {{"type", kStateType},
                        {"highestSecurityVersion", state.highest_security_version},
                        {"checkpoint", state.checkpoint}};
  return doc.dump(-1, ' ', false, internal::Json::error_handler_t::replace) + "\n";
}

Result<DeviceState> ParseDeviceState(std::string_view json) {
  if (json.size() > kMaxStateBytes) {
    return Error::LimitExceeded("state: " + std::to_string(json.size()) +
                                " bytes, more than the limit of " + std::to_string(kMaxStateBytes));
  }
  CLEARBOX_ASSIGN_OR_RETURN(internal::Json doc, ParseStrictJson(json, kWhat, 4));
  CLEARBOX_RETURN_IF_ERROR(internal::ExpectObject(doc, kWhat, ""));
  CLEARBOX_RETURN_IF_ERROR(internal::RefuseUnknownFields(
      doc, kWhat, "", {"type", "highestSecurityVersion", "checkpoint"}));
  internal::FieldReader fields(doc, std::string(kWhat), "");
  CLEARBOX_ASSIGN_OR_RETURN(std::string type, fields.String("type", 1024));
  if (type != kStateType) {
    return fields.Invalid(
        "type", internal::Quoted(type) + " is not " + internal::Quoted(std::string(kStateType)));
  }
  DeviceState state;
  CLEARBOX_ASSIGN_OR_RETURN(state.highest_security_version,
                            fields.Unsigned("highestSecurityVersion"));
  // "" before the first accepted update, so not fields.String (which refuses empty strings).
  CLEARBOX_ASSIGN_OR_RETURN(const internal::Json* cp,
                            fields.Member("checkpoint", internal::Json::value_t::string));
  state.checkpoint = cp->get<std::string>();
  if (state.checkpoint.size() > crypto::kMaxNoteSize) {
    return Error::LimitExceeded("state: /checkpoint: " + std::to_string(state.checkpoint.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(crypto::kMaxNoteSize));
  }
  return state;
}

}  // namespace clearbox::gate
