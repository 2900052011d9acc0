// Unit tests of the access screen: longest prefix wins, deny wins a tie, the default follows
// whether an allow list exists, IPv4 rules see IPv4-mapped IPv6 clients.
#include "handoff/access_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ipckit::handoff::detail {
namespace {

std::vector<net::Cidr> cidrs(std::initializer_list<const char*> texts) {
  std::vector<net::Cidr> out;
  for (const char* t : texts)
    out.push_back(*net::Cidr::parse(t));
  return out;
}

net::InetAddress host(const std::string& text) {
  return *net::InetAddress::parse_host(text);
}

TEST(HandoffAccessRules, NoRulesAllowEveryone) {
  const AccessRules rules;
  EXPECT_TRUE(rules.allows(host("192.0.2.1")));
  EXPECT_TRUE(rules.allows(host("2001:db8::1")));
}

TEST(HandoffAccessRules, DenyOnlyRefusesTheListedNetworks) {
  const AccessRules rules({}, cidrs({"192.0.2.0/24"}));
  EXPECT_FALSE(rules.allows(host("192.0.2.9")));
  EXPECT_TRUE(rules.allows(host("198.51.100.1")));
}

TEST(HandoffAccessRules, AllowListRefusesWhatItDoesNotMatch) {
  const AccessRules rules(cidrs({"10.0.0.0/8"}), {});
  EXPECT_TRUE(rules.allows(host("10.1.2.3")));
  EXPECT_FALSE(rules.allows(host("192.0.2.1")));
  EXPECT_FALSE(rules.allows(host("2001:db8::1")));
}

TEST(HandoffAccessRules, LongestPrefixDecides) {
  const AccessRules rules(cidrs({"10.1.2.0/24"}), cidrs({"10.0.0.0/8"}));
  EXPECT_TRUE(rules.allows(host("10.1.2.3")));
  EXPECT_FALSE(rules.allows(host("10.1.3.3")));
  const AccessRules reverse(cidrs({"10.0.0.0/8"}), cidrs({"10.1.2.3/32"}));
  EXPECT_FALSE(reverse.allows(host("10.1.2.3")));
  EXPECT_TRUE(reverse.allows(host("10.1.2.4")));
}

TEST(HandoffAccessRules, DenyWinsATie) {
  const AccessRules rules(cidrs({"10.0.0.0/8"}), cidrs({"10.0.0.0/8"}));
  EXPECT_FALSE(rules.allows(host("10.9.9.9")));
}

TEST(HandoffAccessRules, IPv4RulesMatchMappedClientsAndCompareWithIPv6Rules) {
  const AccessRules rules(cidrs({"::ffff:0:0/96"}), cidrs({"10.0.0.0/8"}));
  EXPECT_FALSE(rules.allows(host("::ffff:10.1.2.3")));  // /104 beats /96
  EXPECT_TRUE(rules.allows(host("::ffff:192.0.2.1")));
  const AccessRules v4(cidrs({"192.0.2.0/24"}), {});
  EXPECT_TRUE(v4.allows(host("::ffff:192.0.2.1")));
  EXPECT_FALSE(v4.allows(host("2001:db8::1")));
}

}  // namespace
}  // namespace ipckit::handoff::detail
