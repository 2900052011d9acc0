// `ipckit sem create|post|wait|get|rm NAME`: semaphores from a shell. NAME is a POSIX named
// semaphore (/dev/shm/sem.NAME) by default; sysv:KEY (or sysv:id:ID) is a System V set, whose
// counters post, wait and get pick with --index. docs/cli.md documents the command.
//
// The command never uses SEM_UNDO: it exits right after its operation, and an undo would take
// back the post or wait it was asked to make.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/values.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "objects/object_target.hpp"

namespace ipckit::cli::ipc::sem {

namespace {

NameRules name_rules(bool allow_id) {
  return NameRules{.what = "semaphore name",
                   .kind = posix::NameKind::kSemaphore,
                   .sysv = true,
                   .sysv_id = allow_id,
                   .reserve_sem_prefix = false,
                   .sysv_refusal = {}};
}

std::string describe(const Target& target) {
  if (target.kind() == Target::Kind::kSysvKey) return target.key().describe();
  return sysv::SemId(target.id()).describe();
}

Result<sysv::SemaphoreSet> open_set(const Target& target) {
  if (target.kind() == Target::Kind::kSysvKey) return sysv::SemaphoreSet::open(target.key());
  auto set = sysv::SemaphoreSet::from_id(sysv::SemId(target.id()));
  if (!set) return std::unexpected(explain_id_error(set.error(), "semaphore set"));
  return set;
}

// semop and GETVAL report an index past the end as EFBIG or EINVAL: say so plainly.
Error explain_index(const sysv::SemaphoreSet& set, int index, const Error& e) {
  if (e.code() != EFBIG && e.code() != EINVAL) return e;
  auto st = set.stat();
  if (!st || static_cast<std::size_t>(index) < st->nsems) return e;
  return e.with_detail(fmt::format("index {} is out of range: the set has {} semaphore{}", index,
                                   st->nsems, st->nsems == 1 ? "" : "s"));
}

// Throws a usage error for --index on a POSIX semaphore, which is a single counter.
void refuse_index_on_posix(const std::string& name, const CLI::Option* index) {
  auto target = Target::parse(name, name_rules(true));
  if (target && !target->is_sysv() && index->count() > 0) {
    throw CLI::ValidationError("--index",
                               "only a System V set (sysv:KEY) has more than one semaphore");
  }
}

// ---- create ----------------------------------------------------------------------------------

struct CreateOptions {
  std::string name;
  unsigned value = 0;
  int count = 1;
  CLI::Option* count_option = nullptr;
  std::string mode = "0600";
};

int run_create(const CreateOptions& o) {
  auto target = Target::parse(o.name, name_rules(false));
  if (!target) return report("sem create", target.error());
  const mode_t mode = mode_value(o.mode);
  if (target->is_sysv()) {
    const std::vector<unsigned short> initial(static_cast<std::size_t>(o.count),
                                              static_cast<unsigned short>(o.value));
    auto made =
        sysv::SemaphoreSet::create(target->key(), o.count, initial, mode, sysv::Exclusive::kYes);
    if (!made) return report("sem create", made.error());
  } else {
    auto made =
        posix::NamedSemaphore::create(target->text(), o.value, mode, posix::Exclusive::kYes);
    if (!made) return report("sem create", made.error());
  }
  return kExitOk;
}

Verb add_create(CLI::App& sem) {
  auto o = std::make_shared<CreateOptions>();
  auto* app = sem.add_subcommand("create",
                                 "Create a semaphore, or a System V set (fails if NAME "
                                 "exists)");
  app->add_option("NAME", o->name, "POSIX name (/dev/shm/sem.NAME), or sysv:KEY")
      ->required()
      ->check(name_validator(name_rules(false)));
  app->add_option("--value", o->value, "Initial count (of every semaphore of a set)")
      ->check(unsigned_validator(0, UINT32_MAX))
      ->default_str("0");
  o->count_option = app->add_option("--count", o->count, "System V only: semaphores in the set")
                        ->check(integer_validator(1, 65535))
                        ->default_str("1");
  app->add_option("--mode", o->mode, "Permission bits, in octal (umask is not applied)")
      ->check(mode_validator())
      ->default_str("0600");
  app->callback([o] {
    auto target = Target::parse(o->name, name_rules(false));
    if (!target) return;  // the NAME validator has reported it
    if (!target->is_sysv() && o->count_option->count() > 0) {
      throw CLI::ValidationError("--count",
                                 "only a System V set (sysv:KEY) has more than one semaphore");
    }
    const unsigned max =
        target->is_sysv() ? static_cast<unsigned>(sysv::kSemValueMax) : posix::kSemValueMax;
    if (o->value > max) {
      throw CLI::ValidationError(
          "--value", fmt::format("{} is above {}, the largest value of a {} semaphore", o->value,
                                 max, target->is_sysv() ? "System V" : "POSIX"));
    }
  });
  return {app, [o] { return run_create(*o); }};
}

// ---- post, wait, get -------------------------------------------------------------------------

struct OpOptions {
  std::string name;
  int index = 0;
  CLI::Option* index_option = nullptr;
  double timeout = -1;
  bool nonblock = false;
};

// Adds NAME and --index to a verb, and the check that --index goes with a System V set.
std::shared_ptr<OpOptions> add_op_options(CLI::App* app) {
  auto o = std::make_shared<OpOptions>();
  app->add_option("NAME", o->name, "POSIX name, sysv:KEY or sysv:id:ID")
      ->required()
      ->check(name_validator(name_rules(true)));
  hint(app->get_option("NAME"), {.live = Live::kPosixSem});
  o->index_option = app->add_option("--index", o->index,
                                    "System V only: which semaphore of "
                                    "the set, from 0")
                        ->check(integer_validator(0, 65535))
                        ->default_str("0");
  app->callback([o] { refuse_index_on_posix(o->name, o->index_option); });
  return o;
}

int run_post(const OpOptions& o) {
  auto target = Target::parse(o.name, name_rules(true));
  if (!target) return report("sem post", target.error());
  if (!target->is_sysv()) {
    auto sem = posix::NamedSemaphore::open(target->text());
    if (!sem) return report("sem post", sem.error());
    if (auto r = sem->post(); !r) return report("sem post", r.error());
    return kExitOk;
  }
  auto set = open_set(*target);
  if (!set) return report("sem post", set.error());
  const sysv::SemOp op{static_cast<unsigned short>(o.index), 1, 0};
  if (auto r = set->apply({op}); !r)
    return report("sem post", explain_index(*set, o.index, r.error()));
  return kExitOk;
}

int run_wait(const OpOptions& o) {
  auto target = Target::parse(o.name, name_rules(true));
  if (!target) return report("sem wait", target.error());
  const bool timed = o.timeout >= 0;
  const auto timeout = to_duration(o.timeout);
  if (!target->is_sysv()) {
    auto sem = posix::NamedSemaphore::open(target->text());
    if (!sem) return report("sem wait", sem.error());
    if (o.nonblock) {
      auto took = sem->try_wait();
      if (!took) return report("sem wait", took.error());
      if (!*took) return report("sem wait", Error(EAGAIN, "wait", sem->name(), "the count is 0"));
      return kExitOk;
    }
    auto r = timed ? sem->wait_for(timeout) : sem->wait();
    if (!r && r.error().code() == ETIMEDOUT) {
      return report("sem wait", Error(ETIMEDOUT, "wait", sem->name(),
                                      fmt::format("the count stayed at 0 for {}",
                                                  describe_seconds(o.timeout))));
    }
    if (!r) return report("sem wait", r.error());
    return kExitOk;
  }
  auto set = open_set(*target);
  if (!set) return report("sem wait", set.error());
  const auto num = static_cast<unsigned short>(o.index);
  Result<void> r;
  if (o.nonblock) {
    r = set->apply({sysv::SemOp{num, -1, sysv::kNoWait}});
    if (!r && r.error().code() == EAGAIN) {
      r = fail(EAGAIN, "wait", describe(*target), fmt::format("semaphore {} is 0", o.index));
    }
  } else if (timed) {
    r = set->apply_for({sysv::SemOp{num, -1, 0}}, timeout);
    if (!r && r.error().code() == ETIMEDOUT) {
      r = fail(
          ETIMEDOUT, "wait", describe(*target),
          fmt::format("semaphore {} stayed at 0 for {}", o.index, describe_seconds(o.timeout)));
    }
  } else {
    r = set->apply({sysv::SemOp{num, -1, 0}});
  }
  if (!r) return report("sem wait", explain_index(*set, o.index, r.error()));
  return kExitOk;
}

int run_get(const OpOptions& o) {
  auto target = Target::parse(o.name, name_rules(true));
  if (!target) return report("sem get", target.error());
  Result<int> value = 0;
  if (!target->is_sysv()) {
    auto sem = posix::NamedSemaphore::open(target->text());
    if (!sem) return report("sem get", sem.error());
    value = sem->value();
  } else {
    auto set = open_set(*target);
    if (!set) return report("sem get", set.error());
    value = set->value(static_cast<unsigned short>(o.index));
    if (!value) return report("sem get", explain_index(*set, o.index, value.error()));
  }
  if (!value) return report("sem get", value.error());
  fmt::print("{}\n", *value);
  return kExitOk;
}

Verb add_post(CLI::App& sem) {
  auto* app = sem.add_subcommand("post", "Add one to a semaphore (wakes one waiter)");
  auto o = add_op_options(app);
  return {app, [o] { return run_post(*o); }};
}

Verb add_wait(CLI::App& sem) {
  auto* app = sem.add_subcommand("wait", "Take one from a semaphore, waiting while it is 0");
  auto o = add_op_options(app);
  auto* timeout =
      app->add_option("--timeout", o->timeout, "Give up if the count stays 0 for this many seconds")
          ->check(seconds_validator());
  app->add_flag("--nonblock", o->nonblock, "Fail at once if the semaphore is 0")->excludes(timeout);
  return {app, [o] { return run_wait(*o); }};
}

Verb add_get(CLI::App& sem) {
  auto* app = sem.add_subcommand("get", "Print a semaphore's count");
  auto o = add_op_options(app);
  return {app, [o] { return run_get(*o); }};
}

// ---- rm --------------------------------------------------------------------------------------

Result<void> remove(const Target& target) {
  if (!target.is_sysv()) return posix::NamedSemaphore::unlink(target.text());
  auto set = open_set(target);
  if (!set) return std::unexpected(set.error());
  return set->remove();
}

Verb add_rm(CLI::App& sem) {
  return add_rm_verb(sem, "Remove semaphores (and System V sets)", "sem rm", name_rules(true),
                     remove);
}

Runner register_sem(CLI::App& app) {
  auto* sem = app.add_subcommand(
      "sem", "Semaphores, POSIX named or System V sets: create, post, wait, get, remove");
  sem->require_subcommand(1);
  return dispatch({add_create(*sem), add_post(*sem), add_wait(*sem), add_get(*sem), add_rm(*sem)});
}

}  // namespace

IPCKIT_COMMAND(120, register_sem);

}  // namespace ipckit::cli::ipc::sem
