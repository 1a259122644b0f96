// AresChannel: one c-ares channel driven by a uv loop, for the Resolver.
//
// c-ares reports the sockets it wants watched through ARES_OPT_SOCK_STATE_CB; each gets one
// uv_poll_t, and one uv_timer_t follows ares_timeout(). Events go to ares_process_fd().
//
// Contract:
//   - Thread: everything on the loop's thread.
//   - Lookups are ares_getaddrinfo(AF_UNSPEC) of the name as an absolute name (a dot is
//     appended): c-ares 1.18 ignores ARES_FLAG_NOSEARCH in ares_getaddrinfo, the dot is what
//     keeps search domains out. Only DNS is asked (lookups "b"); the Resolver reads the
//     hosts file itself.
//   - Each start() gets exactly one callback, from inside c-ares: during start() itself
//     (immediate failures) or while the channel processes socket or timer events; and at the
//     latest during close(), with ARES_EDESTRUCTION (or ARES_SUCCESS with a partial answer).
//     The callback owns `res` (free it with ares_freeaddrinfo) and must not call close().
//   - after_process runs after every batch of event processing, outside c-ares. It is the
//     place to hand results on, and it may call close().
//   - close() is idempotent: destroys the channel (see above) and closes every handle.
//     Destroy the object only once closed() (all close callbacks have run).
#pragma once

#include <ares.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "common/socket_address.h"

namespace cuttle::dns {

class AresChannel {
 public:
  struct Config {
    std::vector<SocketAddress> nameservers;    // with ports; empty: the system's resolv.conf
    std::chrono::milliseconds timeout{30000};  // whole lookup, spread over the tries
  };

  // Errors: c-ares initialisation or server configuration failure (Side::kInternal).
  static Result<std::unique_ptr<AresChannel>> create(uv_loop_t* loop, const Config& config,
                                                     std::function<void()> after_process);
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // Starts a lookup of name (a valid host name without trailing dot).
  void start(const std::string& name, ares_addrinfo_callback callback, void* arg);
  void close();
  bool closed() const { return closing_ && open_handles_ == 0; }

 private:
  struct SocketWatch;
  AresChannel(uv_loop_t* loop, std::function<void()> after_process);
  static int initChannel(ares_channel* channel, const Config& config, int nservers, void* self);
  static void onSocketState(void* data, ares_socket_t fd, int readable, int writable);
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onTimer(uv_timer_t* handle);
  void watch(ares_socket_t fd, bool readable, bool writable);
  void unwatch(ares_socket_t fd);
  void process(ares_socket_t read_fd, ares_socket_t write_fd);
  void rearmTimer();

  uv_loop_t* loop_;
  ares_channel channel_ = nullptr;
  uv_timer_t timer_;
  std::unordered_map<ares_socket_t, SocketWatch*> watches_;
  std::function<void()> after_process_;
  int open_handles_ = 0;  // timer_ and the watches, until their close callbacks
  bool closing_ = false;
};

}  // namespace cuttle::dns
