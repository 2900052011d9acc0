// `ipckit rm OBJECT...`: naming and removing one object (see rm_target.hpp).
#include <fmt/core.h>

#include <charconv>

#include "cli/channel_name.hpp"
#include "cli/values.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "ipckit/posix/name.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "ipckit/posix/shm.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/message_queue.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli::ls {

using inspect::ObjectType;

namespace {

// The library's name rule for a POSIX type (posix::check_name).
posix::NameKind name_kind(ObjectType type) {
  switch (type) {
    case ObjectType::kPosixSem:
      return posix::NameKind::kSemaphore;
    case ObjectType::kMqueue:
      return posix::NameKind::kMessageQueue;
    default:
      return posix::NameKind::kSharedMemory;
  }
}

// IPC_RMID by id, or by key (shmget/semget/msgget first), through the library.
template <class Object, class IdType>
Result<void> remove_sysv(const RmTarget& t) {
  if (!t.id) return Object::remove(sysv::Key(*t.key));
  auto r = Object::remove(IdType(*t.id));
  // Say it with the id as typed: "rm: sysv-shm:42: no such id (42 names no object)".
  if (!r && r.error().code() == ENOENT)
    return fail(ENOENT, t.text, "", fmt::format("no such id ({} names no object)", *t.id));
  return r;
}

}  // namespace

Result<RmTarget> parse_target(std::string_view text) {
  const auto colon = text.find(':');
  const auto bad = [&](std::string_view why) {
    return fail(EINVAL, "rm", "", fmt::format("invalid object '{}': {}", text, why));
  };
  if (colon == std::string_view::npos) return bad("expected TYPE:ID, TYPE-key:KEY or TYPE:NAME");
  std::string type(text.substr(0, colon));
  const std::string_view what = text.substr(colon + 1);
  RmTarget t{ObjectType::kSysvShm, std::nullopt, std::nullopt, {}, std::string(text)};
  bool by_key = false;
  if (type.ends_with("-key")) {
    by_key = true;
    type.resize(type.size() - 4);
  }
  const auto parsed = inspect::parse_type_name(type);
  if (!parsed || *parsed == ObjectType::kUnix || *parsed == ObjectType::kFifo)
    return bad(
        "unknown type (sysv-shm, sysv-sem, sysv-msg, sysv-shm-key, sysv-sem-key, "
        "sysv-msg-key, posix-shm, posix-sem, mqueue, channel)");
  t.type = *parsed;
  const bool sysv = t.type == ObjectType::kSysvShm || t.type == ObjectType::kSysvSem ||
                    t.type == ObjectType::kSysvMsg;
  if (by_key && !sysv) return bad("only System V objects have keys");
  if (by_key) {
    auto key = sysv::Key::parse(what);
    if (!key || key->value() == IPC_PRIVATE) return bad("not a key (or IPC_PRIVATE)");
    t.key = key->value();
  } else if (sysv) {
    int id = -1;
    auto [ptr, ec] = std::from_chars(what.data(), what.data() + what.size(), id);
    if (what.empty() || ec != std::errc() || ptr != what.data() + what.size() || id < 0)
      return bad("not an id");
    t.id = id;
  } else if (t.type == ObjectType::kChannel) {
    auto target = ChannelTarget::parse(what);
    if (!target)
      return bad(target.error().detail().empty() ? "invalid channel name"
                                                 : target.error().detail());
    t.name = std::string(what);
  } else {
    // Control characters are allowed: `ls` shows such names escaped, and rm must reach them.
    const posix::NameKind kind = name_kind(t.type);
    if (auto problem = posix_name_problem(what, kind)) return bad(*problem);
    t.name = posix::check_name(what, kind).value();  // normalised: "/name"
  }
  return t;
}

// The library's remove(id), remove(key), unlink(name) or Channel::unlink.
Result<void> remove(const RmTarget& t) {
  switch (t.type) {
    case ObjectType::kSysvShm:
      return remove_sysv<sysv::SharedMemory, sysv::ShmId>(t);
    case ObjectType::kSysvSem:
      return remove_sysv<sysv::SemaphoreSet, sysv::SemId>(t);
    case ObjectType::kSysvMsg:
      return remove_sysv<sysv::MessageQueue, sysv::MsqId>(t);
    case ObjectType::kPosixShm:
      return posix::SharedMemoryObject::unlink(t.name);
    case ObjectType::kPosixSem:
      return posix::NamedSemaphore::unlink(t.name);
    case ObjectType::kMqueue:
      return posix::MessageQueue::unlink(t.name);
    case ObjectType::kChannel: {
      auto target = ChannelTarget::parse(t.name);
      if (!target) return std::unexpected(target.error());
      auto r = target->unlink();
      if (!r && r.error().code() == EPROTO)
        return std::unexpected(r.error().with_detail(r.error().detail() + "; not removed"));
      return r;
    }
    default:
      return fail(EINVAL, "rm", t.text, "cannot remove this type");
  }
}

}  // namespace ipckit::cli::ls
