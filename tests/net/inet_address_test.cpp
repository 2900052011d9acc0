#include "ipckit/net/inet_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/ipc_test_support.hpp"

namespace ipckit::net {
namespace {

using test::code_of;

// The parse error of `text`: its errno must be EINVAL, and its message must contain `why`.
void expect_invalid(std::string_view text, std::string_view why) {
  auto r = InetAddress::parse(text);
  ASSERT_FALSE(r) << "\"" << text << "\" parsed as " << r->to_string();
  EXPECT_EQ(r.error().code(), EINVAL) << text;
  EXPECT_NE(r.error().message().find(why), std::string::npos)
      << "\"" << text << "\": " << r.error().message();
}

TEST(InetAddress, ParsesIpv4WithPort) {
  auto a = InetAddress::parse("192.0.2.7:2525");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->family(), Family::kV4);
  EXPECT_EQ(a->port(), 2525);
  EXPECT_EQ(a->bytes()[0], 192);
  EXPECT_EQ(a->bytes()[3], 7);
  EXPECT_EQ(a->bytes()[4], 0) << "bytes past the 4th of an IPv4 address stay zero";
  EXPECT_EQ(a->host_string(), "192.0.2.7");
  EXPECT_EQ(a->to_string(), "192.0.2.7:2525");
}

TEST(InetAddress, ParsesBracketedIpv6WithPort) {
  auto a = InetAddress::parse("[2001:db8::1]:25");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->family(), Family::kV6);
  EXPECT_EQ(a->port(), 25);
  EXPECT_EQ(a->bytes()[0], 0x20);
  EXPECT_EQ(a->bytes()[15], 1);
  EXPECT_EQ(a->host_string(), "2001:db8::1");
  EXPECT_EQ(a->to_string(), "[2001:db8::1]:25");
}

TEST(InetAddress, StarMeansEveryIpv4Address) {
  auto a = InetAddress::parse("*:80");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->family(), Family::kV4);
  EXPECT_TRUE(a->is_any());
  EXPECT_EQ(a->port(), 80);
  EXPECT_EQ(a->to_string(), "0.0.0.0:80");
}

TEST(InetAddress, BracketedAnyIsEveryIpv6Address) {
  auto a = InetAddress::parse("[::]:80");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->family(), Family::kV6);
  EXPECT_TRUE(a->is_any());
  EXPECT_FALSE(InetAddress::loopback(Family::kV6, 80).is_any());
  EXPECT_FALSE(InetAddress::loopback(Family::kV4, 80).is_any());
}

TEST(InetAddress, PortBoundsAreZeroAnd65535) {
  auto zero = InetAddress::parse("127.0.0.1:0");
  auto top = InetAddress::parse("127.0.0.1:65535");
  ASSERT_TRUE(zero && top);
  EXPECT_EQ(zero->port(), 0);
  EXPECT_EQ(top->port(), 65535);
  expect_invalid("1.2.3.4:65536", "bad port");
  expect_invalid("1.2.3.4:99999999999999999999999", "bad port");
}

TEST(InetAddress, PortMustBeStrictlyDecimal) {
  for (const char* text : {"1.2.3.4:+80", "1.2.3.4:-1", "1.2.3.4: 80", "1.2.3.4:80 ",
                           "1.2.3.4:0x50", "1.2.3.4:8o", "1.2.3.4:smtp", "[::1]:8a"}) {
    expect_invalid(text, "bad port");
  }
}

TEST(InetAddress, MissingPortIsAnError) {
  expect_invalid("1.2.3.4", "missing port");
  expect_invalid("1.2.3.4:", "missing port");
  expect_invalid("[::1]", "missing port");
  expect_invalid("[::1]:", "missing port");
  expect_invalid("*", "missing port");
  expect_invalid("", "empty");
}

TEST(InetAddress, MissingAddressIsAnError) {
  expect_invalid(":80", "missing address");
}

TEST(InetAddress, Ipv6WithoutBracketsIsAnError) {
  expect_invalid("::1:80", "IPv6 needs [brackets]");
  expect_invalid("2001:db8::1:25", "IPv6 needs [brackets]");
  expect_invalid("::1", "IPv6 needs [brackets]");
}

TEST(InetAddress, HostNamesAreNotResolved) {
  expect_invalid("localhost:25", "not a numeric IPv4 address");
  expect_invalid("[localhost]:25", "not a numeric IPv6 address");
  expect_invalid("1.2.3:25", "not a numeric IPv4 address");
  expect_invalid("1.2.3.256:25", "not a numeric IPv4 address");
  expect_invalid("01.2.3.4:25", "not a numeric IPv4 address");
}

TEST(InetAddress, BracketsHoldOnlyIpv6) {
  expect_invalid("[1.2.3.4]:25", "not a numeric IPv6 address");
  expect_invalid("[::1:25", "closing ']'");
  expect_invalid("[::1]25", "expected ':PORT'");
}

TEST(InetAddress, ZoneNamesAnInterface) {
  auto a = InetAddress::parse("[fe80::1%lo]:25");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->scope_id(), ::if_nametoindex("lo"));
  EXPECT_EQ(a->to_string(), "[fe80::1%lo]:25");
  auto numeric = InetAddress::parse("[fe80::1%1]:25");
  ASSERT_TRUE(numeric) << numeric.error().message();
  EXPECT_EQ(numeric->scope_id(), 1U);
  expect_invalid("[fe80::1%no-such-if0]:25", "no network interface named \"no-such-if0\"");
  expect_invalid("[fe80::1%]:25", "empty zone");
}

TEST(InetAddress, ToStringRoundTrips) {
  for (const char* text : {"0.0.0.0:0", "10.1.2.3:65535", "[::]:1", "[::1]:2525",
                           "[2001:db8:0:1::7]:80", "[::ffff:192.0.2.1]:25", "[fe80::1%lo]:9"}) {
    auto a = InetAddress::parse(text);
    ASSERT_TRUE(a) << text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), text);
    auto again = InetAddress::parse(a->to_string());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *a);
  }
}

TEST(InetAddress, ParseHostTakesABareAddress) {
  auto v4 = InetAddress::parse_host("192.0.2.1");
  auto v6 = InetAddress::parse_host("2001:db8::1");
  ASSERT_TRUE(v4 && v6);
  EXPECT_EQ(v4->family(), Family::kV4);
  EXPECT_EQ(v4->port(), 0);
  EXPECT_EQ(v6->family(), Family::kV6);
  EXPECT_EQ(v6->host_string(), "2001:db8::1");
  EXPECT_EQ(code_of(InetAddress::parse_host("192.0.2.1:25")), EINVAL);
  EXPECT_EQ(code_of(InetAddress::parse_host("[::1]")), EINVAL);
  EXPECT_EQ(code_of(InetAddress::parse_host("")), EINVAL);
  EXPECT_EQ(code_of(InetAddress::parse_host("example.org")), EINVAL);
}

TEST(InetAddress, UnmappedTurnsMappedIpv6IntoIpv4) {
  auto mapped = InetAddress::parse("[::ffff:10.1.2.3]:25");
  ASSERT_TRUE(mapped);
  const InetAddress v4 = mapped->unmapped();
  EXPECT_EQ(v4.family(), Family::kV4);
  EXPECT_EQ(v4.to_string(), "10.1.2.3:25");
  EXPECT_EQ(v4, *InetAddress::parse("10.1.2.3:25"));
  auto plain = InetAddress::parse("[::1]:25");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->unmapped(), *plain);
  auto compat = InetAddress::parse("[::10.1.2.3]:25");  // IPv4-compatible, not mapped
  ASSERT_TRUE(compat);
  EXPECT_EQ(compat->unmapped().family(), Family::kV6);
}

TEST(InetAddress, WithPortChangesOnlyThePort) {
  auto a = InetAddress::parse("[fe80::1%lo]:25");
  ASSERT_TRUE(a);
  const InetAddress b = a->with_port(587);
  EXPECT_EQ(b.port(), 587);
  EXPECT_EQ(b.scope_id(), a->scope_id());
  EXPECT_EQ(b.with_port(25), *a);
}

TEST(InetAddress, SockaddrRoundTrips) {
  for (const char* text : {"127.0.0.1:2525", "[::1]:2525", "[fe80::1%lo]:25"}) {
    auto a = InetAddress::parse(text);
    ASSERT_TRUE(a);
    const InetSockAddr raw = a->to_sockaddr();
    EXPECT_EQ(raw.length, a->family() == Family::kV4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    auto back = InetAddress::from_sockaddr(raw.get(), raw.length);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, *a);
  }
  const InetSockAddr v4 = InetAddress::loopback(Family::kV4, 80).to_sockaddr();
  const auto* in = reinterpret_cast<const sockaddr_in*>(&v4.storage);
  EXPECT_EQ(in->sin_family, AF_INET);
  EXPECT_EQ(ntohs(in->sin_port), 80);
  EXPECT_EQ(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST(InetAddress, FromSockaddrRejectsOtherFamiliesAndShortLengths) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_EQ(code_of(InetAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&un), sizeof(un))),
            EAFNOSUPPORT);
  const InetSockAddr v4 = InetAddress::loopback(Family::kV4, 80).to_sockaddr();
  const InetSockAddr v6 = InetAddress::loopback(Family::kV6, 80).to_sockaddr();
  EXPECT_EQ(code_of(InetAddress::from_sockaddr(v4.get(), sizeof(sockaddr_in) - 1)), EINVAL);
  EXPECT_EQ(code_of(InetAddress::from_sockaddr(v6.get(), sizeof(sockaddr_in))), EINVAL);
  EXPECT_EQ(code_of(InetAddress::from_sockaddr(v4.get(), 1)), EINVAL);
  EXPECT_EQ(code_of(InetAddress::from_sockaddr(nullptr, 0)), EINVAL);
}

TEST(InetAddress, LoopbackIsTheLoopbackOfItsFamily) {
  EXPECT_EQ(InetAddress::loopback(Family::kV4, 7).to_string(), "127.0.0.1:7");
  EXPECT_EQ(InetAddress::loopback(Family::kV6, 7).to_string(), "[::1]:7");
  EXPECT_EQ(InetAddress().to_string(), "0.0.0.0:0");
}

}  // namespace
}  // namespace ipckit::net
