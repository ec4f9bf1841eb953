// ParseStrictJson (strict_json.h).
#include "clearbox/core/strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace clearbox {
namespace {

using Json = nlohmann::json;

struct StructureError {
  ErrorCode code;
  std::string what;
};

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, std::string_view what, int max_depth) {
  std::vector<std::set<std::string>> keys;  // one per open object or array
  Json::parser_callback_t callback = [&keys, max_depth](int depth, Json::parse_event_t event,
                                                        Json& parsed) -> bool {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= max_depth) {
          throw StructureError{ErrorCode::kLimitExceeded,
                               "nested deeper than " + std::to_string(max_depth) + " levels"};
        }
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get<std::string>()).second) {
          // The key as a JSON string: invalid UTF-8 is replaced, never thrown on.
          throw StructureError{
              ErrorCode::kInvalidInput,
              "key " + parsed.dump(-1, ' ', false, Json::error_handler_t::replace) +
                  " appears twice in one object"};
        }
        break;
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const StructureError& e) {
    return Error(e.code, std::string(what) + ": " + e.what);
  } catch (const Json::exception& e) {
    return Error::InvalidInput(std::string(what) + ": not JSON: " + e.what());
  }
}

}  // namespace clearbox
