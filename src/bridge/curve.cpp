#include "ipckit/bridge/curve.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <fstream>
#include <sstream>

#include "ipckit/core/fd.hpp"

namespace ipckit::bridge {

namespace {

constexpr std::size_t kZ85Key = 40;

bool is_z85_key(std::string_view key) {
  if (key.size() != kZ85Key) return false;
  std::array<std::uint8_t, 32> raw{};
  std::string copy(key);
  return zmq_z85_decode(raw.data(), copy.c_str()) != nullptr;
}

Result<std::string> slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail_errno("open", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<void> write_new(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return fail_errno("open", path.string());
  if (fchmod(fd.get(), mode) != 0) return fail_errno("fchmod", path.string());  // past the umask
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return fail_errno("write", path.string());
  }
  return {};
}

// The value of "NAME = VALUE" in a key file.
std::string field(const std::string& text, std::string_view name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](const std::string& s) {
      const auto b = s.find_first_not_of(" \t\r");
      const auto e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    if (trim(line.substr(0, eq)) == name) return trim(line.substr(eq + 1));
  }
  return {};
}

}  // namespace

Result<KeyPair> generate_keypair() {
  if (zmq_has("curve") == 0) {
    return fail(ENOTSUP, "keygen", "", "this libzmq was built without CURVE");
  }
  std::array<char, kZ85Key + 1> pub{};
  std::array<char, kZ85Key + 1> sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0)
    return fail(zmq_errno(), "zmq_curve_keypair", "");
  return KeyPair{pub.data(), sec.data()};
}

Result<void> write_keypair(const std::filesystem::path& base, const KeyPair& keys) {
  auto key = base;
  key += ".key";
  auto pub = base;
  pub += ".pub";
  for (const auto& p : {key, pub}) {
    if (std::filesystem::exists(std::filesystem::symlink_status(p))) {
      return fail(EEXIST, "keygen", p.string(), "the file exists: not overwriting a key");
    }
  }
  auto wrote = write_new(
      key,
      fmt::format("# ipckit bridge CURVE key pair: keep secret\npublic = {}\nsecret = {}\n",
                  keys.public_key, keys.secret_key),
      0600);
  if (!wrote) return wrote;
  wrote = write_new(pub, keys.public_key + "\n", 0644);
  if (!wrote) {
    (void)unlink(key.c_str());
    return wrote;
  }
  return {};
}

Result<KeyPair> read_keypair(const std::filesystem::path& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return fail_errno("stat", path.string());
  if ((st.st_mode & 077) != 0) {
    return fail(EACCES, "read key", path.string(),
                fmt::format("a secret key file must be readable by its owner only (mode {:04o}; "
                            "chmod 600 it)",
                            st.st_mode & 07777));
  }
  auto text = slurp(path);
  if (!text) return std::unexpected(text.error());
  KeyPair keys{field(*text, "public"), field(*text, "secret")};
  if (!is_z85_key(keys.public_key) || !is_z85_key(keys.secret_key)) {
    return fail(EINVAL, "read key", path.string(),
                "not a bridge key file (\"public = \" and \"secret = \" lines of 40 Z85 "
                "characters; make one with ipckit bridge keygen)");
  }
  std::array<char, kZ85Key + 1> derived{};
  if (zmq_curve_public(derived.data(), keys.secret_key.c_str()) != 0 ||
      keys.public_key != derived.data()) {
    return fail(EINVAL, "read key", path.string(), "the public key does not match the secret key");
  }
  return keys;
}

Result<std::string> read_public_key(const std::filesystem::path& path) {
  auto text = slurp(path);
  if (!text) return std::unexpected(text.error());
  std::string key = field(*text, "public");
  if (key.empty()) {
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#') continue;
      key = line;
      while (!key.empty() && (key.back() == '\r' || key.back() == ' '))
        key.pop_back();
      break;
    }
  }
  if (!is_z85_key(key)) {
    return fail(EINVAL, "read key", path.string(),
                "not a public key (one line of 40 Z85 characters; made by ipckit bridge keygen)");
  }
  return key;
}

}  // namespace ipckit::bridge
