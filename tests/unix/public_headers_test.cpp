// The public Unix socket headers keep their bookkeeping private: which socket file a listener or
// a BoundDatagram bound (device, inode, ctime) lives in src/unix/path_binding.hpp, behind a
// pointer, not in listener.hpp or bound_datagram.hpp. Were either header to declare
// uds::detail::FileId again, the alias below would clash with it and this file would not compile.
#include <gtest/gtest.h>

#include <type_traits>

#include "ipckit/unix/bound_datagram.hpp"
#include "ipckit/unix/listener.hpp"

namespace ipckit::uds::detail {
using FileId = void;
}  // namespace ipckit::uds::detail

namespace ipckit {
namespace {

TEST(UnixPublicHeaders, DeclareNoFileIdOfTheirOwn) {
  EXPECT_TRUE((std::is_void_v<uds::detail::FileId>));
}

TEST(UnixPublicHeaders, HandlesStayMoveOnly) {
  EXPECT_TRUE(std::is_nothrow_move_constructible_v<uds::UnixListener>);
  EXPECT_TRUE(std::is_nothrow_move_assignable_v<uds::UnixListener>);
  EXPECT_FALSE(std::is_copy_constructible_v<uds::UnixListener>);
  EXPECT_TRUE(std::is_nothrow_move_constructible_v<uds::BoundDatagram>);
  EXPECT_TRUE(std::is_nothrow_move_assignable_v<uds::BoundDatagram>);
  EXPECT_FALSE(std::is_copy_constructible_v<uds::BoundDatagram>);
}

}  // namespace
}  // namespace ipckit
