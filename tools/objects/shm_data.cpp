// `ipckit shm write NAME [--offset N] (TEXT | --file FILE)` and `ipckit shm read NAME
// [--offset N] [--length N]`: the bytes of a shared memory object, binary-safe.
//
// `read` and `write --file` copy with write(2) and read(2) straight between the mapping and stdout
// or the file, with no buffer in between: besides saving a copy, a page a peer truncated away
// then fails the call with EFAULT instead of killing the command with SIGBUS. (TEXT, a command
// line argument, is small and copied with memcpy.)
#include <fmt/core.h>
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <string>

#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/size.hpp"
#include "objects/shm_object.hpp"

namespace ipckit::cli::ipc::shm {

namespace {

using cli::DataFile;

// EINVAL unless [offset, offset + length) lies inside an object of `size` bytes.
Result<void> check_range(const std::string& operation, const std::string& name, std::size_t size,
                         std::uint64_t offset, std::optional<std::uint64_t> length) {
  if (offset > size) {
    return fail(EINVAL, operation, name,
                fmt::format("offset {} is past the end of the {}-byte object", offset, size));
  }
  if (length && *length > size - offset) {
    return fail(EINVAL, operation, name,
                fmt::format("{} bytes at offset {} go past the end of the {}-byte object", *length,
                            offset, size));
  }
  return {};
}

// ---- write -----------------------------------------------------------------------------------

struct WriteOptions {
  std::string name;
  std::string text;
  std::string file;
  CLI::Option* file_option = nullptr;
  std::uint64_t offset = 0;
};

Result<void> copy_file(const WriteOptions& o, const MappedObject& object,
                       std::span<std::byte> space) {
  auto in = DataFile::open_input(o.file);
  if (!in) return std::unexpected(in.error());
  // A regular file's size is known: refuse one that does not fit before writing anything.
  struct stat st {};
  if (::fstat(in->fd().get(), &st) == 0 && S_ISREG(st.st_mode)) {
    auto fits = check_range("write", object.name(), object.bytes().size(), o.offset,
                            static_cast<std::uint64_t>(st.st_size));
    if (!fits) return fits;
  }
  auto copied = read_full(*in, space);
  if (!copied) return std::unexpected(copied.error());
  if (*copied < space.size()) return {};
  // The space is full: anything more in a pipe could not be written.
  std::byte probe{};
  auto more = read_some(*in, std::span(&probe, 1));
  if (!more) return std::unexpected(more.error());
  if (*more == 0) return {};
  return fail(EFBIG, "write", object.name(),
              fmt::format("{} is longer than the {} bytes from offset {} to the end of the "
                          "object; only those were written",
                          in->name(), space.size(), o.offset));
}

int run_write(const WriteOptions& o) {
  auto target = Target::parse(o.name, name_rules(true));
  if (!target) return report("shm write", target.error());
  auto object = MappedObject::open(*target, true);
  if (!object) return report("shm write", object.error());
  const std::span<std::byte> all = object->bytes();
  if (auto r = check_range("write", object->name(), all.size(), o.offset, std::nullopt); !r)
    return report("shm write", r.error());
  const std::span<std::byte> space = all.subspan(static_cast<std::size_t>(o.offset));
  if (o.file_option->count() > 0) {
    if (auto r = copy_file(o, *object, space); !r) return report("shm write", r.error());
    return kExitOk;
  }
  if (auto r = check_range("write", object->name(), all.size(), o.offset, o.text.size()); !r)
    return report("shm write", r.error());
  if (!o.text.empty()) std::memcpy(space.data(), o.text.data(), o.text.size());
  return kExitOk;
}

// ---- read ------------------------------------------------------------------------------------

struct ReadOptions {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  CLI::Option* length_option = nullptr;
};

int run_read(const ReadOptions& o) {
  auto target = Target::parse(o.name, name_rules(true));
  if (!target) return report("shm read", target.error());
  auto object = MappedObject::open(*target, false);
  if (!object) return report("shm read", object.error());
  const std::span<std::byte> all = object->bytes();
  const auto length = o.length_option->count() > 0 ? std::optional(o.length) : std::nullopt;
  if (auto r = check_range("read", object->name(), all.size(), o.offset, length); !r)
    return report("shm read", r.error());
  const std::span<std::byte> bytes = all.subspan(
      static_cast<std::size_t>(o.offset),
      length ? static_cast<std::size_t>(*length) : all.size() - static_cast<std::size_t>(o.offset));
  auto out = DataFile::open_output("");
  if (!out) return report("shm read", out.error());
  if (auto r = write_all(*out, bytes); !r) return report("shm read", r.error());
  return kExitOk;
}

}  // namespace

Verb add_write(CLI::App& shm) {
  auto o = std::make_shared<WriteOptions>();
  auto* app =
      shm.add_subcommand("write", "Write TEXT or a file's bytes into a shared memory object");
  app->add_option("NAME", o->name, "POSIX name, sysv:KEY or sysv:id:ID")
      ->required()
      ->check(name_validator(name_rules(true)));
  hint(app->get_option("NAME"), {.live = Live::kPosixShm});
  o->file_option =
      add_text_or_file(*app, o->text, o->file, "The bytes to write (no newline is added)",
                       "Write this file's bytes instead ('-' for stdin)",
                       "give the bytes to write as TEXT or with --file FILE");
  app->add_option("--offset", o->offset, "Where to start, in bytes from the object's start")
      ->transform(size_transformer())
      ->default_str("0");
  return {app, [o] { return run_write(*o); }};
}

Verb add_read(CLI::App& shm) {
  auto o = std::make_shared<ReadOptions>();
  auto* app = shm.add_subcommand("read", "Copy a shared memory object's bytes to stdout");
  app->add_option("NAME", o->name, "POSIX name, sysv:KEY or sysv:id:ID")
      ->required()
      ->check(name_validator(name_rules(true)));
  hint(app->get_option("NAME"), {.live = Live::kPosixShm});
  app->add_option("--offset", o->offset, "Where to start, in bytes from the object's start")
      ->transform(size_transformer())
      ->default_str("0");
  o->length_option =
      app->add_option("--length", o->length, "How many bytes (default: up to the end)")
          ->transform(size_transformer());
  return {app, [o] { return run_read(*o); }};
}

}  // namespace ipckit::cli::ipc::shm
