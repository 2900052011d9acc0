#include "completion/completion_live.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>

#include "ipckit/inspect/ipc_listing.hpp"

namespace ipckit::cli::completion {

namespace {

using inspect::IpcObject;
using inspect::ObjectType;

std::string key_text(std::int64_t key) {
  return fmt::format("0x{:08x}", static_cast<std::uint32_t>(key));
}

// The listing's types that hold objects of `kind`.
inspect::TypeSet types_for(Live kind) {
  inspect::TypeSet t;
  switch (kind) {
    case Live::kChannel:
      t.add(ObjectType::kChannel);
      break;
    case Live::kPosixShm:
      t.add(ObjectType::kPosixShm);
      t.add(ObjectType::kSysvShm);
      break;
    case Live::kPosixSem:
      t.add(ObjectType::kPosixSem);
      t.add(ObjectType::kSysvSem);
      break;
    case Live::kMqueue:
      t.add(ObjectType::kMqueue);
      break;
    case Live::kSysvShmId:
    case Live::kSysvShmKey:
      t.add(ObjectType::kSysvShm);
      break;
    case Live::kSysvSemId:
    case Live::kSysvSemKey:
      t.add(ObjectType::kSysvSem);
      break;
    case Live::kSysvMsgId:
    case Live::kSysvMsgKey:
      t.add(ObjectType::kSysvMsg);
      break;
    case Live::kSysvAnyId:
      t.add(ObjectType::kSysvShm);
      t.add(ObjectType::kSysvSem);
      t.add(ObjectType::kSysvMsg);
      break;
    case Live::kUnixSocket:
      t.add(ObjectType::kUnix);
      break;
  }
  return t;
}

// How a command names `o`, or "" when it cannot be named (an unnamed socket, a private key).
std::string name_of(const IpcObject& o, Live kind) {
  switch (kind) {
    case Live::kSysvShmId:
    case Live::kSysvSemId:
    case Live::kSysvMsgId:
    case Live::kSysvAnyId:
      return o.id ? std::to_string(*o.id) : std::string();
    case Live::kSysvShmKey:
    case Live::kSysvSemKey:
    case Live::kSysvMsgKey:
      return o.key && *o.key != 0 ? key_text(*o.key) : std::string();
    default:
      break;
  }
  switch (o.type) {
    case ObjectType::kSysvShm:
    case ObjectType::kSysvSem:
      return o.key && *o.key != 0 ? "sysv:" + key_text(*o.key) : std::string();
    default:
      return o.name;  // channels "NAME" or "sysv:0xKEY", POSIX "/NAME", sockets path or @name
  }
}

}  // namespace

std::vector<std::string> live_names(Live kind) {
  std::vector<std::string> out;
  auto listing = inspect::list_ipc_objects(types_for(kind));
  if (!listing) return out;
  for (const auto& o : listing->objects) {
    // Only what the user may pass: a socket's own end of a connection has the same path.
    std::string name = name_of(o, kind);
    if (!name.empty()) out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ipckit::cli::completion
