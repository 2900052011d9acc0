// `ipckit rm OBJECT...`: naming and removing one object (see rm_target.hpp).
#include <fcntl.h>
#include <fmt/core.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <charconv>

#include "cli/channel_name.hpp"
#include "ipckit/sysv/key.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli::ls {

using inspect::ObjectType;

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
    const std::string_view bare = what.starts_with('/') ? what.substr(1) : what;
    if (bare.empty() || bare.size() > 250 || bare.find('/') != std::string_view::npos)
      return bad("a name is '/name': 1 to 250 characters, no other '/'");
    t.name = "/" + std::string(bare);
  }
  return t;
}

static Result<int> sysv_id(const RmTarget& t) {
  if (t.id) return *t.id;
  int id = -1;
  const char* op = "shmget";
  if (t.type == ObjectType::kSysvShm) id = ::shmget(*t.key, 0, 0);
  if (t.type == ObjectType::kSysvSem) op = "semget", id = ::semget(*t.key, 0, 0);
  if (t.type == ObjectType::kSysvMsg) op = "msgget", id = ::msgget(*t.key, 0);
  if (id < 0) return fail_errno(op, ls::format_key(*t.key));
  return id;
}

// shmctl/semctl/msgctl IPC_RMID, shm_unlink, sem_unlink, mq_unlink or Channel::unlink.
Result<void> remove(const RmTarget& t) {
  switch (t.type) {
    case ObjectType::kSysvShm:
    case ObjectType::kSysvSem:
    case ObjectType::kSysvMsg: {
      auto id = sysv_id(t);
      if (!id) return std::unexpected(id.error());
      const std::string what = fmt::format("id {}", *id);
      const char* op = t.type == ObjectType::kSysvShm   ? "shmctl(IPC_RMID)"
                       : t.type == ObjectType::kSysvSem ? "semctl(IPC_RMID)"
                                                        : "msgctl(IPC_RMID)";
      const int rc = t.type == ObjectType::kSysvShm   ? ::shmctl(*id, IPC_RMID, nullptr)
                     : t.type == ObjectType::kSysvSem ? ::semctl(*id, 0, IPC_RMID)
                                                      : ::msgctl(*id, IPC_RMID, nullptr);
      if (rc == 0) return {};
      // IPC_RMID says EINVAL for an id that names nothing: say that, not "Invalid argument".
      if (errno == EINVAL && t.id)
        return fail(EINVAL, t.text, "", fmt::format("no such id ({} names no object)", *id));
      return fail_errno(op, what);
    }
    case ObjectType::kPosixShm:
      if (::shm_unlink(t.name.c_str()) != 0) return fail_errno("shm_unlink", t.name);
      return {};
    case ObjectType::kPosixSem:
      if (::sem_unlink(t.name.c_str()) != 0) return fail_errno("sem_unlink", t.name);
      return {};
    case ObjectType::kMqueue:
      if (::mq_unlink(t.name.c_str()) != 0) return fail_errno("mq_unlink", t.name);
      return {};
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
