#include "ipckit/unix/fd_passing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/ipc_test_support.hpp"
#include "unix/fd_passing_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::FdPassingTest;
using test::is_cloexec;
using test::make_memfd;
using test::make_pipe;
using test::make_socket_pair;
using test::pread_all;
using test::read_all;
using test::receive;

#ifdef SO_PASSPIDFD
constexpr int kSoPassPidfd = SO_PASSPIDFD;
#else
constexpr int kSoPassPidfd = 76;  // Linux 6.5; newer than Debian 12's glibc headers
#endif

using FdPassing = FdPassingTest;

ino_t inode_of(FdView fd) {
  struct stat st {};
  return ::fstat(fd.get(), &st) == 0 ? st.st_ino : 0;
}

// Nothing is queued on `socket` (a non-blocking peek finds nothing).
bool queue_empty(FdView socket) {
  char c = 0;
  return ::recv(socket.get(), &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
}

TEST_F(FdPassing, SendsOneDescriptorWithPayload) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto p = make_pipe();
  ASSERT_EQ(::write(p.b.get(), "hello", 5), 5);
  p.b.reset();
  const std::array fds{p.a.view()};
  ASSERT_TRUE(send_fds(s.a, "x", fds));
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->payload, "x");
  ASSERT_EQ(r->fds.size(), 1u);
  EXPECT_FALSE(r->eof);
  EXPECT_EQ(read_all(r->fds[0]), "hello");
}

TEST_F(FdPassing, SendsAndReceivesTheLimitOf253Descriptors) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("253");
  const std::vector<FdView> fds(kMaxFdsPerMessage, file.view());
  ASSERT_TRUE(send_fds(s.a, "n", fds));
  auto r = receive(s.b, 16, kMaxFdsPerMessage);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->fds.size(), 253u);
  for (const auto& fd : r->fds)
    EXPECT_EQ(inode_of(fd), inode_of(file));
}

TEST_F(FdPassing, RefusesMoreThan253DescriptorsWithEinvalNamingTheLimit) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("254");
  const std::vector<FdView> fds(kMaxFdsPerMessage + 1, file.view());
  auto r = send_fds(s.a, "n", fds);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("limit of 253"), std::string::npos) << r.error().message();
  EXPECT_TRUE(queue_empty(s.b));
}

TEST_F(FdPassing, BatchedSendsAndReceivesManyDescriptorsInOrder) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto even = make_memfd("even");
  auto odd = make_memfd("odd");
  for (std::size_t n : {std::size_t{1}, std::size_t{253}, std::size_t{254}, std::size_t{600}}) {
    std::vector<FdView> fds;
    for (std::size_t i = 0; i < n; ++i)
      fds.push_back(i % 2 == 0 ? even.view() : odd.view());
    ASSERT_TRUE(send_fds_batched(s.a, fds)) << n;
    ASSERT_TRUE(::write(s.a.get(), "after", 5) == 5);
    auto got = receive_fds_batched(s.b, 1000);
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_EQ(got->size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(inode_of((*got)[i]), inode_of(fds[i])) << "descriptor " << i << " of " << n;
    }
    // The sequence ends exactly at its last message: the following bytes are still queued.
    auto rest = receive(s.b, 16, 0);
    ASSERT_TRUE(rest) << rest.error().message();
    EXPECT_EQ(rest->payload, "after");
  }
}

TEST_F(FdPassing, BatchedSendRefusesNoDescriptorsWithEinval) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto r = send_fds_batched(s.a, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST_F(FdPassing, BatchedReceiveClosesEverythingWhenTheSequenceExceedsMaxFds) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("many");
  const std::vector<FdView> fds(300, file.view());
  ASSERT_TRUE(send_fds_batched(s.a, fds));
  auto got = receive_fds_batched(s.b, 299);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EMSGSIZE);
}

TEST_F(FdPassing, BatchedReceiveRejectsAMarkerOtherThanZeroOrOneWithEproto) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("m");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "\x07", fds));
  auto got = receive_fds_batched(s.b, 10);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EPROTO);
}

TEST_F(FdPassing, BatchedReceiveRejectsAMessageWithoutDescriptorsWithEproto) {
  auto s = make_socket_pair(SOCK_STREAM);
  ASSERT_EQ(::write(s.a.get(), "\0", 1), 1);
  auto got = receive_fds_batched(s.b, 10);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EPROTO);
}

TEST_F(FdPassing, BatchedReceiveReportsAPeerThatClosedMidSequenceWithEproto) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("m");
  const std::array fds{file.view(), file.view()};
  ASSERT_TRUE(send_fds(s.a, "\x01", fds));  // "more batches follow", then nothing
  s.a.reset();
  auto got = receive_fds_batched(s.b, 10);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EPROTO);
}

TEST_F(FdPassing, PayloadOnlyMessageArrivesWithNoDescriptors) {
  auto s = make_socket_pair(SOCK_STREAM);
  ASSERT_TRUE(send_fds(s.a, "abc", {}));
  auto r = receive(s.b, 16, 4);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->payload, "abc");
  EXPECT_TRUE(r->fds.empty());
  EXPECT_FALSE(r->eof);
}

TEST_F(FdPassing, ReceivedPipeEndReadsWhatAnotherProcessWrote) {
  auto s = make_socket_pair(SOCK_STREAM);
  const int status = test::run_in_child([&] {
    auto p = make_pipe();
    if (::write(p.b.get(), "from the child", 14) != 14) return 2;
    const std::array fds{p.a.view()};
    return send_fds(s.a, "p", fds) ? 0 : 3;
  });
  ASSERT_EQ(status, 0);
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->fds.size(), 1u);
  // The child exited, so its write end is closed: the pipe reads to its end.
  EXPECT_EQ(read_all(r->fds[0]), "from the child");
}

TEST_F(FdPassing, ReceivedFileDescriptorReadsTheFilesContent) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("the file's content");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "f", fds));
  file.reset();  // the message in flight keeps the file open
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->fds.size(), 1u);
  EXPECT_EQ(pread_all(r->fds[0]), "the file's content");
}

TEST_F(FdPassing, ReceivedDescriptorsAreCloseOnExecEvenWhenTheSentOnesWereNot) {
  auto s = make_socket_pair(SOCK_STREAM);
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);  // deliberately without O_CLOEXEC
  Fd r0(raw[0]);
  Fd r1(raw[1]);
  ASSERT_FALSE(is_cloexec(r0));
  const std::array fds{r0.view(), r1.view()};
  ASSERT_TRUE(send_fds(s.a, "c", fds));
  auto r = receive(s.b, 16, 2);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->fds.size(), 2u);
  for (const auto& fd : r->fds)
    EXPECT_TRUE(is_cloexec(fd));
}

TEST_F(FdPassing, TruncatedControlDataClosesEveryArrivedDescriptorAndFailsWithEmsgsize) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("t");
  const std::vector<FdView> fds(kMaxFdsPerMessage, file.view());
  ASSERT_TRUE(send_fds(s.a, "t", fds));
  auto r = receive(s.b, 16, 2);  // MSG_CTRUNC: most of the 253 do not fit
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  EXPECT_TRUE(queue_empty(s.b));  // the message was consumed; the fixture checks no fd is left
}

TEST_F(FdPassing, DescriptorLimitReachedMidReceiveClosesTheArrivedOnesAndFailsWithEmsgsize) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("r");
  const std::vector<FdView> fds(10, file.view());
  ASSERT_TRUE(send_fds(s.a, "r", fds));
  const int status = test::run_in_child([&] {
    // Format one error before the table is full: UBSan's first vptr check of fmt's buffer type
    // probes the memory through a pipe, which it cannot make once no descriptor is left.
    (void)receive_fds(s.b, {}, 1);
    const int before = test::count_open_fds();
    // Room for 3 more descriptors: the kernel installs 3 of the 10 and sets MSG_CTRUNC.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 2;
    limit.rlim_cur = static_cast<rlim_t>(before) + 3;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 2;
    std::array<std::byte, 4> buf{};
    auto r = receive_fds(s.b, buf, 10);
    if (r) return 3;
    if (r.error().code() != EMSGSIZE) return 4;
    if (r.error().message().find("MSG_CTRUNC") == std::string::npos) return 6;
    return test::count_open_fds() == before ? 0 : 5;
  });
  EXPECT_EQ(status, 0);
}

TEST_F(FdPassing, AFewMoreDescriptorsThanMaxFdsFailWithEmsgsize) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("t");
  const std::array fds{file.view(), file.view(), file.view()};
  ASSERT_TRUE(send_fds(s.a, "t", fds));
  auto r = receive(s.b, 16, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
}

TEST_F(FdPassing, DescriptorsWhenNoneWereExpectedFailWithEproto) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("z");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "z", fds));
  auto r = receive(s.b, 16, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPROTO);
}

TEST_F(FdPassing, StreamNeverMixesTheDescriptorsOfTwoSends) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto one = make_memfd("1");
  auto two = make_memfd("2");
  ASSERT_EQ(::write(s.a.get(), "ab", 2), 2);  // plain bytes before: glued to the next payload
  const std::array first{one.view()};
  const std::array second{two.view(), two.view()};
  ASSERT_TRUE(send_fds(s.a, "x", first));
  ASSERT_TRUE(send_fds(s.a, "y", second));
  auto r1 = receive(s.b, 64, 2);
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ(r1->payload, "abx");
  ASSERT_EQ(r1->fds.size(), 1u);
  EXPECT_EQ(inode_of(r1->fds[0]), inode_of(one));
  auto r2 = receive(s.b, 64, 2);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->payload, "y");
  ASSERT_EQ(r2->fds.size(), 2u);
  EXPECT_EQ(inode_of(r2->fds[1]), inode_of(two));
}

TEST_F(FdPassing, LongStreamPayloadArrivesWholeWithItsDescriptorsOnTheFirstPiece) {
  auto s = make_socket_pair(SOCK_STREAM);
  ASSERT_EQ(::fcntl(s.a.get(), F_SETFL, O_NONBLOCK), 0);  // exercises the wait for room
  auto file = make_memfd("long");
  std::string payload(4 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7 % 251);
  Result<void> sent;
  std::thread sender([&] {
    const std::array fds{file.view()};
    sent = send_fds(s.a, payload, fds);
  });
  std::string got;
  std::size_t fds_seen = 0;
  bool fds_first = false;
  while (got.size() < payload.size()) {
    auto r = receive(s.b, 64 << 10, 1);
    if (!r || r->eof) break;
    if (got.empty()) fds_first = r->fds.size() == 1;
    fds_seen += r->fds.size();
    got += r->payload;
  }
  sender.join();
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_TRUE(fds_first);
  EXPECT_EQ(fds_seen, 1u);
  EXPECT_TRUE(got == payload);
}

TEST_F(FdPassing, EmptyPayloadWithDescriptorsIsRefusedOnAStreamWithEinval) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto file = make_memfd("e");
  const std::array fds{file.view()};
  auto r = send_fds(s.a, "", fds);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("at least one payload byte"), std::string::npos);
  EXPECT_TRUE(queue_empty(s.b));
}

class FdPassingMessages : public FdPassingTest, public ::testing::WithParamInterface<int> {};

TEST_P(FdPassingMessages, KeepMessageBoundariesAndTheirDescriptors) {
  auto s = make_socket_pair(GetParam());
  auto one = make_memfd("one");
  auto two = make_memfd("two");
  const std::array first{one.view()};
  const std::array second{two.view(), one.view()};
  ASSERT_TRUE(send_fds(s.a, "first", first));
  ASSERT_TRUE(send_fds(s.a, "second", second));
  auto r1 = receive(s.b, 64, 2);
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ(r1->payload, "first");
  ASSERT_EQ(r1->fds.size(), 1u);
  EXPECT_EQ(pread_all(r1->fds[0]), "one");
  auto r2 = receive(s.b, 64, 2);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->payload, "second");
  ASSERT_EQ(r2->fds.size(), 2u);
  EXPECT_EQ(pread_all(r2->fds[0]), "two");
  EXPECT_EQ(pread_all(r2->fds[1]), "one");
}

TEST_P(FdPassingMessages, EmptyPayloadWithDescriptorsIsAllowed) {
  auto s = make_socket_pair(GetParam());
  auto file = make_memfd("e");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "", fds));
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size, 0u);
  EXPECT_EQ(r->fds.size(), 1u);
  EXPECT_FALSE(r->eof);
}

TEST_P(FdPassingMessages, MessageLongerThanTheBufferFailsWithEmsgsizeAndClosesDescriptors) {
  auto s = make_socket_pair(GetParam());
  auto file = make_memfd("l");
  const std::array fds{file.view(), file.view()};
  ASSERT_TRUE(send_fds(s.a, "0123456789", fds));
  auto r = receive(s.b, 4, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  EXPECT_TRUE(queue_empty(s.b));
}

INSTANTIATE_TEST_SUITE_P(DatagramAndSeqpacket, FdPassingMessages,
                         ::testing::Values(SOCK_DGRAM, SOCK_SEQPACKET), [](const auto& type) {
                           return type.param == SOCK_DGRAM ? "Datagram" : "Seqpacket";
                         });

TEST_F(FdPassing, PeerCloseIsEofOnStreamAndSeqpacket) {
  for (int type : {SOCK_STREAM, SOCK_SEQPACKET}) {
    auto s = make_socket_pair(type);
    s.a.reset();
    auto r = receive(s.b, 16, 1);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->eof) << type;
    EXPECT_EQ(r->size, 0u);
    EXPECT_TRUE(r->fds.empty());
  }
}

TEST_F(FdPassing, EmptyDatagramIsNotEof) {
  auto s = make_socket_pair(SOCK_DGRAM);
  ASSERT_EQ(::send(s.a.get(), "", 0, 0), 0);
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size, 0u);
  EXPECT_FALSE(r->eof);
}

TEST_F(FdPassing, UnexpectedCredentialsFailWithEprotoAndCloseTheDescriptors) {
  auto s = make_socket_pair(SOCK_STREAM);
  const int on = 1;
  ASSERT_EQ(::setsockopt(s.b.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
  auto file = make_memfd("c");
  const std::array fds{file.view(), file.view()};
  ASSERT_TRUE(send_fds(s.a, "c", fds));
  auto r = receive(s.b, 16, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPROTO);
  EXPECT_NE(r.error().message().find("SCM_CREDENTIALS"), std::string::npos) << r.error().message();
}

TEST_F(FdPassing, UnexpectedPidfdIsClosedAndFailsWithEproto) {
  auto s = make_socket_pair(SOCK_STREAM);
  const int on = 1;
  if (::setsockopt(s.b.get(), SOL_SOCKET, kSoPassPidfd, &on, sizeof on) != 0) {
    GTEST_SKIP() << "SO_PASSPIDFD needs Linux 6.5";
  }
  auto file = make_memfd("p");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "p", fds));
  auto r = receive(s.b, 16, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPROTO);
  EXPECT_NE(r.error().message().find("SCM_PIDFD"), std::string::npos) << r.error().message();
}

TEST_F(FdPassing, SendToAClosedPeerFailsWithEpipeAndNoSignal) {
  auto s = make_socket_pair(SOCK_STREAM);
  s.b.reset();
  auto file = make_memfd("x");
  const std::array fds{file.view()};
  auto r = send_fds(s.a, "x", fds);  // SIGPIPE would kill the test
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPIPE);
}

TEST_F(FdPassing, SendRefusesAnInvalidOrClosedDescriptorWithEbadf) {
  auto s = make_socket_pair(SOCK_STREAM);
  const std::array none{FdView()};
  auto r = send_fds(s.a, "x", none);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBADF);
  int closed = ::dup(s.a.get());
  ASSERT_GE(closed, 0);
  ::close(closed);
  const std::array stale{FdView(closed)};
  r = send_fds(s.a, "x", stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBADF);
  EXPECT_TRUE(queue_empty(s.b));
}

TEST_F(FdPassing, ReceiveRefusesAnEmptyBufferOrMaxFdsAbove253WithEinval) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto r = receive_fds(s.b, {}, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  std::array<std::byte, 4> buf{};
  r = receive_fds(s.b, buf, kMaxFdsPerMessage + 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST_F(FdPassing, NonBlockingReceiveWithNothingQueuedFailsWithEagain) {
  auto s = make_socket_pair(SOCK_STREAM | SOCK_NONBLOCK);
  auto r = receive(s.b, 16, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EAGAIN);
}

TEST_F(FdPassing, SendOnAPipeFailsWithEnotsock) {
  auto p = make_pipe();
  auto r = send_fds(p.b, "x", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOTSOCK);
}

}  // namespace
}  // namespace ipckit::uds
