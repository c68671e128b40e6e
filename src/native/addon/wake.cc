#include "wake.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace gocoffee {

struct Waker::Handles {
  uv_async_t async;
  uv_poll_t poll;
  bool has_poll = false;
  int fds[2] = {-1, -1};
  int open_handles = 0;
  bool closed = false;         // no fire() after close(); fire itself lives until the handles are freed,
  std::function<void()> fire;  // so close() from inside fire() (JS closing in its callback) is safe
};

WakeMode parse_wake_mode(const std::string &s) {
  if (s == "pipe") return WakeMode::Pipe;
  if (s == "async") return WakeMode::Async;
  if (s == "thread") return WakeMode::Thread;
  throw std::invalid_argument("gocoffee.wake must be pipe | async | thread");
}

static void on_closed(uv_handle_t *h) {
  auto *hs = static_cast<Waker::Handles *>(h->data);
  if (--hs->open_handles == 0) {
    if (hs->fds[0] >= 0) ::close(hs->fds[0]);
    if (hs->fds[1] >= 0) ::close(hs->fds[1]);
    delete hs;
  }
}

static void on_async(uv_async_t *a) {
  auto *hs = static_cast<Waker::Handles *>(a->data);
  if (!hs->closed) hs->fire();
}

static void on_poll(uv_poll_t *p, int status, int events) {
  auto *hs = static_cast<Waker::Handles *>(p->data);
  char buf[256];
  while (::read(hs->fds[0], buf, sizeof(buf)) > 0) {
  }
  if (!hs->closed) hs->fire();
}

// Runs on a librdkafka thread with the queue lock held: only uv_async_send (thread-safe, coalesced).
static void on_queue_event(rd_kafka_t *, void *opaque) {
  uv_async_send(static_cast<uv_async_t *>(opaque));
}

Waker::Waker(uv_loop_t *loop, WakeMode mode, std::function<void()> fire)
    : mode_(mode), h_(new Handles()) {
  h_->fire = std::move(fire);
  if (uv_async_init(loop, &h_->async, on_async) != 0) {
    delete h_;
    throw std::runtime_error("uv_async_init failed");
  }
  h_->async.data = h_;
  h_->open_handles = 1;
  if (mode_ == WakeMode::Pipe) {
    if (::pipe2(h_->fds, O_NONBLOCK | O_CLOEXEC) != 0 || uv_poll_init(loop, &h_->poll, h_->fds[0]) != 0) {
      close();
      throw std::runtime_error("pipe / uv_poll_init failed");
    }
    h_->poll.data = h_;
    h_->has_poll = true;
    h_->open_handles++;
    uv_poll_start(&h_->poll, UV_READABLE, on_poll);
  }
}

Waker::~Waker() { close(); }

void Waker::attach(rd_kafka_queue_t *q) {
  queue_ = q;
  if (mode_ == WakeMode::Pipe) {
    static const char one = 1;
    rd_kafka_queue_io_event_enable(q, h_->fds[1], &one, 1);
  } else if (mode_ == WakeMode::Async) {
    rd_kafka_queue_cb_event_enable(q, on_queue_event, &h_->async);
  }
}

void Waker::kick() {
  if (h_) uv_async_send(&h_->async);
}

void Waker::ref(bool on) {
  if (!h_) return;
  auto apply = [on](uv_handle_t *h) { on ? uv_ref(h) : uv_unref(h); };
  apply(reinterpret_cast<uv_handle_t *>(&h_->async));
  if (h_->has_poll) apply(reinterpret_cast<uv_handle_t *>(&h_->poll));
}

void Waker::close() {
  if (!h_) return;
  if (queue_) {
    // Both take the queue lock, which librdkafka holds while it signals: once these return, no
    // librdkafka thread is inside on_queue_event or writing to our pipe.
    if (mode_ == WakeMode::Pipe) rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    if (mode_ == WakeMode::Async) rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    queue_ = nullptr;
  }
  h_->closed = true;
  if (h_->has_poll) {
    uv_poll_stop(&h_->poll);
    uv_close(reinterpret_cast<uv_handle_t *>(&h_->poll), on_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t *>(&h_->async), on_closed);
  h_ = nullptr;
}

}  // namespace gocoffee
