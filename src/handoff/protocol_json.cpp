#include "handoff/protocol_json.hpp"

#include <fmt/core.h>

#include <cerrno>

#include "ipckit/handoff/protocol.hpp"

namespace ipckit::handoff::detail {

std::unexpected<Error> protocol_error(std::string_view object, std::string detail) {
  return fail(EPROTO, "decode", std::string(object), std::move(detail));
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > kMaxShown) out += "...";
  out += '\'';
  return out;
}

Result<Json> parse_object(std::string_view payload, std::string_view object) {
  if (payload.size() > protocol::kMaxMessage) {
    return protocol_error(object, fmt::format("message of {} bytes is larger than {}",
                                              payload.size(), protocol::kMaxMessage));
  }
  // No exceptions: a parse error yields a "discarded" value. The parser also rejects text that
  // is not valid UTF-8.
  Json json = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return protocol_error(object, "not JSON");
  if (!json.is_object()) return protocol_error(object, "not a JSON object");
  return json;
}

namespace {

const char* type_phrase(Json::value_t type) {
  switch (type) {
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

}  // namespace

Result<const Json*> get_member(const Json& json, const char* key, Json::value_t type,
                               std::string_view object) {
  const auto it = json.find(key);
  if (it == json.end()) return protocol_error(object, fmt::format("missing '{}'", key));
  if (it->type() != type) {
    return protocol_error(object, fmt::format("'{}' must be {}", key, type_phrase(type)));
  }
  return &*it;
}

Result<std::uint64_t> get_unsigned(const Json& json, const char* key, std::string_view object,
                                   std::uint64_t min, std::uint64_t max) {
  const auto it = json.find(key);
  if (it == json.end()) return protocol_error(object, fmt::format("missing '{}'", key));
  if (!it->is_number_unsigned()) {
    return protocol_error(object, fmt::format("'{}' must be a non-negative integer", key));
  }
  const auto value = it->get<std::uint64_t>();
  if (value < min) return protocol_error(object, fmt::format("'{}' must be at least {}", key, min));
  if (value > max) return protocol_error(object, fmt::format("'{}' must be at most {}", key, max));
  return value;
}

Result<std::int64_t> get_signed(const Json& json, const char* key, std::string_view object) {
  const auto it = json.find(key);
  if (it == json.end()) return protocol_error(object, fmt::format("missing '{}'", key));
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return protocol_error(object, fmt::format("'{}' is out of range", key));
    }
    return static_cast<std::int64_t>(value);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  return protocol_error(object, fmt::format("'{}' must be an integer", key));
}

Result<std::string> get_string(const Json& json, const char* key, std::string_view object) {
  auto member = get_member(json, key, Json::value_t::string, object);
  if (!member) return std::unexpected(member.error());
  return (*member)->get<std::string>();
}

Result<bool> get_bool(const Json& json, const char* key, std::string_view object) {
  auto member = get_member(json, key, Json::value_t::boolean, object);
  if (!member) return std::unexpected(member.error());
  return (*member)->get<bool>();
}

std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace ipckit::handoff::detail
