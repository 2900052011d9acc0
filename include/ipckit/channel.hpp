// Umbrella header for the shared-memory channel: ipckit::Channel and friends.
#pragma once

#include "ipckit/channel/channel.hpp"
#include "ipckit/channel/options.hpp"
#include "ipckit/channel/receiver.hpp"
#include "ipckit/channel/sender.hpp"

namespace ipckit {
using channel::Channel;
using channel::ChannelInfo;
using channel::ChannelOptions;
using channel::Receiver;
using channel::Sender;
using channel::WaitMode;
using channel::WaitPolicy;
}  // namespace ipckit
