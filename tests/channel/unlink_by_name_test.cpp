// Unlinking a channel or a shared state by name, as `ipckit rm channel:NAME` does it: a name that
// names nothing fails with ENOENT naming it; another user's object fails with EACCES (it cannot
// read the header that proves what the object is, and /dev/shm is sticky) and stays.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "ipckit/channel.hpp"
#include "ipckit/shared_state.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit {
namespace {

using test::code_of;

TEST(UnlinkByName, MissingChannelOrSharedStateFailsWithEnoentNamingIt) {
  const std::string name = test::unique_name("missing");
  for (auto r : {channel::Channel::unlink(name), shared_state::SharedState::unlink(name)}) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ENOENT);
    EXPECT_EQ(r.error().object(), name);
  }
}

TEST(UnlinkByName, AnotherUsersChannelOrSharedStateFailsWithEaccesAndStays) {
  for (const mode_t mode : {mode_t{0600}, mode_t{0666}}) {
    const std::string chan = test::unique_name("chan");
    auto c = channel::Channel::create(chan, {.mode = mode});
    ASSERT_TRUE(c) << c.error().message();
    test::ScopeExit chan_guard([&] { (void)channel::Channel::unlink(chan); });
    const std::string state = test::unique_name("state");
    auto w = SharedStateWriter::create(state, 64, {.mode = mode});
    ASSERT_TRUE(w) << w.error().message();
    test::ScopeExit state_guard([&] { (void)shared_state::SharedState::unlink(state); });

    test::Child nobody(
        [&] {
          if (code_of(channel::Channel::unlink(chan)) != EACCES) return 1;
          if (code_of(shared_state::SharedState::unlink(state)) != EACCES) return 2;
          return 0;
        },
        /*as_nobody=*/true);
    EXPECT_EQ(nobody.wait(), 0) << "mode " << std::oct << mode;
    EXPECT_TRUE(channel::Channel::inspect(chan));
    EXPECT_TRUE(shared_state::SharedState::inspect(state));
  }
}

}  // namespace
}  // namespace ipckit
