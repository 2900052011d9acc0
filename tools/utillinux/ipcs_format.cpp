#include "utillinux/ipcs_format.hpp"

#include <fmt/core.h>
#include <grp.h>
#include <pwd.h>

#include <array>
#include <ctime>

#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcs {

const std::optional<std::string>& Names::user(uid_t uid) {
  auto it = users_.find(uid);
  if (it == users_.end()) {
    const passwd* pw = ::getpwuid(uid);
    it = users_.emplace(uid, pw != nullptr ? std::optional<std::string>(pw->pw_name) : std::nullopt)
             .first;
  }
  return it->second;
}

const std::optional<std::string>& Names::group(gid_t gid) {
  auto it = groups_.find(gid);
  if (it == groups_.end()) {
    const struct group* gr = ::getgrgid(gid);
    it =
        groups_.emplace(gid, gr != nullptr ? std::optional<std::string>(gr->gr_name) : std::nullopt)
            .first;
  }
  return it->second;
}

std::string Names::user_or_id(uid_t uid) {
  const auto& name = user(uid);
  return name ? *name : std::to_string(uid);
}

std::string Names::group_or_id(gid_t gid) {
  const auto& name = group(gid);
  return name ? *name : std::to_string(gid);
}

std::string ctime_text(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::array<char, 64> buffer{};
  if (::ctime_r(&t, buffer.data()) == nullptr) return {};
  std::string text(buffer.data());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string pad(std::string_view text, int width) {
  std::string out;
  const std::size_t w = static_cast<std::size_t>(width < 0 ? -width : width);
  if (width > 0 && text.size() < w) out.append(w - text.size(), ' ');
  out.append(text);
  if (width < 0 && out.size() < w) out.append(w - out.size(), ' ');
  return out;
}

std::string size_text(Unit unit, std::string_view label, std::uint64_t size, std::string_view end,
                      int width) {
  std::string out;
  if (!label.empty()) {
    if (label.back() == '=')
      out = label;
    else if (unit == Unit::kBytes)
      out = fmt::format("{} (bytes) = ", label);
    else if (unit == Unit::kKilobytes)
      out = fmt::format("{} (kbytes) = ", label);
    else
      out = fmt::format("{} = ", label);
  }
  switch (unit) {
    case Unit::kDefault:
    case Unit::kBytes:
      out += pad(std::to_string(size), width);
      break;
    case Unit::kKilobytes:
      out += pad(std::to_string(size / 1024), width);
      break;
    case Unit::kHuman:
      out += pad(ul::human_size(size), width);
      break;
  }
  out += end;
  return out;
}

}  // namespace ipckit::cli::ipcs
