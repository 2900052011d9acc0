// A minimal program against an installed ipckit: parses a System V key and formats an Error, then
// checks both results itself, so a broken install fails here even before the test compares stdout.
// Prints three lines and exits 0 when every check passes; prints the failed check and exits 1
// otherwise.
#include <cerrno>
#include <cstdio>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/unix/address.hpp"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: check failed: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  ipckit::Result<ipckit::sysv::Key> key = ipckit::sysv::Key::parse("0x1a2b");
  check(key.has_value(), "Key::parse(\"0x1a2b\") succeeds");
  if (key) {
    check(key->value() == 0x1a2b, "the key's value is 0x1a2b");
    check(key->hex() == "0x00001a2b", "hex() is 0x00001a2b");
    std::printf("key %s = %d\n", key->hex().c_str(), static_cast<int>(key->value()));
  }

  ipckit::Result<ipckit::sysv::Key> bad = ipckit::sysv::Key::parse("0x1a2bz");
  check(!bad.has_value(), "Key::parse(\"0x1a2bz\") fails");
  if (!bad) {
    check(bad.error().code() == EINVAL, "the failure is EINVAL");
    std::printf("bad key rejected: %s\n", bad.error().code() == EINVAL ? "EINVAL" : "other errno");
  }

  ipckit::Error error(ENOENT, "shmget", "key 0x00001a2b");
  check(error.code() == ENOENT, "Error keeps its errno");
  check(error.message() == "shmget(key 0x00001a2b): No such file or directory",
        "Error::message() is operation(object): strerror");
  std::printf("error: %s\n", error.message().c_str());

  // The CMake consumer builds in gnu++23 (CMake's default extensions), where GCC defines the
  // macro `unix` as 1: the Unix-socket namespace must still be nameable.
  auto address = ipckit::uds::UnixAddress::parse("@ipckit-consumer");
  check(address.has_value() && address->is_abstract(), "an @name parses as an abstract address");

  if (failures != 0) return 1;
  std::printf("consumer: ok\n");
  return 0;
}
