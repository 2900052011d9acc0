#include "objects/shm_object.hpp"

#include <utility>

#include "ipckit/posix/shm.hpp"

namespace ipckit::cli::ipc::shm {

NameRules name_rules(bool allow_id) {
  return NameRules{.what = "shared memory name",
                   .kind = posix::NameKind::kSharedMemory,
                   .sysv = true,
                   .sysv_id = allow_id,
                   .reserve_sem_prefix = true,
                   .sysv_refusal = {}};
}

std::string describe(const Target& target) {
  switch (target.kind()) {
    case Target::Kind::kSysvKey:
      return target.key().describe();
    case Target::Kind::kSysvId:
      return sysv::ShmId(target.id()).describe();
    case Target::Kind::kPosix:
      break;
  }
  const std::string& t = target.text();
  return t.starts_with('/') ? t : "/" + t;
}

Result<sysv::SharedMemory> open_segment(const Target& target) {
  if (target.kind() == Target::Kind::kSysvKey) return sysv::SharedMemory::open(target.key());
  auto segment = sysv::SharedMemory::from_id(sysv::ShmId(target.id()));
  if (!segment) return std::unexpected(explain_id_error(segment.error(), "segment"));
  return segment;
}

Result<MappedObject> MappedObject::open(const Target& target, bool writable) {
  MappedObject out;
  if (target.kind() == Target::Kind::kPosix) {
    const auto access = writable ? posix::ShmAccess::kReadWrite : posix::ShmAccess::kReadOnly;
    auto object = posix::SharedMemoryObject::open(target.text(), access);
    if (!object) return std::unexpected(object.error());
    out.name_ = object->name();
    auto st = object->stat();
    if (!st) return std::unexpected(st.error());
    if (st->size > 0) {
      auto mapping = object->map(access);
      if (!mapping) return std::unexpected(mapping.error());
      out.posix_.emplace(std::move(*mapping));
    }
    return out;
  }
  out.name_ = describe(target);
  auto segment = open_segment(target);
  if (!segment) return std::unexpected(segment.error());
  auto attachment = segment->attach(writable ? sysv::Access::kReadWrite : sysv::Access::kReadOnly);
  if (!attachment) return std::unexpected(attachment.error());
  out.sysv_.emplace(std::move(*attachment));
  return out;
}

std::span<std::byte> MappedObject::bytes() const noexcept {
  if (posix_) return posix_->bytes();
  if (sysv_) return sysv_->bytes();
  return {};
}

}  // namespace ipckit::cli::ipc::shm
