// ipckit.Channel, Sender, Receiver and PeekedMessage (docs/python.md).
//
// Ownership: a Python Sender or Receiver owns its ipckit handle (registered in the channel header
// until close() or garbage collection). A PeekedMessage shares its Receiver's box; the message
// stays in the ring until the PeekedMessage is released and no view of it is left.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "blocking.hpp"
#include "errors.hpp"
#include "ipckit/channel.hpp"
#include "view_buffer.hpp"

namespace py = pybind11;
using namespace py::literals;

namespace ipckit::python {

namespace {

using channel::Channel;
using channel::ChannelInfo;
using channel::Receiver;
using channel::Sender;

sysv::Key sysv_key(long long key) {
  return sysv::Key(static_cast<key_t>(static_cast<std::uint32_t>(key)));
}

channel::WaitPolicy wait_policy(const std::string& wait, double spin) {
  channel::WaitPolicy p;
  if (wait == "spin") {
    p.mode = channel::WaitMode::kSpinThenBlock;
  } else if (wait == "block") {
    p.mode = channel::WaitMode::kBlock;
  } else if (wait == "busy") {
    p.mode = channel::WaitMode::kBusyPoll;
  } else {
    raise_value_error("wait must be 'spin', 'block' or 'busy'");
  }
  if (!(spin >= 0 && spin <= 1)) raise_value_error("spin must be 0 to 1 second");
  p.spin =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(spin));
  return p;
}

template <class E>
E side(const std::string& value, const char* what) {
  if (value == "single") return E::kSingle;
  if (value == "multi") return E::kMulti;
  raise_value_error(std::string(what) + " must be 'single' or 'multi'");
}

py::object info_to_python(const ChannelInfo& info) {
  const py::module_ types = py::module_::import("ipckit._types");
  py::list participants;
  for (const auto& p : info.participants)
    participants.append(types.attr("Participant")("pid"_a = p.pid, "producer"_a = p.producer,
                                                  "consumer"_a = p.consumer, "alive"_a = p.alive));
  return types.attr("ChannelInfo")(
      "name"_a = info.name, "capacity"_a = info.capacity, "max_message"_a = info.max_message,
      "producers"_a = info.producers == channel::Producers::kMulti ? "multi" : "single",
      "consumers"_a = info.consumers == channel::Consumers::kMulti ? "multi" : "single",
      "creator_pid"_a = info.creator_pid, "creator_uid"_a = info.creator_uid,
      "creator_alive"_a = info.creator_alive, "created_unix_ns"_a = info.created_unix_ns,
      "head"_a = info.head, "tail"_a = info.tail, "used"_a = info.used(), "stale"_a = info.stale(),
      "participants"_a = participants, "corrupted"_a = info.corrupted);
}

// --- Channel
// --------------------------------------------------------------------------------------

struct PyChannel {
  std::optional<Channel> channel;
  Channel& get() {
    if (!channel) raise(Error(EBADF, "channel", "", "the channel handle is closed"));
    return *channel;
  }
};

// --- Sender
// ---------------------------------------------------------------------------------------

struct PySender {
  std::optional<Sender> sender;
  bool busy = false;
  Sender& get() {
    if (!sender) raise(Error(EBADF, "send", "", "the sender is closed"));
    return *sender;
  }

  void send(const py::handle& data, std::optional<double> timeout) {
    const Deadline deadline(timeout);
    InUse in_use(busy);
    Sender& s = get();
    const BorrowedBuffer buffer(data, false);
    const std::span<const std::byte> bytes(buffer.data(), buffer.size());
    // Fast path: room now, no GIL round trip. Timeout 0 takes nothing when there is no room.
    auto r = s.send(bytes, Timeout::zero());
    if (!r && r.error().code() == ETIMEDOUT && !deadline.zero())
      r = wait_sliced(deadline, [&](Timeout slice) { return s.send(bytes, slice); });
    value_or_raise(std::move(r));
  }

  bool try_send(const py::handle& data) {
    InUse in_use(busy);
    Sender& s = get();
    const BorrowedBuffer buffer(data, false);
    return value_or_raise(s.try_send(std::span<const std::byte>(buffer.data(), buffer.size())));
  }
};

// --- Receiver
// -------------------------------------------------------------------------------------

// What a Receiver and its PeekedMessages share.
struct RxBox {
  std::optional<Receiver> receiver;
  // The ViewBuffer of the message peeked and not yet released from the ring (None: nothing).
  py::object peeked;
  bool peek_open = false;  // a PeekedMessage still holds it (not released by the user yet)
  bool busy = false;

  Receiver& get() {
    if (!receiver) raise(Error(EBADF, "recv", "", "the receiver is closed"));
    return *receiver;
  }

  // Before every call: a message peeked earlier leaves the ring only once nobody can read it.
  void settle() {
    if (!peeked) return;
    if (peek_open)
      raise_buffer_error(
          "a peeked message is still open: leave its `with` block or call its release() first");
    if (exports(peeked) > 0)
      raise_buffer_error(
          "views of the last peeked message are still alive: delete them (the message stays in "
          "the ring until then)");
    peeked = py::object();
    if (receiver) receiver->release();
  }
};

class PeekedMessage {
 public:
  PeekedMessage(std::shared_ptr<RxBox> box, py::object buffer, std::size_t size)
      : box_(std::move(box)), buffer_(std::move(buffer)), size_(size) {
    view_ = memoryview_of(buffer_);
  }
  PeekedMessage(const PeekedMessage&) = delete;
  PeekedMessage& operator=(const PeekedMessage&) = delete;
  ~PeekedMessage() { close(false); }

  py::object view() const {
    if (done_) raise_value_error("the peeked message was released");
    return view_;
  }
  std::size_t size() const noexcept { return size_; }
  py::bytes tobytes() const {
    (void)view();
    const py::buffer_info info = py::buffer(view_).request();
    return {static_cast<const char*>(info.ptr), static_cast<std::size_t>(info.size)};
  }
  // Gives the message back to the ring; `raise_if_viewed`: raise BufferError when views of it
  // are still alive (the message then leaves the ring on the Receiver's next call after they go).
  void close(bool raise_if_viewed) {
    if (done_) return;
    done_ = true;
    if (view_) {
      PyObject* released = PyObject_CallMethod(view_.ptr(), "release", nullptr);
      if (released == nullptr) {
        PyErr_Clear();  // the view has exports of its own (a numpy array): counted below
      } else {
        Py_DECREF(released);
      }
      view_ = py::object();
    }
    close_view_buffer(buffer_);
    box_->peek_open = false;
    if (exports(buffer_) == 0 && box_->peeked.is(buffer_)) {
      box_->peeked = py::object();
      if (box_->receiver) box_->receiver->release();
      return;
    }
    if (raise_if_viewed && exports(buffer_) > 0)
      raise_buffer_error(
          "views of the peeked message are still alive: it stays in the ring until they are "
          "deleted");
  }

 private:
  std::shared_ptr<RxBox> box_;
  py::object buffer_;
  py::object view_;
  std::size_t size_;
  bool done_ = false;
};

struct PyReceiver {
  std::shared_ptr<RxBox> box = std::make_shared<RxBox>();

  // A copy of the peeked message as bytes, then released. REQUIRES: the GIL.
  static py::bytes take(Receiver& r, std::span<const std::byte> message) {
    py::bytes out(reinterpret_cast<const char*>(message.data()), message.size());
    r.release();
    return out;
  }

  Result<std::span<const std::byte>> peek_waiting(Receiver& r, const Deadline& deadline) {
    if (deadline.zero()) return r.peek(Timeout::zero());
    auto fast = r.try_peek();
    if (!fast) return std::unexpected(fast.error());
    if (*fast) return **fast;
    return wait_sliced(deadline, [&](Timeout slice) { return r.peek(slice); });
  }

  Result<py::bytes> recv_result(std::optional<double> timeout) {
    const Deadline deadline(timeout);
    box->settle();
    InUse in_use(box->busy);
    Receiver& r = box->get();
    auto m = peek_waiting(r, deadline);
    if (!m) return std::unexpected(m.error());
    return take(r, *m);
  }

  py::bytes recv(std::optional<double> timeout) { return value_or_raise(recv_result(timeout)); }

  py::object try_recv() {
    box->settle();
    InUse in_use(box->busy);
    Receiver& r = box->get();
    auto m = value_or_raise(r.try_peek());
    if (!m) return py::none();
    return take(r, *m);
  }

  std::size_t recv_into(const py::handle& target, std::optional<double> timeout) {
    const Deadline deadline(timeout);
    box->settle();
    InUse in_use(box->busy);
    Receiver& r = box->get();
    const BorrowedBuffer buffer(target, true);
    const std::span<std::byte> into(buffer.data(), buffer.size());
    if (!deadline.zero()) {
      auto fast = value_or_raise(r.try_recv(into));
      if (fast) return *fast;
    }
    return value_or_raise(
        wait_sliced(deadline, [&](Timeout slice) { return r.recv(into, slice); }));
  }

  std::unique_ptr<PeekedMessage> lend(std::span<const std::byte> message) {
    // Read-only: the ring belongs to the producer again once the message is released.
    auto* bytes = const_cast<std::byte*>(message.data());
    py::object buffer = make_view_buffer({bytes, message.size()}, false);
    box->peeked = buffer;
    box->peek_open = true;
    return std::make_unique<PeekedMessage>(box, buffer, message.size());
  }

  std::unique_ptr<PeekedMessage> peek(std::optional<double> timeout) {
    const Deadline deadline(timeout);
    box->settle();
    InUse in_use(box->busy);
    Receiver& r = box->get();
    return lend(value_or_raise(peek_waiting(r, deadline)));
  }

  std::unique_ptr<PeekedMessage> try_peek() {
    box->settle();
    InUse in_use(box->busy);
    Receiver& r = box->get();
    auto m = value_or_raise(r.try_peek());
    if (!m) return nullptr;
    return lend(*m);
  }

  py::bytes next() {
    auto r = recv_result(std::nullopt);
    if (!r && r.error().code() == EPIPE) throw py::stop_iteration();
    return value_or_raise(std::move(r));
  }

  void close() {
    box->settle();
    box->receiver.reset();
  }
};

Channel create_channel(const Target& t, std::size_t capacity, std::size_t max_message,
                       const std::string& producers, const std::string& consumers, unsigned mode) {
  channel::ChannelOptions o;
  o.capacity = capacity;
  o.max_message = max_message;
  o.producers = side<channel::Producers>(producers, "producers");
  o.consumers = side<channel::Consumers>(consumers, "consumers");
  if (mode > 07777) raise_value_error("mode must be permission bits, 0 to 0o7777");
  o.mode = static_cast<mode_t>(mode);
  return value_or_raise(t.name ? Channel::create(*t.name, o)
                               : Channel::create(sysv_key(*t.key), o));
}

}  // namespace

void register_channel(py::module_& m) {
  py::class_<PyChannel>(m, "Channel", R"doc(
A named shared-memory ring: every message delivered exactly once, in order, between processes
(C++ or Python). Take a Sender or a Receiver from it to move messages.

Name a POSIX channel by `name` (/dev/shm/NAME) or a System V one by `key=`.)doc")
      .def_static(
          "create",
          [](std::optional<std::string> name, std::optional<long long> key, std::size_t capacity,
             std::size_t max_message, const std::string& producers, const std::string& consumers,
             unsigned mode) {
            const Target t = target_of(name, key);
            return PyChannel{create_channel(t, capacity, max_message, producers, consumers, mode)};
          },
          "name"_a = py::none(), py::kw_only(), "key"_a = py::none(), "capacity"_a = 1u << 20,
          "max_message"_a = 0, "producers"_a = "single", "consumers"_a = "single", "mode"_a = 0600,
          R"doc(Create a channel and publish it atomically. capacity: ring bytes, a power of two
from 4 KiB to 16 GiB; max_message: largest payload (0: capacity/4); producers, consumers:
'single' or 'multi'; mode: permission bits. Raises FileExistsError, InvalidArgumentError,
PermissionError, OSError(ENOSPC).)doc")
      .def_static(
          "open",
          [](std::optional<std::string> name, std::optional<long long> key) {
            const Target t = target_of(name, key);
            return PyChannel{
                value_or_raise(t.name ? Channel::open(*t.name) : Channel::open(sysv_key(*t.key)))};
          },
          "name"_a = py::none(), py::kw_only(), "key"_a = py::none(),
          "Map an existing channel. Raises FileNotFoundError, PermissionError, OSError(EPROTO) "
          "for an object that is not a channel.")
      .def_static(
          "unlink",
          [](std::optional<std::string> name, std::optional<long long> key) {
            const Target t = target_of(name, key);
            value_or_raise(t.name ? Channel::unlink(*t.name) : Channel::unlink(sysv_key(*t.key)));
          },
          "name"_a = py::none(), py::kw_only(), "key"_a = py::none(),
          "Remove the channel's name after checking it is a channel; mapped users keep working.")
      .def_static(
          "inspect",
          [](std::optional<std::string> name, std::optional<long long> key) {
            const Target t = target_of(name, key);
            return info_to_python(value_or_raise(t.name ? Channel::inspect(*t.name)
                                                        : Channel::inspect(sysv_key(*t.key))));
          },
          "name"_a = py::none(), py::kw_only(), "key"_a = py::none(),
          "Read a channel's header without attaching: a ChannelInfo.")
      .def(
          "sender",
          [](PyChannel& self, const std::string& wait, double spin) {
            return PySender{value_or_raise(self.get().sender(wait_policy(wait, spin)))};
          },
          py::kw_only(), "wait"_a = "spin", "spin"_a = 50e-6,
          R"doc(Attach a producer. wait: 'spin' (spin `spin` seconds, then sleep), 'block' or
'busy' (never sleep). Raises OSError(EBUSY) when a single-producer channel has a live one.)doc")
      .def(
          "receiver",
          [](PyChannel& self, const std::string& wait, double spin, bool follow) {
            PyReceiver r;
            r.box->receiver = value_or_raise(self.get().receiver(
                wait_policy(wait, spin),
                follow ? channel::ReceiveMode::kFollow : channel::ReceiveMode::kStream));
            return r;
          },
          py::kw_only(), "wait"_a = "spin", "spin"_a = 50e-6, "follow"_a = false,
          R"doc(Attach a consumer. follow=False reads one stream and ends (iteration stops,
recv raises BrokenPipeError) when its producers have left; follow=True reads across producers
forever, reporting each producer's end once.)doc")
      .def("info", [](PyChannel& self) { return info_to_python(self.get().info()); })
      .def_property_readonly("name", [](PyChannel& self) { return self.get().name(); })
      .def_property_readonly("capacity", [](PyChannel& self) { return self.get().capacity(); })
      .def_property_readonly("max_message",
                             [](PyChannel& self) { return self.get().max_message(); })
      .def(
          "close", [](PyChannel& self) { self.channel.reset(); },
          "Unmap the channel (its Senders and Receivers keep it mapped).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyChannel& self, const py::args&) { self.channel.reset(); })
      .def("__repr__", [](PyChannel& self) {
        return self.channel ? "<ipckit.Channel " + self.channel->name() + ">"
                            : std::string("<ipckit.Channel closed>");
      });

  py::class_<PySender>(m, "Sender", "The producing end of a channel (one thread at a time).")
      .def("send", &PySender::send, "data"_a, "timeout"_a = py::none(),
           R"doc(Send one message: any contiguous buffer (bytes, bytearray, memoryview, numpy).
Waits for room up to `timeout` seconds (None: as long as it takes), with the GIL released.
Raises TimeoutError (nothing sent), BrokenPipeError (every consumer gone), InvalidArgumentError
(larger than max_message), KeyboardInterrupt (nothing sent).)doc")
      .def("try_send", &PySender::try_send, "data"_a,
           "Send without waiting: False (nothing sent) when the ring has no room.")
      .def_property_readonly("max_message", [](PySender& s) { return s.get().max_message(); })
      .def(
          "close", [](PySender& s) { s.sender.reset(); }, "Detach (the consumer sees the end).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySender& s, const py::args&) { s.sender.reset(); });

  py::class_<PeekedMessage>(m, "PeekedMessage", R"doc(
A message left in the ring and lent to Python: `with receiver.peek() as view:` gives a
read-only memoryview of it in shared memory (no copy). Leaving the block releases the view and
gives the message back; a released view raises ValueError on use. Views made from it (slices,
numpy arrays) keep the message in the ring until they are deleted.)doc")
      .def("__enter__", &PeekedMessage::view)
      .def("__exit__",
           [](PeekedMessage& self, const py::args&) {
             self.close(true);
             return false;
           })
      .def(
          "release", [](PeekedMessage& self) { self.close(true); },
          "Give the message back to the ring (as leaving the `with` block does).")
      .def_property_readonly("view", &PeekedMessage::view)
      .def("tobytes", &PeekedMessage::tobytes, "A copy of the message.")
      .def("__len__", &PeekedMessage::size);

  py::class_<PyReceiver>(m, "Receiver", "The consuming end of a channel (one thread at a time).")
      .def("recv", &PyReceiver::recv, "timeout"_a = py::none(),
           R"doc(The next message, as bytes. Waits up to `timeout` seconds (None: until one
comes or the stream ends), with the GIL released. Raises TimeoutError, BrokenPipeError (end of
stream: every producer left), ConnectionResetError (a producer died: the stream may be cut
short), KeyboardInterrupt (nothing taken).)doc")
      .def("try_recv", &PyReceiver::try_recv, "The next message, or None if the ring is empty.")
      .def("recv_into", &PyReceiver::recv_into, "buffer"_a, "timeout"_a = py::none(),
           "Copy the next message into a writable buffer; return its size. A message larger "
           "than the buffer raises InvalidArgumentError (EMSGSIZE) and stays in the ring.")
      .def("peek", &PyReceiver::peek, "timeout"_a = py::none(),
           "The next message in place, as a PeekedMessage (use it in a `with` block).")
      .def("try_peek", &PyReceiver::try_peek, "A PeekedMessage, or None if the ring is empty.")
      .def_property_readonly("max_message",
                             [](PyReceiver& r) { return r.box->get().max_message(); })
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PyReceiver::next)
      .def("close", &PyReceiver::close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyReceiver& r, const py::args&) { r.close(); });
}

}  // namespace ipckit::python
