#include "ipckit/net/cidr.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "support/ipc_test_support.hpp"

namespace ipckit::net {
namespace {

InetAddress host(std::string_view text) {
  auto a = InetAddress::parse_host(text);
  EXPECT_TRUE(a) << text;
  return a ? *a : InetAddress();
}

Cidr net(std::string_view text) {
  auto c = Cidr::parse(text);
  EXPECT_TRUE(c) << text << ": " << (c ? "" : c.error().message());
  return c ? *c : Cidr();
}

void expect_invalid(std::string_view text, std::string_view why) {
  auto r = Cidr::parse(text);
  ASSERT_FALSE(r) << "\"" << text << "\" parsed as " << r->to_string();
  EXPECT_EQ(r.error().code(), EINVAL) << text;
  EXPECT_NE(r.error().message().find(why), std::string::npos)
      << "\"" << text << "\": " << r.error().message();
}

TEST(Cidr, ParsesIpv4AndIpv6Networks) {
  const Cidr v4 = net("10.0.0.0/8");
  EXPECT_EQ(v4.family(), Family::kV4);
  EXPECT_EQ(v4.prefix(), 8U);
  EXPECT_EQ(v4.to_string(), "10.0.0.0/8");
  const Cidr v6 = net("2001:db8::/32");
  EXPECT_EQ(v6.family(), Family::kV6);
  EXPECT_EQ(v6.prefix(), 32U);
  EXPECT_EQ(v6.to_string(), "2001:db8::/32");
}

TEST(Cidr, BareAddressIsAHostNetwork) {
  EXPECT_EQ(net("192.0.2.1").prefix(), 32U);
  EXPECT_EQ(net("192.0.2.1").to_string(), "192.0.2.1/32");
  EXPECT_EQ(net("::1").prefix(), 128U);
  EXPECT_EQ(net("::1"), net("::1/128"));
}

TEST(Cidr, ToStringRoundTrips) {
  for (const char* text : {"0.0.0.0/0", "10.0.0.0/8", "192.0.2.128/25", "::/0", "fe80::/10",
                           "2001:db8::1/128", "::ffff:0.0.0.0/96"}) {
    const Cidr c = net(text);
    EXPECT_EQ(c.to_string(), text);
    EXPECT_EQ(net(c.to_string()), c);
  }
}

TEST(Cidr, PrefixOutOfRangeIsAnError) {
  expect_invalid("10.0.0.0/33", "prefix must be 0-32");
  expect_invalid("::/129", "prefix must be 0-128");
  expect_invalid("10.0.0.0/", "prefix must be 0-32");
  expect_invalid("10.0.0.0/-1", "prefix must be 0-32");
  expect_invalid("10.0.0.0/+8", "prefix must be 0-32");
  expect_invalid("10.0.0.0/8 ", "prefix must be 0-32");
  expect_invalid("10.0.0.0/0x8", "prefix must be 0-32");
  expect_invalid("10.0.0.0/8/8", "prefix must be 0-32");
}

TEST(Cidr, HostBitsSetIsAnErrorNamingTheNetwork) {
  expect_invalid("10.1.0.0/8", "host bits set (the network is 10.0.0.0/8)");
  expect_invalid("192.0.2.1/31", "host bits set (the network is 192.0.2.0/31)");
  expect_invalid("2001:db8::1/64", "host bits set (the network is 2001:db8::/64)");
  expect_invalid("0.0.0.1/0", "host bits set");
}

TEST(Cidr, NotAnAddressIsAnError) {
  expect_invalid("", "not an address");
  expect_invalid("/8", "not an address");
  expect_invalid("example.org/8", "not an address");
  expect_invalid("10.0.0/8", "not an address");
  expect_invalid("10.0.0.0:25/8", "not an address");
  expect_invalid("[::1]/128", "not an address");
  expect_invalid("fe80::%lo/64", "no %zone");
}

TEST(Cidr, ContainsAddressesOfItsPrefix) {
  const Cidr c = net("192.0.2.128/25");
  EXPECT_TRUE(c.contains(host("192.0.2.128")));
  EXPECT_TRUE(c.contains(host("192.0.2.255")));
  EXPECT_FALSE(c.contains(host("192.0.2.127")));
  EXPECT_FALSE(c.contains(host("192.0.3.128")));
  const Cidr v6 = net("2001:db8::/33");
  EXPECT_TRUE(v6.contains(host("2001:db8:7fff::1")));
  EXPECT_FALSE(v6.contains(host("2001:db8:8000::1")));
}

TEST(Cidr, ContainsIgnoresThePort) {
  auto a = InetAddress::parse("10.9.8.7:2525");
  ASSERT_TRUE(a);
  EXPECT_TRUE(net("10.0.0.0/8").contains(*a));
  EXPECT_TRUE(net("10.9.8.7").contains(*a));
}

TEST(Cidr, Ipv4NetworkMatchesIpv4MappedAddresses) {
  EXPECT_TRUE(net("10.0.0.0/8").contains(host("::ffff:10.1.2.3")));
  EXPECT_FALSE(net("10.0.0.0/8").contains(host("::ffff:11.1.2.3")));
  EXPECT_TRUE(net("10.1.2.3").contains(host("::ffff:10.1.2.3")));
  // IPv4-compatible (::a.b.c.d) is not a mapped address.
  EXPECT_FALSE(net("10.0.0.0/8").contains(host("::10.1.2.3")));
}

TEST(Cidr, Ipv6NetworkNeverMatchesIpv4) {
  EXPECT_FALSE(net("::/0").contains(host("10.1.2.3")));
  EXPECT_FALSE(net("::ffff:0.0.0.0/96").contains(host("10.1.2.3")));
  EXPECT_TRUE(net("::ffff:0.0.0.0/96").contains(host("::ffff:10.1.2.3")));
}

TEST(Cidr, PrefixZeroMatchesAllOfItsFamily) {
  const Cidr all4 = net("0.0.0.0/0");
  EXPECT_TRUE(all4.contains(host("0.0.0.0")));
  EXPECT_TRUE(all4.contains(host("255.255.255.255")));
  EXPECT_TRUE(all4.contains(host("::ffff:1.2.3.4")));
  EXPECT_FALSE(all4.contains(host("::1")));
  const Cidr all6 = net("::/0");
  EXPECT_TRUE(all6.contains(host("::")));
  EXPECT_TRUE(all6.contains(host("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(all6.contains(host("::ffff:1.2.3.4")));
  EXPECT_FALSE(all6.contains(host("1.2.3.4")));
}

TEST(Cidr, ContainsIgnoresTheZone) {
  auto a = InetAddress::parse("[fe80::1%lo]:25");
  ASSERT_TRUE(a);
  EXPECT_TRUE(net("fe80::/10").contains(*a));
}

}  // namespace
}  // namespace ipckit::net
