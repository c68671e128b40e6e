// The batch producer (JS class Producer): see producer.cc and binding-notes/engine.md.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rk.h"
#include "wake.h"

namespace gocoffee {


// Delivery outcomes gathered between two hand-offs to JS.
struct Reports {
  std::vector<int32_t> ok;       // message ids, in report order
  std::vector<double> offsets;   // parallel to ok, only when spike.offsets=1
  std::vector<int32_t> failed;   // pairs: id, error code
  std::vector<int32_t> err_codes;  // error_cb: codes (ERR__FATAL = fatal)
  std::vector<std::string> err_texts;
  bool empty() const { return ok.empty() && failed.empty() && err_codes.empty(); }
  void clear();
  void append_from(Reports &other);  // moves other's contents in, leaves other empty
};

class Producer : public Napi::ObjectWrap<Producer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Producer(const Napi::CallbackInfo &info);
  ~Producer() override;

  // Called by librdkafka (dr_msg_cb / error_cb) on the thread that polls: main thread in the
  // pipe/async modes, the poll thread in thread mode. Writes only to *collect_.
  void on_delivery(const rd_kafka_message_t *m);
  void on_error(int code, const char *reason);

 private:
  Napi::Value ProduceBatch(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value SetRef(const Napi::CallbackInfo &info);

  rd_kafka_topic_t *topic(const std::string &name);
  void on_wake();                // main thread
  void deliver(Reports &r);      // main thread: one JS call with typed arrays
  void poll_thread_main();
  void shutdown(bool call_js);   // idempotent

  RkPtr rk_;
  QueuePtr main_q_;
  std::unordered_map<std::string, RktPtr> topics_;
  std::unique_ptr<Waker> waker_;
  Napi::FunctionReference on_reports_;
  std::unique_ptr<Napi::AsyncContext> async_ctx_;
  bool want_offsets_ = false;
  bool closed_ = false;

  Reports main_reports_;          // main-thread modes: filled by rd_kafka_poll on the main thread
  Reports thread_reports_;        // thread mode: filled by the poll thread, merged into shared_
  Reports shared_;                // thread mode: guarded by mu_
  Reports *collect_ = &main_reports_;
  std::mutex mu_;
  std::thread poller_;
  std::atomic<bool> running_{false};
  uint64_t wakeups_ = 0, handoffs_ = 0, queue_full_ = 0;
};

}  // namespace gocoffee
