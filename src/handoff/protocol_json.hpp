// Strict reading of the handoff protocol's JSON objects (protocol.cpp, stats_json.cpp): each
// getter finds a member of the required type and range or returns EPROTO with a detail naming
// the member and the problem. Internal.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipckit/core/error.hpp"

namespace ipckit::handoff::detail {

using Json = nlohmann::ordered_json;

// EPROTO from operation "decode" about `object` ("daemon message", "stats reply").
[[nodiscard]] std::unexpected<Error> protocol_error(std::string_view object, std::string detail);

// `text` quoted for a message: at most 64 bytes, bytes outside printable ASCII as \xNN.
[[nodiscard]] std::string quote(std::string_view text);

// Parses `payload` as one JSON object no larger than kMaxMessage.
// Errors: EPROTO ("message of N bytes is larger than 65536", "not JSON", "not a JSON object").
[[nodiscard]] Result<Json> parse_object(std::string_view payload, std::string_view object);

// The members, required: an integer in [min, max]; a string; a boolean; an array.
[[nodiscard]] Result<std::uint64_t> get_unsigned(
    const Json& json, const char* key, std::string_view object, std::uint64_t min = 0,
    std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
[[nodiscard]] Result<std::int64_t> get_signed(const Json& json, const char* key,
                                              std::string_view object);
[[nodiscard]] Result<std::string> get_string(const Json& json, const char* key,
                                             std::string_view object);
[[nodiscard]] Result<bool> get_bool(const Json& json, const char* key, std::string_view object);
[[nodiscard]] Result<const Json*> get_member(const Json& json, const char* key, Json::value_t type,
                                             std::string_view object);

// The serialised form: compact, and text that is not valid UTF-8 replaced rather than thrown.
[[nodiscard]] std::string dump(const Json& json);

}  // namespace ipckit::handoff::detail
