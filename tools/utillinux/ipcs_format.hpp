// Field formatting shared by the ipcs tables and detail views (and lsipc later): owner names,
// ctime(3) timestamps and util-linux's size printer, each reproducing util-linux 2.38's bytes.
// Single-threaded (getpwuid, getgrgid).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ipckit::cli::ipcs {

// How sizes print: ipcs's default (per field: bytes or kbytes), -b, or --human.
enum class Unit { kDefault, kBytes, kKilobytes, kHuman };

// getpwuid(3) / getgrgid(3) names, looked up once per id.
class Names {
 public:
  [[nodiscard]] const std::optional<std::string>& user(uid_t uid);
  [[nodiscard]] const std::optional<std::string>& group(gid_t gid);
  // The name, or the number when the id has no name ("%s" or "%u").
  [[nodiscard]] std::string user_or_id(uid_t uid);
  [[nodiscard]] std::string group_or_id(gid_t gid);

 private:
  std::map<uid_t, std::optional<std::string>> users_;
  std::map<gid_t, std::optional<std::string>> groups_;
};

// ctime_r(3) without its newline: "Thu Nov 26 21:33:12 2026" (local time, English names).
[[nodiscard]] std::string ctime_text(std::int64_t seconds);

// util-linux's ipc_print_size(): an optional label, then the size in `unit`, then `end`.
// A label ending in '=' prints as is; otherwise as "label (bytes) = ", "label (kbytes) = " or
// "label = " (default and human). `width` is printf's: > 0 right-aligns, < 0 left-aligns.
[[nodiscard]] std::string size_text(Unit unit, std::string_view label, std::uint64_t size,
                                    std::string_view end, int width);

// printf's "%*ju"-style padding of `text` to |width| (right for > 0, left for < 0).
[[nodiscard]] std::string pad(std::string_view text, int width);

}  // namespace ipckit::cli::ipcs
