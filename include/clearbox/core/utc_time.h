// UTC timestamps as RFC 3339 text ("2026-12-07T02:07:24Z", "2026-12-07T02:07:24.123456Z"):
// the one formatter and strict parser every module's statements and reports use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "clearbox/core/result.h"

namespace clearbox {

// "YYYY-MM-DDTHH:MM:SSZ"; times past 9999-12-31T23:59:59Z are clamped to it.
std::string FormatUtcSeconds(int64_t seconds);
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds since the epoch; negative ones round down).
std::string FormatUtcMicros(int64_t micros);

// The inverses, strict: exactly those forms, a real calendar date (leap years), 1970 to 9999.
// Errors: kInvalidInput "\"TEXT\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ".
Result<int64_t> ParseUtcSeconds(std::string_view text);
Result<int64_t> ParseUtcMicros(std::string_view text);

}  // namespace clearbox
