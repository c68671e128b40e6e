// The batch producer (JS class Producer), in producer.cc, producer-ops.cc and producer-txn.cc: see
// producer.cc and binding-notes/engine-producer.md.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "oauth.h"
#include "rk.h"
#include "wake.h"

namespace gocoffee {

class TxnWorker;  // producer-txn.cc: one blocking transaction call on a work thread

// Everything librdkafka reported between two hand-offs to JS. Filled by librdkafka callbacks
// (dr_msg_cb, error_cb, log_cb, stats_cb), which run inside rd_kafka_poll / rd_kafka_flush: on the
// JS thread (wake-ups) or on a libuv work thread (flush). Guarded by Producer::mu_.
struct Reports {
  std::vector<int32_t> ok;       // pairs: id, partition
  std::vector<double> ok_pos;    // pairs: offset, timestamp (ms; -1 when unknown)
  std::vector<int32_t> failed;   // quads: id, error code, partition, flags (1 = refused at enqueue)
  std::vector<int32_t> err_codes;  // error_cb: code (the underlying one for a fatal error)
  std::vector<uint8_t> err_fatal;
  std::vector<std::string> err_texts;
  std::vector<int32_t> log_levels;
  std::vector<std::string> log_facs, log_texts;
  std::vector<std::string> stats;
  bool empty() const {
    return ok.empty() && failed.empty() && err_codes.empty() && log_levels.empty() && stats.empty();
  }
  void clear();
  void swap(Reports &o) noexcept;
};

class Producer : public Napi::ObjectWrap<Producer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Producer(const Napi::CallbackInfo &info);
  ~Producer() override;

  // librdkafka callbacks (any thread that polls): write only to reports_ under mu_.
  void on_delivery(const rd_kafka_message_t *m);
  void on_error(int code, bool fatal, const char *reason);
  void on_log(int level, const char *fac, const char *buf);
  void on_stats(const char *json, size_t len);

  rd_kafka_t *rk() const { return rk_.get(); }
  void kick() {
    if (waker_) waker_->kick();
  }
  void worker_done();  // JS thread: a flush / metadata worker finished (close may proceed)
  // OAUTHBEARER (oauth.h): the hook its refresh callback reaches (null without gocoffee.oauthbearer).
  OAuthBearer *oauth() { return oauth_.get(); }

 private:
  Napi::Value ProduceBatch(const Napi::CallbackInfo &info);
  Napi::Value Flush(const Napi::CallbackInfo &info);
  Napi::Value Metadata(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value SetRef(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerToken(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info);
  void on_oauth_wanted();  // JS thread: librdkafka asked for a new token
  // Transactions (binding-notes/transactions.md): begin is synchronous (librdkafka's main thread
  // answers it at once); init / sendOffsets / commit / abort block and run on work threads.
  Napi::Value InitTransactions(const Napi::CallbackInfo &info);
  Napi::Value BeginTransaction(const Napi::CallbackInfo &info);
  Napi::Value SendOffsetsToTransaction(const Napi::CallbackInfo &info);
  Napi::Value CommitTransaction(const Napi::CallbackInfo &info);
  Napi::Value AbortTransaction(const Napi::CallbackInfo &info);
  Napi::Value start_txn(Napi::Env env, TxnWorker *w);  // counts it in workers_, queues it

  rd_kafka_topic_t *topic(const std::string &name);
  void on_wake();          // JS thread
  void deliver();          // JS thread: one JS call with everything collected
  void start_destroy();    // JS thread: hands rk_ to a work thread for rd_kafka_destroy
  void shutdown_sync();    // finalizer path (never closed): destroy here

  RkPtr rk_;
  QueuePtr main_q_;
  std::unordered_map<std::string, RktPtr> topics_;
  std::vector<rd_kafka_topic_t *> batch_topics_;  // scratch, per produceBatch call
  std::unique_ptr<Waker> waker_;
  Napi::FunctionReference on_events_;
  std::unique_ptr<Napi::AsyncContext> async_ctx_;
  bool closing_ = false;   // close() called: no more produce / flush / metadata
  bool destroyed_ = false;
  int workers_ = 0;        // flush / metadata / transaction workers holding rk_
  std::unique_ptr<Napi::Promise::Deferred> close_deferred_;
  Napi::Reference<Napi::Promise> close_promise_;  // what every close() returns (the first call's)

  std::mutex mu_;
  Reports reports_;        // guarded by mu_
  Reports scratch_;        // JS thread only: swapped with reports_ at each hand-off
  uint64_t wakeups_ = 0, handoffs_ = 0, queue_full_ = 0;
  Napi::FunctionReference on_oauth_;  // new Producer's 4th argument, optional
  // Declared after rk_ and main_q_: destroyed first, so its SASL queue reference goes before the handle.
  std::unique_ptr<OAuthBearer> oauth_;
};

}  // namespace gocoffee
