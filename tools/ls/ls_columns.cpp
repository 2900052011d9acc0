// The column-descriptor table of `ipckit ls` (see ls_model.hpp).
#include <fmt/core.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "ls/ls_model.hpp"

namespace ipckit::cli::ls {

namespace {

using inspect::IpcObject;

template <class T>
Cell opt(const std::optional<T>& v) {
  if (!v) return std::monostate{};
  if constexpr (std::is_same_v<T, bool>) {
    return *v;
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<std::int64_t>(*v);
  } else {
    return static_cast<std::uint64_t>(*v);
  }
}

Cell text(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

// getpwuid_r reads /etc/passwd (or asks NSS) on every call: 10,000 segments of one owner would
// cost 10,000 lookups, so each uid is looked up once per run (the command is single-threaded).
std::string user_name(uid_t uid) {
  static std::unordered_map<uid_t, std::string> cache;
  if (const auto it = cache.find(uid); it != cache.end()) return it->second;
  std::string name = std::to_string(uid);
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &pw, buffer, sizeof buffer, &result) == 0 && result != nullptr)
    name = pw.pw_name;
  cache.emplace(uid, name);
  return name;
}

const std::vector<Column> kColumns = {
    {"TYPE",
     "object type: sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, mqueue, unix, "
     "fifo, channel",
     true, false,
     [](const IpcObject& o) -> Cell { return std::string(inspect::type_name(o.type)); }},
    {"ID", "System V id", true, true, [](const IpcObject& o) { return opt(o.id); }},
    {"KEY", "System V key, 0x%08x", true, false,
     [](const IpcObject& o) -> Cell {
       if (!o.key) return std::monostate{};
       return format_key(*o.key);
     }},
    {"NAME", "name: /name (POSIX), socket path or @abstract, FIFO path, channel name", true, false,
     [](const IpcObject& o) { return text(o.name); }},
    {"OWNER", "owner's user name", true, false,
     [](const IpcObject& o) -> Cell {
       if (!o.uid) return std::monostate{};
       return user_name(*o.uid);
     }},
    {"UID", "owner's user id", false, true, [](const IpcObject& o) { return opt(o.uid); }},
    {"PERMS", "permission bits, octal", true, false,
     [](const IpcObject& o) -> Cell {
       if (!o.perms) return std::monostate{};
       return fmt::format("{:04o}", *o.perms);
     }},
    {"SIZE", "bytes (segment or object size; bytes queued for queues)", true, true,
     [](const IpcObject& o) { return opt(o.size); }},
    {"RSS", "System V segments: resident bytes", false, true,
     [](const IpcObject& o) { return opt(o.rss); }},
    {"SWAP", "System V segments: swapped-out bytes", false, true,
     [](const IpcObject& o) { return opt(o.swap); }},
    {"NATTCH", "System V segments: attachments", false, true,
     [](const IpcObject& o) { return opt(o.nattch); }},
    {"MSGS", "queues: messages queued", true, true,
     [](const IpcObject& o) { return opt(o.messages); }},
    {"NSEMS", "System V semaphore sets: semaphores", false, true,
     [](const IpcObject& o) { return opt(o.nsems); }},
    {"CPID", "creator pid (System V segments, channels)", false, true,
     [](const IpcObject& o) { return opt(o.cpid); }},
    {"LPID", "System V segments: last attach or detach pid", false, true,
     [](const IpcObject& o) { return opt(o.lpid); }},
    {"CAPACITY", "channels: ring bytes", false, true,
     [](const IpcObject& o) { return opt(o.capacity); }},
    {"USED", "channels: bytes in the ring", false, true,
     [](const IpcObject& o) { return opt(o.used); }},
    {"ATTACHED", "channels: live processes registered in the header", false, true,
     [](const IpcObject& o) { return opt(o.attached); }},
    {"STALE", "channels: creator gone and nobody attached", false, false,
     [](const IpcObject& o) { return opt(o.stale); }},
    {"SOCKTYPE", "Unix sockets: stream, dgram, seqpacket", false, false,
     [](const IpcObject& o) { return text(o.socket_type); }},
    {"STATE", "Unix sockets: listen, connected, unconnected, ...", true, false,
     [](const IpcObject& o) { return text(o.state); }},
    {"INODE", "inode (sockets, FIFOs, POSIX objects)", false, true,
     [](const IpcObject& o) { return opt(o.inode); }},
    {"PEER", "Unix sockets: the connected peer's inode (sock_diag)", false, true,
     [](const IpcObject& o) { return opt(o.peer); }},
    {"NHOLDERS", "processes holding the object", false, true,
     [](const IpcObject& o) -> Cell { return static_cast<std::uint64_t>(o.holders.size()); }},
    {"HOLDERS", "processes holding the object: PID(COMMAND),...", true, false,
     [](const IpcObject& o) -> Cell { return o.holders; }},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string format_key(std::int64_t key) {
  return fmt::format("0x{:08x}", static_cast<std::uint32_t>(key));
}

const std::vector<Column>& columns() {
  return kColumns;
}

std::string columns_help() {
  std::string out = "Available output columns (default: *):\n";
  for (const auto& c : kColumns)
    out += fmt::format("  {:<9}{} {}\n", c.name, c.shown_by_default ? '*' : ' ', c.help);
  return out;
}

Result<std::vector<const Column*>> parse_columns(std::string_view list) {
  std::vector<const Column*> out;
  while (true) {
    const auto comma = list.find(',');
    const std::string name = upper(list.substr(0, comma));
    const auto it = std::find_if(kColumns.begin(), kColumns.end(),
                                 [&](const Column& c) { return c.name == name; });
    if (it == kColumns.end())
      return fail(EINVAL, "--output", "",
                  fmt::format("unknown column '{}'", list.substr(0, comma)));
    out.push_back(&*it);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<const Column*> default_columns() {
  std::vector<const Column*> out;
  for (const auto& c : kColumns)
    if (c.shown_by_default) out.push_back(&c);
  return out;
}

}  // namespace ipckit::cli::ls
