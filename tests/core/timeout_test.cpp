#include "ipckit/core/timeout.hpp"

#include <gtest/gtest.h>

#include <type_traits>

#include "ipckit/channel/options.hpp"
#include "ipckit/shared_state/options.hpp"

namespace ipckit {
namespace {

TEST(CoreTimeout, ChannelAndSharedStateSpellTheOneDeclaration) {
  static_assert(std::is_same_v<channel::Timeout, Timeout>);
  static_assert(std::is_same_v<shared_state::Timeout, Timeout>);
  // One object, not two constants that happen to be equal.
  EXPECT_EQ(&channel::kForever, &kForever);
  EXPECT_EQ(&shared_state::kForever, &kForever);
  EXPECT_EQ(kForever, Timeout::max());
}

}  // namespace
}  // namespace ipckit
