// The consumer's JS methods for offsets and cluster queries: metadata, storing and committing offsets,
// committed / watermark / offsets-for-times lookups, seek and position. The blocking ones run on a
// Task (libuv threadpool; see consumer.cc for the threading model).
#include "consumer.h"
#include "failpoint.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <functional>

namespace gocoffee {

namespace {

Napi::Value error_value(Napi::Env env, int code, const std::string &message) {
  auto o = Napi::Object::New(env);
  o.Set("code", Napi::Number::New(env, code));
  o.Set("message", Napi::String::New(env, message));
  return o;
}

// A worker call whose timeout counts from the JS call, not from when a libuv pool thread is free to
// start it (a pool busy with other blocking calls must not stretch the caller's bound): the call
// gets what is left; one that starts after its deadline fails with __TIMED_OUT_QUEUE without
// calling librdkafka (nothing was sent: the outcome is known).
class CallDeadline {
 public:
  explicit CallDeadline(int timeout_ms) : at_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)) {}
  // Milliseconds left (at most INT_MAX); <= 0: the task started too late.
  int left() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - std::chrono::steady_clock::now()).count();
    return ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, INT_MAX));
  }

 private:
  std::chrono::steady_clock::time_point at_;
};

// What a Task's callback gets when its work threw: librdkafka's generic failure, naming the call.
Napi::Value failed_value(Napi::Env env, const char *what, const std::string &failed) {
  return error_value(env, RD_KAFKA_RESP_ERR__FAIL, std::string(what) + " failed: " + failed);
}

// The error text of a call that started after its deadline (see CallDeadline).
std::string not_sent(const char *what) {
  return std::string(what) + " not sent: no libuv threadpool thread became free within its timeout (UV_THREADPOOL_SIZE)";
}

// A blocking librdkafka call on the libuv threadpool: work() runs there (C calls only, no JS),
// done() on the JS thread, with `failed` null, or — when work() threw (AsyncWorker caught it, e.g.
// std::bad_alloc) — the exception's text: done() then reports librdkafka's generic failure
// (__FAIL) to the callback, so the caller hears of every call. The consumer's busy_ count (JS thread only) holds the close back until
// every task is done; a task that starts once closing began skips its call (its result keeps the
// ERR__DESTROY it was initialised with). The close worker is queued only when busy_ is 0, so no
// threadpool thread ever waits for another one.
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, Consumer *c, std::function<void()> work, std::function<void(Napi::Env, const std::string *failed)> done)
      : Napi::AsyncWorker(env, "gocoffee.Consumer.task"), c_(c), work_(std::move(work)), done_(std::move(done)) {
    c_->busy_++;
  }
  void Execute() override {
    failpoint("consumer.task");
    if (!c_->closing_.load()) work_();
  }
  void OnOK() override { settle(nullptr); }
  void OnError(const Napi::Error &e) override {
    const std::string failed = e.Message();
    settle(&failed);
  }

 private:
  // Calls back, then does the bookkeeping (a close waits for it), also when the callback throws
  // (node-addon-api then reports that exception as uncaught).
  void settle(const std::string *failed) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      done_(env, failed);
    } catch (...) {
      c_->task_done(env);
      throw;
    }
    c_->task_done(env);
  }

  Consumer *c_;
  std::function<void()> work_;
  std::function<void(Napi::Env, const std::string *)> done_;
};

}  // namespace

// metadata(timeoutMs, cb(err | null, brokers)): a metadata request (connect check) on a worker; the
// timeout counts from this call (CallDeadline).
Napi::Value Consumer::Metadata(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "metadata");
  const CallDeadline deadline(std::max(1, info[0].ToNumber().Int32Value()));
  auto cb = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info[1].As<Napi::Function>()));
  struct Out { int err = RD_KAFKA_RESP_ERR__DESTROY; int brokers = 0; bool late = false; };
  auto result = std::make_shared<Out>();
  rd_kafka_t *rk = rk_.get();
  auto *task = new Task(
      env, this,
      [rk, deadline, result] {
        const int left = deadline.left();
        if ((result->late = left <= 0)) {
          result->err = RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
          return;
        }
        const struct rd_kafka_metadata *md = nullptr;
        result->err = rd_kafka_metadata(rk, 0, nullptr, &md, left);
        if (md) {
          result->brokers = md->broker_cnt;
          rd_kafka_metadata_destroy(md);
        }
      },
      [cb, result](Napi::Env env, const std::string *failed) {
        Napi::Value err = failed ? failed_value(env, "metadata", *failed)
                          : !result->err ? env.Null()
                          : error_value(env, result->err, result->late ? not_sent("metadata") : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(result->err)));
        try {
          cb->Call({err, Napi::Number::New(env, result->brokers)});
        } catch (const Napi::Error &e) {
          napi_fatal_exception(env, e.Value());
        }
      });
  task->Queue();
  return env.Undefined();
}

// storeOffsets([{topic, partition, offset}]): throws on error (as node-rdkafka's offsetsStore).
Napi::Value Consumer::StoreOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "offsetsStore");
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "offsetsStore");
  return env.Undefined();
}

// commit(offsets?): asynchronous commit (result ignored; auto-commit retries what is stored).
Napi::Value Consumer::Commit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "commit");
  TplPtr tpl;
  if (info[0].IsArray()) tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), tpl.get(), 1);
  if (err) throw rk_error(env, err, "commit");
  return env.Undefined();
}

// commitWait([{topic, partition, offset}], timeoutMs, cb(err, [{topic, partition, offset, code}])):
// commits on a worker and reports the broker's answer, per partition (code 0: committed).
// rd_kafka_commit_queue() with a temporary queue polled (as events) until the reply or the
// deadline (err GCK_KAFKA__TIMED_OUT: the outcome is unknown; the request may still complete), or
// until the close begins (err __DESTROY). The timeout counts from the JS call (list_task from_call):
// a task no pool thread started in time fails with __TIMED_OUT_QUEUE, never sent.
Napi::Value Consumer::CommitWait(const Napi::CallbackInfo &info) {
  const std::atomic<bool> *closing = &closing_;
  return list_task(
      info, "commitWait",
      [closing](rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list, int timeout) -> int {
    QueuePtr q(rd_kafka_queue_new(rk));
    rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk, list, q.get(), nullptr, nullptr);
    if (err) return err;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return RD_KAFKA_RESP_ERR__TIMED_OUT;
      if (closing->load()) return RD_KAFKA_RESP_ERR__DESTROY;
      rd_kafka_event_t *ev = rd_kafka_queue_poll(q.get(), static_cast<int>(std::min<long long>(left, 100)));
      if (ev == nullptr) continue;
      if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_OFFSET_COMMIT) {
        rd_kafka_event_destroy(ev);
        continue;
      }
      int result = rd_kafka_event_error(ev);
      // The per-partition outcome (the reply's list holds the broker's error of each partition).
      const rd_kafka_topic_partition_list_t *got = rd_kafka_event_topic_partition_list(ev);
      for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *p =
            got ? rd_kafka_topic_partition_list_find(got, list->elems[i].topic, list->elems[i].partition) : nullptr;
        list->elems[i].err = p ? p->err : static_cast<rd_kafka_resp_err_t>(result);
      }
      rd_kafka_event_destroy(ev);
      return result;
    }
  },
      true);
}

// committed([{topic, partition}], timeoutMs, cb(err, [{topic, partition, offset, code}])) on a worker;
// the timeout counts from this call (CallDeadline).
Napi::Value Consumer::Committed(const Napi::CallbackInfo &info) {
  return list_task(
      info, "committed", [](rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list, int timeout) -> int { return rd_kafka_committed(rk, list, timeout); },
      true);
}

Napi::Value Consumer::list_task(const Napi::CallbackInfo &info, const char *what, ListCall call, bool from_call) {
  Napi::Env env = info.Env();
  check_open(env, what);
  auto list = std::shared_ptr<rd_kafka_topic_partition_list_t>(tpl_from_js(env, info[0]).release(), TplDel());
  int timeout = std::max(1, info[1].ToNumber().Int32Value());
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, std::string(what) + "(list, timeoutMs, cb)");
  auto cb = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info[2].As<Napi::Function>()));
  auto err = std::make_shared<int>(RD_KAFKA_RESP_ERR__DESTROY);
  auto late = std::make_shared<bool>(false);
  rd_kafka_t *rk = rk_.get();
  // from_call: the timeout counts from this call (CallDeadline); else from when the task starts.
  const CallDeadline deadline(timeout);
  auto *task = new Task(
      env, this,
      [rk, list, timeout, from_call, deadline, err, late, call] {
        if (!from_call) {
          *err = call(rk, list.get(), timeout);
          return;
        }
        const int left = deadline.left();
        *late = left <= 0;
        *err = *late ? RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE : call(rk, list.get(), left);
      },
      [cb, list, err, late, what](Napi::Env env, const std::string *failed) {
        std::string text = *late ? not_sent(what) : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(*err));
        Napi::Value e = failed ? failed_value(env, what, *failed) : *err ? error_value(env, *err, text.c_str()) : env.Null();
        try {
          cb->Call({e, tpl_to_js(env, list.get(), true, true)});
        } catch (const Napi::Error &x) {
          napi_fatal_exception(env, x.Value());
        }
      });
  task->Queue();
  return env.Undefined();
}

// getWatermarkOffsets(topic, partition) → {lowOffset, highOffset}: librdkafka's cached values.
Napi::Value Consumer::GetWatermarkOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "getWatermarkOffsets");
  std::string topic = info[0].ToString().Utf8Value();
  int32_t partition = info[1].ToNumber().Int32Value();
  int64_t lo = -1, hi = -1;
  rd_kafka_resp_err_t err = rd_kafka_get_watermark_offsets(rk_.get(), topic.c_str(), partition, &lo, &hi);
  if (err) throw rk_error(env, err, "getWatermarkOffsets");
  auto o = Napi::Object::New(env);
  o.Set("lowOffset", static_cast<double>(lo));
  o.Set("highOffset", static_cast<double>(hi));
  return o;
}

// queryWatermarkOffsets(topic, partition, timeoutMs, cb(err, {lowOffset, highOffset})) on a worker;
// the timeout counts from this call (CallDeadline).
Napi::Value Consumer::QueryWatermarkOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  std::string topic = info[0].ToString().Utf8Value();
  int32_t partition = info[1].ToNumber().Int32Value();
  const CallDeadline deadline(std::max(1, info[2].ToNumber().Int32Value()));
  std::shared_ptr<Napi::FunctionReference> cb;
  if (info[3].IsFunction()) cb = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info[3].As<Napi::Function>()));
  struct Out { int err = RD_KAFKA_RESP_ERR__DESTROY; int64_t lo = -1, hi = -1; bool late = false; };
  auto out = std::make_shared<Out>();
  rd_kafka_t *rk = rk_.get();
  auto *task = new Task(
      env, this,
      [rk, topic, partition, deadline, out] {
        const int left = deadline.left();
        if ((out->late = left <= 0)) out->err = RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
        else out->err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &out->lo, &out->hi, left);
      },
      [cb, out](Napi::Env env, const std::string *failed) {
        if (!cb) return;
        auto wm = Napi::Object::New(env);
        wm.Set("lowOffset", static_cast<double>(out->lo));
        wm.Set("highOffset", static_cast<double>(out->hi));
        Napi::Value e = failed ? failed_value(env, "queryWatermarkOffsets", *failed)
                        : !out->err ? env.Null()
                        : error_value(env, out->err, out->late ? not_sent("queryWatermarkOffsets") : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(out->err)));
        try {
          cb->Call({e, wm});
        } catch (const Napi::Error &x) {
          napi_fatal_exception(env, x.Value());
        }
      });
  task->Queue();
  return env.Undefined();
}

// seek([{topic, partition, offset}], timeoutMs, cb(err, [{topic, partition, offset, code}])):
// moves the fetch position of assigned partitions (offset >= 0, or librdkafka's logical -2
// beginning / -1 end), rd_kafka_seek_partitions with a timeout on a worker: librdkafka answers per
// partition once the partition's fetcher applied the seek (code 0) or refused it (e.g. __STATE:
// its fetcher has not started yet, right after an assignment; the caller may try again). err:
// __TIMED_OUT when not every partition answered in time (those may still move). librdkafka drops
// what it prefetched at the old position (version barrier); messages already handed to JS are
// the caller's to discard.
Napi::Value Consumer::Seek(const Napi::CallbackInfo &info) {
  return list_task(info, "seek", [](rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list, int timeout) -> int {
    ErrorPtr error(rd_kafka_seek_partitions(rk, list, timeout));
    return error ? rd_kafka_error_code(error.get()) : 0;
  });
}

// position([{topic, partition}]) → [{topic, partition, offset}]: rd_kafka_position, the offset
// after the last message librdkafka handed to the application (-1001 before the first, and again
// after a seek until the first message of the new position). Local state, non-blocking.
Napi::Value Consumer::Position(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "position");
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_position(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "position");
  return tpl_to_js(env, tpl.get(), true);
}

// offsetsForTimes([{topic, partition, offset: timestampMs}], timeoutMs, cb(err, [{topic, partition,
// offset, code}])) on a worker: per partition the earliest offset whose timestamp is >= the given
// one (-1 with code 0: none, i.e. the end). The call can succeed while single partitions failed
// (e.g. NOT_LEADER during a leader move): their `code` is not 0 and their offset means nothing. The
// timeout counts from this call (CallDeadline).
Napi::Value Consumer::OffsetsForTimes(const Napi::CallbackInfo &info) {
  return list_task(
      info, "offsetsForTimes",
      [](rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list, int timeout) -> int { return rd_kafka_offsets_for_times(rk, list, timeout); }, true);
}

}  // namespace gocoffee
