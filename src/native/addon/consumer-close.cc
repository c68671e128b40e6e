// The consumer's close (see consumer.cc for the threading model): leaving the group on a close worker
// (libuv threadpool), then destroying the handle; statistics and OAUTHBEARER.
#include "consumer.h"
#include "failpoint.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace gocoffee {

namespace {

Napi::Array refs_to_js(Napi::Env env, const std::vector<PartitionRef> &refs) {
  auto arr = Napi::Array::New(env, refs.size());
  for (size_t i = 0; i < refs.size(); i++) {
    auto o = Napi::Object::New(env);
    o.Set("topic", refs[i].topic);
    o.Set("partition", refs[i].partition);
    arr.Set(i, o);
  }
  return arr;
}

class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, Consumer *c) : Napi::AsyncWorker(env, "gocoffee.Consumer.close"), c_(c) {}
  // If the close work throws (std::bad_alloc recording a revoke), it runs once more: what it
  // already did is not repeated (a pending revoke is finished, a close queue requested once; every
  // rebalance is applied before anything is recorded, so librdkafka never waits for an unassign
  // call). Should that throw too, the handle is destroyed without the group leave (close_abandon,
  // reported as abandoned). Either way the close completes, its callback comes and names the
  // failure.
  void Execute() override {
    try {
      c_->close_native();
    } catch (const std::exception &e) {
      c_->close_failed(e.what());
      try {
        c_->close_native();
      } catch (const std::exception &) {
        c_->close_abandon();
      }
    }
  }
  void OnOK() override { c_->close_done(Env()); }

 private:
  Consumer *c_;
};

}  // namespace

// close(cb(revokedAtClose, abandoned, failure?), timeoutMs = 10000): leaves the group and destroys
// the handle on a worker thread, the leave bounded by timeoutMs (abandoned: the handle was
// destroyed without it: the leave did not finish in time, or the close work threw twice; failure:
// the text of what the close work threw, when it did). Idempotent (a second call's cb is not
// called), callable from inside any callback.
Napi::Value Consumer::Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  closing_ = true;
  fetching_ = false;
  if (info[0].IsFunction()) close_cb_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (info.Length() > 1 && info[1].IsNumber()) close_timeout_ms_ = std::max(100, info[1].As<Napi::Number>().Int32Value());  // at least one poll
  if (in_drain_) close_deferred_ = true;  // inside consume_batch_queue or a batch callback
  else begin_close(env);
  return env.Undefined();
}

void Consumer::begin_close(Napi::Env env) {
  // Unhook first (takes the queue lock librdkafka signals under): no wake-up after this.
  if (waker_) waker_->close();
  if (oauth_) oauth_->close();
  // Tasks still using rk (metadata, watermarks, committed, seek, commitWait, offsets for times) finish first (their own timeouts): the
  // last one queues the close (task_done).
  if (busy_ > 0) {
    close_waiting_ = true;
    return;
  }
  auto *w = new CloseWorker(env, this);
  w->Queue();
}

void Consumer::task_done(Napi::Env env) {
  if (--busy_ == 0 && close_waiting_) {
    close_waiting_ = false;
    auto *w = new CloseWorker(env, this);
    w->Queue();
  }
}

// One event of the close queue (close worker thread): a rebalance is served like the rebalance_cb;
// the event is destroyed in every case.
void Consumer::serve_close_event(rd_kafka_event_t *ev) {
  if (ev == nullptr) return;
  const std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t *)> owned(ev, rd_kafka_event_destroy);  // also if on_rebalance throws
  if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) on_rebalance(rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
}

void Consumer::close_native() {
  // A revoke JS was told about and has not finished: finish it, or the close would wait for it.
  if (pending_revoke_) {
    if (pending_coop_) ErrorPtr(rd_kafka_incremental_unassign(rk_.get(), pending_revoke_.get()));
    else rd_kafka_assign(rk_.get(), nullptr);
    pending_revoke_.reset();
  }
  // rd_kafka_consumer_close() with a deadline: it waits for the final commit and the group leave
  // without one, and with the brokers gone or frozen that took minutes (a worker thread the
  // process cannot exit without). Served here as rd_kafka_consumer_close() serves it (the final
  // revoke reaches on_rebalance, no JS); past the deadline the handle is destroyed without the
  // close: the group then expires the member after session.timeout.ms.
  QueuePtr close_q(rd_kafka_queue_new(rk_.get()));  // destroyed however this ends
  rd_kafka_queue_t *cq = close_q.get();
  rd_kafka_error_t *error = rd_kafka_consumer_close_queue(rk_.get(), cq);
  bool closed = false;
  if (error != nullptr) {
    rd_kafka_error_destroy(error);
  } else {
    // Polled as events, not callbacks: the forwarded consumer queue can still hold fetched
    // messages and consumer errors, which a callback poll cannot serve (librdkafka asserts). The
    // rebalance goes to on_rebalance as the rebalance_cb would; everything else is dropped, as
    // rd_kafka_consumer_close() drops it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(close_timeout_ms_);
    while (!(closed = rd_kafka_consumer_closed(rk_.get()) != 0)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      serve_close_event(rd_kafka_queue_poll(cq, static_cast<int>(std::min<long long>(left, 100))));
    }
    // What is still queued, closed or not: a rebalance event purged with the queue would leave the
    // group waiting for an unassign nobody makes, and the destroy below waiting for the group.
    for (rd_kafka_event_t *ev; (ev = rd_kafka_queue_poll(cq, 0)) != nullptr;) serve_close_event(ev);
  }
  close_q.reset();
  q_.reset();
  if (oauth_) oauth_->release_queue();  // unhooked by begin_close; the reference must go before rk
  close_abandoned_ = !closed;
  // Past the deadline: destroy without waiting for the close any longer. librdkafka still joins its
  // threads, which wait for requests already sent (the final OffsetCommit, the LeaveGroup) to be
  // answered or time out (socket.timeout.ms = read_timeout), so the worker is held at most about
  // the deadline + max(read_timeout, session.timeout.ms); see binding-notes/engine-consumer.md.
  if (closed) rk_.reset();  // rd_kafka_destroy
  else rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

// The close work threw (close worker thread): remembered for the close callback.
// After it threw twice: what it did not get to. A pending revoke is finished (librdkafka would wait
// for that unassign call), the handle destroyed without the consumer close (the group expires the
// member after session.timeout.ms), reported to JS as abandoned, like a close past its deadline.
void Consumer::close_failed(const char *failure) noexcept {
  try {
    close_failure_ = failure;
  } catch (...) {
    close_failure_.clear();  // no text then (empty: "unknown")
  }
  close_failed_ = true;
}

void Consumer::close_abandon() noexcept {
  if (pending_revoke_) {
    if (pending_coop_) ErrorPtr(rd_kafka_incremental_unassign(rk_.get(), pending_revoke_.get()));
    else rd_kafka_assign(rk_.get(), nullptr);
  }
  pending_revoke_.reset();
  q_.reset();
  if (oauth_) oauth_->release_queue();
  close_abandoned_ = true;
  if (rk_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void Consumer::close_done(Napi::Env env) {
  closed_ = true;
  waker_.reset();
  Napi::HandleScope scope(env);
  Napi::Array revoked = refs_to_js(env, close_revoked_);
  close_revoked_.clear();
  if (!close_cb_.IsEmpty()) {
    Napi::FunctionReference cb = std::move(close_cb_);
    try {
      Napi::Value failure = !close_failed_ ? env.Undefined() : Napi::String::New(env, close_failure_.empty() ? std::string("unknown failure") : close_failure_);
      cb.Call({revoked, Napi::Boolean::New(env, close_abandoned_), failure});
    } catch (const Napi::Error &e) {
      napi_fatal_exception(env, e.Value());
    }
  }
  on_batch_.Reset();
  on_rebalance_.Reset();
  on_error_.Reset();
  on_log_.Reset();
  on_stats_.Reset();
  on_oauth_.Reset();
  oauth_.reset();
  Napi::ObjectWrap<Consumer>::Unref();
}

Napi::Value Consumer::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("wakeups", static_cast<double>(wakeups_));
  o.Set("slabs", static_cast<double>(slabs_));
  o.Set("messages", static_cast<double>(messages_));
  o.Set("slabBytes", static_cast<double>(bytes_));
  o.Set("maxSlabBytes", static_cast<double>(max_slab_bytes_));
  o.Set("maxSlabMessages", static_cast<double>(batch_max_));
  o.Set("rebalances", static_cast<double>(rebalances_.load()));
  o.Set("errors", static_cast<double>(errors_));
  o.Set("oauthRefreshRequests", static_cast<double>(oauth_ ? oauth_->requests() : 0));
  return o;
}

// ---- OAUTHBEARER (oauth.h) ------------------------------------------------------------------------

// JS thread, from the SASL queue's serve(): librdkafka wants a new token. Not once closing.
void Consumer::on_oauth_wanted() {
  if (on_oauth_.IsEmpty() || closing_.load()) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  call(on_oauth_, {});
}

// setOAuthBearerToken / setOAuthBearerTokenFailure: oauth.h; no handle (a no-op) once closing.
Napi::Value Consumer::SetOAuthBearerToken(const Napi::CallbackInfo &info) { return oauth_set_token(info, closing_.load() ? nullptr : rk_.get()); }

Napi::Value Consumer::SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info) { return oauth_set_token_failure(info, closing_.load() ? nullptr : rk_.get()); }

}  // namespace gocoffee
