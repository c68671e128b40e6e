// The batch consumer (JS class Consumer): see consumer.cc, slab.h and binding-notes/engine.md.
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
#include "slab.h"
#include "wake.h"

namespace gocoffee {
class Consumer : public Napi::ObjectWrap<Consumer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Consumer(const Napi::CallbackInfo &info);
  ~Consumer() override;
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts);

 private:
  Napi::Value Subscribe(const Napi::CallbackInfo &info);
  Napi::Value StoreOffsets(const Napi::CallbackInfo &info);
  Napi::Value Commit(const Napi::CallbackInfo &info);
  Napi::Value Pause(const Napi::CallbackInfo &info);
  Napi::Value Resume(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);

  void on_wake();                  // main thread
  void drain_main();               // pipe/async: consume_batch_queue on the main thread
  void fetch_thread_main();        // thread: fills slabs off the main thread
  void hand_off(SlabData &slab);   // main thread: one JS call per slab
  void shutdown();

  RkPtr rk_;
  QueuePtr q_;
  std::unique_ptr<Waker> waker_;
  Napi::FunctionReference on_batch_;
  std::unique_ptr<Napi::AsyncContext> async_ctx_;
  size_t batch_max_ = 1000;
  size_t max_slabs_ = 4;           // thread mode: slabs filled but not yet handed back by JS
  bool paused_ = false, closed_ = false;
  std::vector<rd_kafka_message_t *> msgs_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<SlabData>> ready_;   // thread mode: filled, waiting for the main thread
  size_t in_js_ = 0;                               // slabs handed to JS and not yet released
  std::thread fetcher_;
  std::atomic<bool> running_{false};
  uint64_t wakeups_ = 0, slabs_ = 0, messages_ = 0;
  std::atomic<uint64_t> rebalances_{0};
  std::atomic<bool> cooperative_{false};
};

}  // namespace gocoffee
