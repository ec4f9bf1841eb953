// JSON from untrusted documents (pledges, signed statements), read so that two parsers cannot
// see different documents: nlohmann's parser plus the limits it cannot express itself, a
// nesting depth and a key repeated in one object (a parser keeps one copy silently, and which
// one differs between parsers: in a pledge that hides a declaration, in a signed statement
// the verifier would check another document than the signer meant).
//
//   CLEARBOX_ASSIGN_OR_RETURN(nlohmann::json doc, ParseStrictJson(text, "pledge.json", 64));
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "clearbox/core/result.h"

namespace clearbox {

// Errors, each prefixed "<what>: ": kInvalidInput "not JSON: ..." and "key \"k\" appears
// twice in one object"; kLimitExceeded "nested deeper than <max_depth> levels".
Result<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what,
                                       int max_depth);

}  // namespace clearbox
