// Which endpoints the bridge takes, and when it refuses plaintext.
#include "ipckit/bridge/endpoint.hpp"

#include <gtest/gtest.h>

namespace ipckit::bridge {
namespace {

TEST(BridgeEndpoint, LoopbackAndLocalSchemesAreLocal) {
  for (const char* text : {"tcp://127.0.0.1:5555", "tcp://127.3.4.5:1", "tcp://[::1]:5555",
                           "tcp://localhost:80", "tcp://lo:9", "ipc:///tmp/x.sock", "inproc://a"}) {
    auto e = parse_endpoint(text);
    ASSERT_TRUE(e) << text << ": " << e.error().message();
    EXPECT_TRUE(e->local) << text;
    EXPECT_TRUE(check_plaintext(*e, false, false, "bind")) << text;
  }
}

TEST(BridgeEndpoint, OtherHostsNeedCurveOrInsecure) {
  for (const char* text : {"tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.1:5555",
                           "tcp://[2001:db8::1]:5555", "tcp://example.org:5555"}) {
    auto e = parse_endpoint(text);
    ASSERT_TRUE(e) << text;
    EXPECT_FALSE(e->local) << text;
    auto refused = check_plaintext(*e, false, false, "bind");
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error().code(), EPERM);
    EXPECT_NE(refused.error().message().find("--insecure"), std::string::npos);
    EXPECT_TRUE(check_plaintext(*e, true, false, "bind"));
    EXPECT_TRUE(check_plaintext(*e, false, true, "bind"));
  }
}

TEST(BridgeEndpoint, BadEndpointsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c :
       {Case{"udp://127.0.0.1:5", "unknown scheme"}, Case{"127.0.0.1:5", "not an endpoint"},
        Case{"tcp://127.0.0.1", "HOST:PORT"}, Case{"tcp://127.0.0.1:0", "not a port"},
        Case{"tcp://127.0.0.1:70000", "not a port"}, Case{"tcp://h:x", "not a port"},
        Case{"ipc://", "needs a path"}}) {
    auto e = parse_endpoint(c.text);
    ASSERT_FALSE(e) << c.text;
    EXPECT_EQ(e.error().code(), EINVAL);
    EXPECT_NE(e.error().message().find(c.says), std::string::npos) << e.error().message();
  }
}

}  // namespace
}  // namespace ipckit::bridge
