// `ipckit shm create|write|read|stat|rm NAME`: shared memory from a shell, POSIX objects
// (/dev/shm/NAME) and System V segments (sysv:KEY, sysv:id:ID) alike.
//
// This file registers `shm` and holds create, stat and rm; write and read (the bytes) live in
// shm_data.cpp, the object both kinds share in shm_object.hpp. docs/cli.md documents the command.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/details.hpp"
#include "cli/exit_codes.hpp"
#include "cli/size.hpp"
#include "ipckit/posix/shm.hpp"
#include "objects/shm_object.hpp"

namespace ipckit::cli::ipc::shm {

Verb add_write(CLI::App& shm);  // shm_data.cpp
Verb add_read(CLI::App& shm);   // shm_data.cpp

namespace {

// ---- create ----------------------------------------------------------------------------------

struct CreateOptions {
  std::string name;
  std::uint64_t size = 0;
  std::string mode = "0600";
};

int run_create(const CreateOptions& o) {
  auto target = Target::parse(o.name, name_rules(false));
  if (!target) return report("shm create", target.error());
  const mode_t mode = mode_value(o.mode);
  const auto size = static_cast<std::size_t>(o.size);
  if (target->is_sysv()) {
    auto made = sysv::SharedMemory::create(target->key(), size, mode, sysv::Exclusive::kYes);
    if (!made) return report("shm create", made.error());
  } else {
    auto made =
        posix::SharedMemoryObject::create(target->text(), size, mode, posix::Exclusive::kYes);
    if (!made) return report("shm create", made.error());
  }
  return kExitOk;
}

Verb add_create(CLI::App& shm) {
  auto o = std::make_shared<CreateOptions>();
  auto* app = shm.add_subcommand("create", "Create a shared memory object (fails if NAME exists)");
  app->add_option("NAME", o->name, "POSIX name (/dev/shm/NAME), or sysv:KEY")
      ->required()
      ->check(name_validator(name_rules(false)));
  app->add_option("--size", o->size, "Size in bytes (4K, 1M...); the bytes start as zeros")
      ->required()
      ->transform(size_transformer())
      ->check(size_at_least(1));
  app->add_option("--mode", o->mode, "Permission bits, in octal (umask is not applied)")
      ->check(mode_validator())
      ->default_str("0600");
  return {app, [o] { return run_create(*o); }};
}

// ---- stat ------------------------------------------------------------------------------------

int stat_posix(const Target& target, bool json) {
  auto object = posix::SharedMemoryObject::open(target.text(), posix::ShmAccess::kReadOnly);
  if (!object) return report("shm stat", object.error());
  auto st = object->stat();
  if (!st) return report("shm stat", st.error());
  if (json) {
    const nlohmann::ordered_json doc = {
        {"name", object->name()},
        {"kind", "posix"},
        {"path", "/dev/shm" + object->name()},
        {"size", st->size},
        {"mode", octal_mode(st->mode)},
        {"uid", st->uid},
        {"gid", st->gid},
        {"inode", st->inode},
        {"atime", format_time(st->atime.tv_sec, true)},
        {"mtime", format_time(st->mtime.tv_sec, true)},
        {"ctime", format_time(st->ctime.tv_sec, true)},
    };
    print_json(doc);
    return kExitOk;
  }
  print_detail("name", fmt::format("{} (/dev/shm{})", object->name(), object->name()));
  print_detail("kind", "POSIX shared memory");
  print_detail("size", size_detail(st->size));
  print_detail("mode", octal_mode(st->mode));
  print_detail("owner", fmt::format("uid {}, gid {}", st->uid, st->gid));
  print_detail("inode", std::to_string(st->inode));
  print_detail("accessed", format_time(st->atime.tv_sec, false));
  print_detail("modified", format_time(st->mtime.tv_sec, false));
  print_detail("changed", format_time(st->ctime.tv_sec, false));
  return kExitOk;
}

int stat_sysv(const Target& target, bool json) {
  auto segment = open_segment(target);
  if (!segment) return report("shm stat", segment.error());
  auto st = segment->stat();
  if (!st) return report("shm stat", st.error());
  const int id = segment->id().value;
  if (json) {
    const nlohmann::ordered_json doc = {
        {"name", target.text()},
        {"kind", "sysv"},
        {"key", st->key.hex()},
        {"id", id},
        {"size", st->size},
        {"mode", octal_mode(st->mode)},
        {"uid", st->uid},
        {"gid", st->gid},
        {"cuid", st->cuid},
        {"cgid", st->cgid},
        {"cpid", st->cpid},
        {"lpid", st->lpid},
        {"nattch", st->nattch},
        {"atime", json_time_or_never(st->atime)},
        {"dtime", json_time_or_never(st->dtime)},
        {"ctime", json_time_or_never(st->ctime)},
        {"removed", st->removed},
    };
    print_json(doc);
    return kExitOk;
  }
  print_detail("name", fmt::format("{} (System V segment)", target.text()));
  print_detail("key", st->key.hex());
  print_detail("id", std::to_string(id));
  print_detail("size", size_detail(st->size));
  print_detail("mode", octal_mode(st->mode));
  print_detail("owner", fmt::format("uid {}, gid {}", st->uid, st->gid));
  print_detail("creator", fmt::format("uid {}, gid {}, pid {}", st->cuid, st->cgid, st->cpid));
  print_detail("last pid", std::to_string(st->lpid));
  print_detail("attachments", std::to_string(st->nattch));
  print_detail("attached at", text_time_or_never(st->atime));
  print_detail("detached at", text_time_or_never(st->dtime));
  print_detail("changed", text_time_or_never(st->ctime));
  print_detail("removed", st->removed ? "yes (destroyed when the last attachment goes)" : "no");
  return kExitOk;
}

Verb add_stat(CLI::App& shm) {
  struct StatOptions {
    std::string name;
    bool json = false;
  };
  auto o = std::make_shared<StatOptions>();
  auto* app = shm.add_subcommand("stat", "Show a shared memory object's size, mode and owner");
  app->add_option("NAME", o->name, "POSIX name, sysv:KEY or sysv:id:ID")
      ->required()
      ->check(name_validator(name_rules(true)));
  hint(app->get_option("NAME"), {.live = Live::kPosixShm});
  app->add_flag("--json", o->json, "Print one JSON object");
  return {app, [o] {
            auto target = Target::parse(o->name, name_rules(true));
            if (!target) return report("shm stat", target.error());
            return target->is_sysv() ? stat_sysv(*target, o->json) : stat_posix(*target, o->json);
          }};
}

// ---- rm --------------------------------------------------------------------------------------

Result<void> remove(const Target& target) {
  if (!target.is_sysv()) return posix::SharedMemoryObject::unlink(target.text());
  auto segment = open_segment(target);
  if (!segment) return std::unexpected(segment.error());
  return segment->remove();
}

Verb add_rm(CLI::App& shm) {
  return add_rm_verb(shm, "Remove shared memory objects", "shm rm", name_rules(true), remove);
}

Runner register_shm(CLI::App& app) {
  auto* shm = app.add_subcommand(
      "shm", "Shared memory, POSIX or System V: create, write, read, inspect, remove");
  shm->require_subcommand(1);
  return dispatch(
      {add_create(*shm), add_write(*shm), add_read(*shm), add_stat(*shm), add_rm(*shm)});
}

}  // namespace

IPCKIT_COMMAND(110, register_shm);

}  // namespace ipckit::cli::ipc::shm
