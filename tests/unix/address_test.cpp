#include "ipckit/unix/address.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "ipckit/unix/socket.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::uds {
namespace {

constexpr std::size_t kPathOffset = offsetof(sockaddr_un, sun_path);

// Fails the test if it ends with more descriptors open than it started with.
struct NoFdLeak {
  int before = test::count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(test::count_open_fds(), before) << "descriptor leak"; }
};

using test::code_of;

TEST(UnixAddress, ParsesTheThreeKinds) {
  auto path = UnixAddress::parse("/run/app.sock");
  auto relative = UnixAddress::parse("rel/app.sock");
  auto abstract = UnixAddress::parse("@app");
  auto unnamed = UnixAddress::parse("");
  ASSERT_TRUE(path && relative && abstract && unnamed);
  EXPECT_TRUE(path->is_path());
  EXPECT_EQ(path->name(), "/run/app.sock");
  EXPECT_TRUE(relative->is_path());
  EXPECT_EQ(relative->name(), "rel/app.sock");
  EXPECT_TRUE(abstract->is_abstract());
  EXPECT_EQ(abstract->name(), "app");
  EXPECT_TRUE(unnamed->is_unnamed());
  EXPECT_EQ(*unnamed, UnixAddress::unnamed());
}

TEST(UnixAddress, FormatsBackToTheSameText) {
  for (const std::string& text : std::vector<std::string>{"/run/app.sock", "rel/app.sock", "@app",
                                                          "", "@", std::string("@a\0b", 4)}) {
    auto a = UnixAddress::parse(text);
    ASSERT_TRUE(a) << text;
    EXPECT_EQ(a->to_string(), text);
  }
}

TEST(UnixAddress, RelativePathStartingWithAtFormatsWithDotSlash) {
  auto a = UnixAddress::path("@not-abstract");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "./@not-abstract");
  auto back = UnixAddress::parse(a->to_string());
  ASSERT_TRUE(back && back->is_path());
}

TEST(UnixAddress, PathOf107BytesIsAccepted) {
  const std::string path = "/" + std::string(106, 'p');
  auto a = UnixAddress::parse(path);
  ASSERT_TRUE(a) << a.error().message();
  const SockAddr raw = a->to_sockaddr();
  EXPECT_EQ(raw.length, kPathOffset + 108);
  EXPECT_EQ(raw.storage.sun_path[107], '\0');
}

TEST(UnixAddress, PathOf108BytesFailsWithEnametoolongNeverTruncated) {
  const std::string path = "/" + std::string(107, 'p');
  auto a = UnixAddress::parse(path);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ENAMETOOLONG);
  EXPECT_NE(a.error().message().find("108 bytes"), std::string::npos) << a.error().message();
  EXPECT_EQ(code_of(UnixAddress::path(std::string(500, 'x'))), ENAMETOOLONG);
}

TEST(UnixAddress, AbstractNameOf107BytesIsAcceptedAnd108Refused) {
  auto ok = UnixAddress::abstract(std::string(107, 'a'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->to_sockaddr().length, sizeof(sockaddr_un));
  EXPECT_EQ(code_of(UnixAddress::parse("@" + std::string(108, 'a'))), ENAMETOOLONG);
}

TEST(UnixAddress, PathWithNulByteFailsWithEinval) {
  EXPECT_EQ(code_of(UnixAddress::parse(std::string("/tmp/a\0b", 8))), EINVAL);
  EXPECT_EQ(code_of(UnixAddress::path("")), EINVAL);
}

TEST(UnixAddress, AbstractSockaddrHasExactLengthAndNoPadding) {
  auto a = UnixAddress::parse("@foo");
  ASSERT_TRUE(a);
  const SockAddr raw = a->to_sockaddr();
  EXPECT_EQ(raw.storage.sun_family, AF_UNIX);
  EXPECT_EQ(raw.length, kPathOffset + 1 + 3);
  EXPECT_EQ(raw.storage.sun_path[0], '\0');
  EXPECT_EQ(std::memcmp(raw.storage.sun_path + 1, "foo", 3), 0);
}

TEST(UnixAddress, PathSockaddrIsNulTerminatedWithExactLength) {
  auto a = UnixAddress::parse("/tmp/x");
  ASSERT_TRUE(a);
  const SockAddr raw = a->to_sockaddr();
  EXPECT_EQ(raw.length, kPathOffset + 7);
  EXPECT_STREQ(raw.storage.sun_path, "/tmp/x");
}

TEST(UnixAddress, UnnamedSockaddrIsJustTheFamily) {
  EXPECT_EQ(UnixAddress::unnamed().to_sockaddr().length, sizeof(sa_family_t));
}

TEST(UnixAddress, FromSockaddrRoundTripsEveryKind) {
  for (const std::string& text :
       std::vector<std::string>{"/tmp/x", "rel", "@foo", "@", std::string("@f\0\0", 4), ""}) {
    auto a = UnixAddress::parse(text);
    ASSERT_TRUE(a);
    const SockAddr raw = a->to_sockaddr();
    auto back = UnixAddress::from_sockaddr(raw.storage, raw.length);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, *a) << a->describe();
  }
}

TEST(UnixAddress, FromSockaddrDecodesKernelForms) {
  sockaddr_un raw{};
  raw.sun_family = AF_UNIX;
  // recvfrom from an unbound sender reports length 0.
  auto empty = UnixAddress::from_sockaddr(raw, 0);
  ASSERT_TRUE(empty && empty->is_unnamed());
  // A path with padding NULs after it (a caller that passed sizeof(sockaddr_un)).
  std::strcpy(raw.sun_path, "/tmp/y");
  auto padded = UnixAddress::from_sockaddr(raw, sizeof(raw));
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->name(), "/tmp/y");
}

TEST(UnixAddress, FromSockaddrRejectsOtherFamiliesAndBadLengths) {
  sockaddr_un raw{};
  raw.sun_family = AF_INET;
  EXPECT_EQ(code_of(UnixAddress::from_sockaddr(raw, sizeof(raw))), EAFNOSUPPORT);
  raw.sun_family = AF_UNIX;
  EXPECT_EQ(code_of(UnixAddress::from_sockaddr(raw, 1)), EINVAL);
  EXPECT_EQ(code_of(UnixAddress::from_sockaddr(raw, sizeof(raw) + 1)), EINVAL);
}

TEST(UnixAddress, DescribeEscapesNulBytes) {
  auto a = UnixAddress::parse(std::string("@foo\0", 5));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->describe(), "@foo\\x00");
  EXPECT_EQ(UnixAddress::unnamed().describe(), "(unnamed)");
}

TEST(UnixAddress, AbstractBindReportsExactLengthViaGetsockname) {
  NoFdLeak leak;
  const std::string name = "@" + test::unique_name("exact");
  auto a = UnixAddress::parse(name);
  auto s = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(a && s);
  ASSERT_TRUE(s->bind(*a));
  SockAddr raw;
  raw.length = sizeof(raw.storage);
  ASSERT_EQ(::getsockname(s->fd().get(), raw.get(), &raw.length), 0);
  EXPECT_EQ(raw.length, kPathOffset + name.size());  // '@' stands for sun_path[0]
  auto local = s->local_address();
  ASSERT_TRUE(local);
  EXPECT_EQ(local->to_string(), name);
}

TEST(UnixAddress, AbstractNameWithTrailingNulIsADifferentName) {
  NoFdLeak leak;
  const std::string base = "@" + test::unique_name("nul");
  auto plain = UnixAddress::parse(base);
  auto with_nul = UnixAddress::parse(base + std::string(1, '\0'));
  ASSERT_TRUE(plain && with_nul);
  EXPECT_NE(*plain, *with_nul);
  auto s1 = UnixSocket::create(SocketType::kDatagram);
  auto s2 = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(s1 && s2);
  ASSERT_TRUE(s1->bind(*plain));
  // Both bind: "@foo" and "@foo\0" are distinct names in the abstract namespace.
  auto r = s2->bind(*with_nul);
  ASSERT_TRUE(r) << r.error().message();
  auto n2 = s2->local_address();
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->name().size(), base.size());  // base minus '@' plus the NUL
  EXPECT_EQ(*n2, *with_nul);
  // And the same name again is taken.
  auto s3 = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(s3);
  EXPECT_EQ(code_of(s3->bind(*plain)), EADDRINUSE);
}

TEST(UnixAddress, AutobindGivesAFiveHexDigitAbstractName) {
  NoFdLeak leak;
  auto s = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->bind(UnixAddress::unnamed()));
  auto local = s->local_address();
  ASSERT_TRUE(local);
  ASSERT_TRUE(local->is_abstract()) << local->describe();
  ASSERT_EQ(local->name().size(), 5u) << local->describe();
  EXPECT_EQ(local->name().find_first_not_of("0123456789abcdef"), std::string::npos)
      << local->describe();
  // The name round-trips through text.
  auto back = UnixAddress::parse(local->to_string());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *local);
}

}  // namespace
}  // namespace ipckit::uds
