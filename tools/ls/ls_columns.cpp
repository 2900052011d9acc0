// The column-descriptor table of `ipckit ls` (see ls_model.hpp).
#include <fmt/core.h>
#include <pwd.h>

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
    {{"TYPE",
      "object type: sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, mqueue, unix, "
      "fifo, channel",
      0},
     true,
     [](const IpcObject& o) -> Cell { return std::string(inspect::type_name(o.type)); }},
    {{"ID", "System V id", table::kRight}, true, [](const IpcObject& o) { return opt(o.id); }},
    {{"KEY", "System V key, 0x%08x", 0},
     true,
     [](const IpcObject& o) -> Cell {
       if (!o.key) return std::monostate{};
       return format_key(*o.key);
     }},
    {{"NAME", "name: /name (POSIX), socket path or @abstract, FIFO path, channel name", 0},
     true,
     [](const IpcObject& o) { return text(o.name); }},
    {{"OWNER", "owner's user name", 0},
     true,
     [](const IpcObject& o) -> Cell {
       if (!o.uid) return std::monostate{};
       return user_name(*o.uid);
     }},
    {{"UID", "owner's user id", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.uid); }},
    {{"PERMS", "permission bits, octal", 0},
     true,
     [](const IpcObject& o) -> Cell {
       if (!o.perms) return std::monostate{};
       return fmt::format("{:04o}", *o.perms);
     }},
    {{"SIZE", "bytes (segment or object size; bytes queued for queues)", table::kRight},
     true,
     [](const IpcObject& o) { return opt(o.size); }},
    {{"RSS", "System V segments: resident bytes", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.rss); }},
    {{"SWAP", "System V segments: swapped-out bytes", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.swap); }},
    {{"NATTCH", "System V segments: attachments", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.nattch); }},
    {{"MSGS", "queues: messages queued", table::kRight},
     true,
     [](const IpcObject& o) { return opt(o.messages); }},
    {{"NSEMS", "System V semaphore sets: semaphores", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.nsems); }},
    {{"CPID", "creator pid (System V segments, channels)", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.cpid); }},
    {{"LPID", "System V segments: last attach or detach pid", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.lpid); }},
    {{"CAPACITY", "channels: ring bytes", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.capacity); }},
    {{"USED", "channels: bytes in the ring", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.used); }},
    {{"ATTACHED", "channels: live processes registered in the header", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.attached); }},
    {{"STALE", "channels: creator gone and nobody attached", 0},
     false,
     [](const IpcObject& o) { return opt(o.stale); }},
    {{"SOCKTYPE", "Unix sockets: stream, dgram, seqpacket", 0},
     false,
     [](const IpcObject& o) { return text(o.socket_type); }},
    {{"STATE", "Unix sockets: listen, connected, unconnected, ...", 0},
     true,
     [](const IpcObject& o) { return text(o.state); }},
    {{"INODE", "inode (sockets, FIFOs, POSIX objects)", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.inode); }},
    {{"PEER", "Unix sockets: the connected peer's inode (sock_diag)", table::kRight},
     false,
     [](const IpcObject& o) { return opt(o.peer); }},
    {{"NHOLDERS", "processes holding the object", table::kRight},
     false,
     [](const IpcObject& o) -> Cell { return static_cast<std::uint64_t>(o.holders.size()); }},
    {{"HOLDERS", "processes holding the object: PID(COMMAND),...", 0},
     true,
     [](const IpcObject& o) -> Cell { return o.holders; }},
};

// The descriptors alone, for cli/table.
const std::vector<table::ColumnSpec> kSpecs = [] {
  std::vector<table::ColumnSpec> out;
  for (const Column& c : kColumns)
    out.push_back(c.spec);
  return out;
}();

}  // namespace

std::string format_key(std::int64_t key) {
  return fmt::format("0x{:08x}", static_cast<std::uint32_t>(key));
}

const std::vector<Column>& columns() {
  return kColumns;
}

std::string columns_help() {
  std::string out = "Available output columns (default: *, -o +COL adds to them):\n";
  for (const auto& c : kColumns)
    out += fmt::format("  {:<9}{} {}\n", c.spec.name, c.shown_by_default ? '*' : ' ', c.spec.help);
  return out;
}

Result<std::vector<const Column*>> parse_columns(std::string_view list) {
  std::vector<std::size_t> selected;
  for (std::size_t i = 0; i < kColumns.size(); ++i)
    if (kColumns[i].shown_by_default) selected.push_back(i);
  // Each column at most twice, as util-linux allows.
  if (const auto e = table::parse_output_list(list, kSpecs, selected, kSpecs.size() * 2)) {
    using Kind = table::ListError::Kind;
    std::string name = e->name;  // util-linux's: the list from the bad name on
    if (const auto comma = name.find(','); comma != std::string::npos && comma + 1 < name.size())
      name.resize(comma);
    const std::string why = e->kind == Kind::kUnknown   ? fmt::format("unknown column '{}'", name)
                            : e->kind == Kind::kTooMany ? std::string("too many columns")
                                                        : std::string("empty column name");
    return fail(EINVAL, "--output", "", why);
  }
  std::vector<const Column*> out;
  for (const std::size_t i : selected)
    out.push_back(&kColumns[i]);
  return out;
}

std::vector<const Column*> default_columns() {
  std::vector<const Column*> out;
  for (const auto& c : kColumns)
    if (c.shown_by_default) out.push_back(&c);
  return out;
}

}  // namespace ipckit::cli::ls
