// ipckit-bench-boost-mq: Boost.Interprocess message_queue (a ring of fixed-size slots in POSIX
// shared memory, guarded by a process-shared mutex and condition variables).
//
// Lossless by design: send() blocks while the queue is full, receive() while it is empty. The
// Link creates the two queues (A to B, and B to A for latency replies) with unique names, each
// slot exactly the cell's message size, and removes them in its destructor; the processes open
// them after fork(). Boost reports errors by exceptions, which stop here: every call returns
// Result.
#include <boost/interprocess/ipc/message_queue.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "harness/peer_main.hpp"
#include "harness/runner.hpp"

namespace ipckit::bench {
namespace {

namespace bip = boost::interprocess;

// Queue depth: up to 256 messages, at most 16 MiB of slots per queue (1 MiB messages: 16).
std::size_t queue_depth(std::size_t size) {
  return std::clamp<std::size_t>((std::size_t{16} << 20) / size, 4, 256);
}

std::unexpected<Error> boost_fail(std::string operation, const std::string& name,
                                  const bip::interprocess_exception& e) {
  int code = e.get_native_error() != 0 ? e.get_native_error() : EIO;
  return fail(code, std::move(operation), name, e.what());
}

class BoostMqEndpoint final : public Endpoint {
 public:
  BoostMqEndpoint(std::unique_ptr<bip::message_queue> out, std::unique_ptr<bip::message_queue> in,
                  std::string out_name, std::string in_name, std::size_t size)
      : out_(std::move(out)),
        in_(std::move(in)),
        out_name_(std::move(out_name)),
        in_name_(std::move(in_name)),
        outgoing_(size),
        incoming_(size) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (size > outgoing_.size())
      return fail(EMSGSIZE, "message_queue::send", out_name_, "message larger than a slot");
    return std::span<std::byte>(outgoing_.data(), size);
  }
  Result<void> send(std::size_t size) override {
    try {
      out_->send(outgoing_.data(), size, 0);
    } catch (const bip::interprocess_exception& e) {
      return boost_fail("message_queue::send", out_name_, e);
    }
    return {};
  }
  Result<std::span<const std::byte>> receive() override {
    bip::message_queue::size_type received = 0;
    unsigned int priority = 0;
    try {
      in_->receive(incoming_.data(), incoming_.size(), received, priority);
    } catch (const bip::interprocess_exception& e) {
      return boost_fail("message_queue::receive", in_name_, e);
    }
    return std::span<const std::byte>(incoming_.data(), received);
  }

 private:
  std::unique_ptr<bip::message_queue> out_, in_;
  std::string out_name_, in_name_;
  std::vector<std::byte> outgoing_, incoming_;
};

// Owns the two named queues: created here, removed by the destructor.
class BoostMqLink final : public Link {
 public:
  static Result<std::unique_ptr<Link>> make(std::size_t size) {
    static std::atomic<unsigned> counter{0};
    std::string base =
        "ipckit-bench-boost-mq-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto link = std::unique_ptr<BoostMqLink>(new BoostMqLink(base + "-ab", base + "-ba", size));
    for (const std::string& name : {link->a_to_b_, link->b_to_a_}) {
      try {
        bip::message_queue queue(bip::create_only, name.c_str(), queue_depth(size), size);
      } catch (const bip::interprocess_exception& e) {
        return boost_fail("message_queue(create_only)", name, e);
      }
      link->created_.push_back(name);
    }
    return link;
  }
  ~BoostMqLink() override {
    for (const std::string& name : created_)
      bip::message_queue::remove(name.c_str());
  }

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const std::string& out = role == Role::kA ? a_to_b_ : b_to_a_;
    const std::string& in = role == Role::kA ? b_to_a_ : a_to_b_;
    try {
      return std::make_unique<BoostMqEndpoint>(
          std::make_unique<bip::message_queue>(bip::open_only, out.c_str()),
          std::make_unique<bip::message_queue>(bip::open_only, in.c_str()), out, in, size_);
    } catch (const bip::interprocess_exception& e) {
      return boost_fail("message_queue(open_only)", out + ", " + in, e);
    }
  }

 private:
  BoostMqLink(std::string a_to_b, std::string b_to_a, std::size_t size)
      : a_to_b_(std::move(a_to_b)), b_to_a_(std::move(b_to_a)), size_(size) {}
  std::string a_to_b_, b_to_a_;
  std::size_t size_;
  std::vector<std::string> created_;  // removed by the destructor (only these)
};

Mechanism boost_mq_mechanism() {
  return link_mechanism("boost-mq",
                        "Boost " + std::to_string(BOOST_VERSION / 100000) + "." +
                            std::to_string(BOOST_VERSION / 100 % 1000) +
                            " interprocess::message_queue; lossless: blocking send and receive; "
                            "slots of the message size, up to 256 deep (16 MiB per queue)",
                        [](const Cell& c) { return BoostMqLink::make(c.size); });
}

}  // namespace
}  // namespace ipckit::bench

int main(int argc, char** argv) {
  return ipckit::bench::peer_main(argc, argv, ipckit::bench::boost_mq_mechanism());
}
