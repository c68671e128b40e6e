// The batch consumer (JS class Consumer, wrapped by src/native/batch-consumer.ts), in consumer.cc,
// consumer-group.cc, consumer-offsets.cc and consumer-close.cc. See consumer.cc for the threading
// model and binding-notes/engine-consumer.md.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "oauth.h"
#include "rk.h"
#include "slab.h"
#include "wake.h"

namespace gocoffee {

/** A partition of a rebalance, copied out of librdkafka's list (plain C++: any thread). */
struct PartitionRef {
  std::string topic;
  int32_t partition;
};

// Shared by consumer*.cc (defined in consumer.cc), JS thread only.
// An Error "<what>: <librdkafka's text>" with .code.
Napi::Error rk_error(Napi::Env env, int code, const std::string &what);
// JS [{topic, partition, offset?}] → partition list (offset set when given).
TplPtr tpl_from_js(Napi::Env env, const Napi::Value &v);
// Partition list → JS [{topic, partition, offset?, code?}] (code: the partition's .err).
Napi::Array tpl_to_js(Napi::Env env, const rd_kafka_topic_partition_list_t *l, bool offsets, bool codes = false);

class Consumer : public Napi::ObjectWrap<Consumer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Consumer(const Napi::CallbackInfo &info);
  ~Consumer() override;

  // librdkafka callbacks. They run on the JS thread inside the drain (the consumer queue serves
  // them), or on the close worker during rd_kafka_consumer_close (then no JS is called).
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts);
  void on_error(int err, const char *reason);
  void on_log(int level, const char *fac, const char *buf);
  void on_stats(const char *json, size_t len);
  // OAUTHBEARER (oauth.h): the hook its refresh callback reaches (null without gocoffee.oauthbearer).
  OAuthBearer *oauth() { return oauth_.get(); }

  // Close worker (libuv threadpool): no JS.
  void close_native();
  void close_failed(const char *failure) noexcept;  // close worker: close_native() threw (remembered for the callback)
  void close_abandon() noexcept;  // close worker: it threw twice: destroys the handle without the close
  void serve_close_event(rd_kafka_event_t *ev);  // close worker: one event of the close queue
  // JS thread, after close_native.
  void close_done(Napi::Env env);

  // JS thread: a task (metadata, watermarks, committed, seek, commitWait, offsetsForTimes)
  // finished; queues a waiting close.
  void task_done(Napi::Env env);
  int busy_ = 0;                    // tasks queued or running (JS thread only)
  std::atomic<bool> closing_{false};

 private:
  Napi::Value Subscribe(const Napi::CallbackInfo &info);
  Napi::Value Unsubscribe(const Napi::CallbackInfo &info);
  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value SetRoom(const Napi::CallbackInfo &info);
  Napi::Value Metadata(const Napi::CallbackInfo &info);
  Napi::Value StoreOffsets(const Napi::CallbackInfo &info);
  Napi::Value Commit(const Napi::CallbackInfo &info);
  Napi::Value CommitWait(const Napi::CallbackInfo &info);
  Napi::Value Committed(const Napi::CallbackInfo &info);
  Napi::Value Pause(const Napi::CallbackInfo &info);
  Napi::Value Resume(const Napi::CallbackInfo &info);
  Napi::Value Assign(const Napi::CallbackInfo &info);
  Napi::Value Unassign(const Napi::CallbackInfo &info);
  Napi::Value IncrementalAssign(const Napi::CallbackInfo &info);
  Napi::Value IncrementalUnassign(const Napi::CallbackInfo &info);
  Napi::Value Assignments(const Napi::CallbackInfo &info);
  Napi::Value RebalanceProtocol(const Napi::CallbackInfo &info);
  Napi::Value GetWatermarkOffsets(const Napi::CallbackInfo &info);
  Napi::Value QueryWatermarkOffsets(const Napi::CallbackInfo &info);
  Napi::Value Seek(const Napi::CallbackInfo &info);
  Napi::Value Position(const Napi::CallbackInfo &info);
  Napi::Value OffsetsForTimes(const Napi::CallbackInfo &info);
  Napi::Value GroupMetadata(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerToken(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info);
  void on_oauth_wanted();
  // A blocking call over a partition list on a Task: (list, timeoutMs, cb(err | null, [{topic,
  // partition, offset, code}])). `call` runs on the worker (C calls only) and returns the overall
  // error code; the per-partition codes are the list's .err after it.
  using ListCall = std::function<int(rd_kafka_t *, rd_kafka_topic_partition_list_t *, int)>;
  // A call on a worker with the partition list; from_call: its timeout counts from this call (CallDeadline, consumer-offsets.cc).
  Napi::Value list_task(const Napi::CallbackInfo &info, const char *what, ListCall call, bool from_call = false);

  bool on_js_thread() const { return std::this_thread::get_id() == js_thread_; }
  void check_open(Napi::Env env, const char *what) const;
  void on_wake();
  void drain();
  void hand_over(Napi::Env env, rd_kafka_message_t *const *msgs, size_t count, const SlabSize &size);
  void begin_close(Napi::Env env);
  Napi::Value call(Napi::FunctionReference &fn, const std::initializer_list<napi_value> &args);

  RkPtr rk_;
  QueuePtr q_;
  std::unique_ptr<Waker> waker_;
  std::thread::id js_thread_;
  napi_env env_ = nullptr;
  Napi::FunctionReference on_batch_, on_rebalance_, on_error_, on_log_, on_stats_, close_cb_, on_oauth_;
  std::unique_ptr<Napi::AsyncContext> async_ctx_;
  size_t batch_max_ = 1000;
  size_t room_ = 1000;              // how many the next drain may take (JS: maxInFlight - inFlight)
  bool subscribed_ = false;
  bool fetching_ = false;           // start() .. stop(): messages are drained
  bool in_drain_ = false;
  bool close_deferred_ = false;     // close() from inside the drain: begins when the drain returns
  bool close_waiting_ = false;      // close() waits for busy_ tasks
  bool closed_ = false;             // close_done ran
  int close_timeout_ms_ = 10000;    // close(cb, timeoutMs): how long leaving the group may take
  bool close_abandoned_ = false;    // the group leave did not finish in time: destroyed without it
  bool close_failed_ = false;       // close_native() threw (close_failed): the close ran again
  std::string close_failure_;       // and the text of what it threw, for the close callback
  std::atomic<bool> cooperative_{false};
  TplPtr pending_revoke_;           // told JS "revoke", JS has not unassigned yet (JS thread / close worker)
  bool pending_coop_ = false;
  std::vector<PartitionRef> close_revoked_;  // revoked by rd_kafka_consumer_close (close worker)
  std::vector<rd_kafka_message_t *> msgs_;
  uint64_t wakeups_ = 0, slabs_ = 0, messages_ = 0, bytes_ = 0, max_slab_bytes_ = 0, errors_ = 0;
  std::atomic<uint64_t> rebalances_{0};
  // Declared after rk_ and q_: destroyed first, so its SASL queue reference goes before the handle.
  std::unique_ptr<OAuthBearer> oauth_;
};

}  // namespace gocoffee
