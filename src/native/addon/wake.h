// How librdkafka wakes the JS thread. Three modes, same drain code behind them:
//   pipe   rd_kafka_queue_io_event_enable(q, pipe write end) + uv_poll_t on the read end
//   async  rd_kafka_queue_cb_event_enable(q, cb) where cb (a librdkafka thread) does uv_async_send
//   thread no queue hook: the owner's own poll thread calls kick() (uv_async_send)
// librdkafka signals only on the empty → non-empty transition of the queue, so the drain must
// empty the queue or call kick() to be called again on the next loop iteration.
#pragma once

#include <rdkafka.h>
#include <uv.h>

#include <functional>
#include <string>

namespace gocoffee {

enum class WakeMode { Pipe, Async, Thread };

WakeMode parse_wake_mode(const std::string &s);

class Waker {
 public:
  Waker(uv_loop_t *loop, WakeMode mode, std::function<void()> fire);
  ~Waker();
  Waker(const Waker &) = delete;
  Waker &operator=(const Waker &) = delete;

  // Hooks the queue (pipe / async modes). The queue must outlive the waker or close() must be
  // called before it is destroyed.
  void attach(rd_kafka_queue_t *q);
  // Any thread: fire() runs on the loop thread at its next iteration (coalesced).
  void kick();
  // Loop thread, idempotent: unhooks the queue (after this no librdkafka thread touches us) and
  // closes the libuv handles (freed in their close callbacks).
  void close();
  void ref(bool on);
  WakeMode mode() const { return mode_; }

 struct Handles;  // libuv handles + pipe fds; public only for the C callbacks in wake.cc

 private:
  WakeMode mode_;
  rd_kafka_queue_t *queue_ = nullptr;  // not owned
  Handles *h_;                         // freed by the last uv_close callback
};

}  // namespace gocoffee
