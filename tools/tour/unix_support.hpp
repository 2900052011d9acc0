// Helpers for the Unix-socket tour steps (unix_steps.cpp, unix_passing_steps.cpp): the tour's
// socket paths, `ls -ln`-style lines, and /proc/net/unix as netstat -nx prints it.
#pragma once

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/unix/socket.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {

// "/tmp/ipckit-tour-<pid>-<suffix>": a path (or, after '@', an abstract name) of this run.
inline std::string tour_path(const Tour& t, std::string_view suffix) {
  return "/tmp/" + t.unique_name(suffix);
}

// Whether anything (a socket file, say) is at `path`; lstat(2), not following a symlink.
inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// `ls -ln PATH` of one file: "srwxr-xr-x 1 0 0 0 Nov 26 21:04 /tmp/x", or "ls: ...: reason".
inline std::string ls_line(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return fmt::format("ls: cannot access '{}': {}", path, std::strerror(errno));
  }
  const char type = S_ISSOCK(st.st_mode)   ? 's'
                    : S_ISDIR(st.st_mode)  ? 'd'
                    : S_ISLNK(st.st_mode)  ? 'l'
                    : S_ISFIFO(st.st_mode) ? 'p'
                                           : '-';
  std::string mode(1, type);
  constexpr std::string_view kRwx = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) {
    mode += (st.st_mode & (0400u >> bit)) != 0 ? kRwx[static_cast<std::size_t>(bit)] : '-';
  }
  std::tm local{};
  ::localtime_r(&st.st_mtime, &local);
  char when[32];
  std::strftime(when, sizeof when, "%b %e %H:%M", &local);
  return fmt::format("{} {} {} {} {} {} {}", mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size,
                     when, path);
}

// One line of /proc/net/unix.
struct UnixRow {
  std::uint32_t refcount = 0;
  std::uint32_t flags = 0;  // 0x10000: __SO_ACCEPTCON, a listening socket
  std::uint32_t type = 0;   // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5
  std::uint32_t state = 0;  // 1 unconnected, 2 connecting, 3 connected, 4 disconnecting
  std::uint64_t inode = 0;
  std::string path;  // "@name" for an abstract name (each NUL shown as '@'); empty if unbound
};

// Every socket in /proc/net/unix (this network namespace's Unix sockets).
inline std::vector<UnixRow> proc_net_unix() {
  std::vector<UnixRow> rows;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // "Num       RefCount Protocol Flags    Type St Inode Path"
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string num;
    UnixRow row;
    std::uint32_t protocol = 0;
    fields >> num >> std::hex >> row.refcount >> protocol >> row.flags >> row.type >> row.state >>
        std::dec >> row.inode;
    if (!fields) continue;
    fields >> std::ws;
    std::getline(fields, row.path);
    rows.push_back(std::move(row));
  }
  return rows;
}

// The inode number /proc/net/unix lists a socket under: fstat(2)'s st_ino of its descriptor.
inline std::uint64_t socket_inode(const uds::UnixSocket& socket) {
  struct stat st {};
  return ::fstat(socket.fd().get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

// The row as `netstat -nx` prints it.
inline std::string netstat_line(const UnixRow& row) {
  const bool listening = (row.flags & 0x10000u) != 0;
  std::string_view type = row.type == 1   ? "STREAM"
                          : row.type == 2 ? "DGRAM"
                          : row.type == 5 ? "SEQPACKET"
                                          : "?";
  std::string_view state = listening        ? "LISTENING"
                           : row.state == 3 ? "CONNECTED"
                           : row.state == 2 ? "CONNECTING"
                                            : "";
  return fmt::format("unix  {:<6} {:<11} {:<10} {:<13} {:<8} {}", row.refcount,
                     listening ? "[ ACC ]" : "[ ]", type, state, row.inode, row.path);
}

}  // namespace ipckit::tour
