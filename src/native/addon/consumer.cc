// Batch consumer: drains the consumer queue into slabs (see slab.h) and hands one slab per JS call.
//   pipe / async: the queue wakes the JS thread, which drains with consume_batch_queue(timeout 0)
//   thread:       a fetch thread blocks in consume_batch_queue and fills slabs off the JS thread;
//                 at most spike.slabs slabs are filled-but-unprocessed (backpressure).
// Rebalances (assign / revoke, incremental for COOPERATIVE) are done in C++ inside the callback,
// so a close never waits for JS.
#include <cstring>

#include "consumer.h"

namespace gocoffee {

static void rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
  static_cast<Consumer *>(opaque)->on_rebalance(err, parts);
}

void Consumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts) {
  rebalances_++;
  const char *proto = rd_kafka_rebalance_protocol(rk_.get());
  // During close the protocol can read NONE; remember what the group used (binding-notes pitfall h).
  if (proto && std::strcmp(proto, "COOPERATIVE") == 0) cooperative_ = true;
  bool coop = cooperative_.load();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (coop) ErrorPtr(rd_kafka_incremental_assign(rk_.get(), parts));
    else rd_kafka_assign(rk_.get(), parts);
  } else if (coop) {  // revoke or lost
    ErrorPtr(rd_kafka_incremental_unassign(rk_.get(), parts));
  } else {
    rd_kafka_assign(rk_.get(), nullptr);
  }
}

void Consumer::Init(Napi::Env env, Napi::Object exports) {
  auto cls = DefineClass(env, "Consumer",
                         {InstanceMethod("subscribe", &Consumer::Subscribe),
                          InstanceMethod("storeOffsets", &Consumer::StoreOffsets),
                          InstanceMethod("commit", &Consumer::Commit),
                          InstanceMethod("pause", &Consumer::Pause),
                          InstanceMethod("resume", &Consumer::Resume),
                          InstanceMethod("close", &Consumer::Close),
                          InstanceMethod("stats", &Consumer::Stats)});
  exports.Set("Consumer", cls);
}

// new Consumer(config, onBatch(count, bytes, meta, pos, hdrs, topics))
// spike.wake = pipe | async | thread; spike.batch = max messages per slab; spike.slabs (thread mode)
Consumer::Consumer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Consumer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "new Consumer(config, onBatch)");
  auto cfg = info[0].As<Napi::Object>();
  WakeMode mode = parse_wake_mode(opt_string(cfg, "gocoffee.wake", "pipe"));
  batch_max_ = static_cast<size_t>(opt_int(cfg, "gocoffee.batch", 1000));
  max_slabs_ = static_cast<size_t>(opt_int(cfg, "gocoffee.slabs", 4));
  if (batch_max_ < 1 || batch_max_ > 1000000 || max_slabs_ < 1)
    throw Napi::RangeError::New(env, "gocoffee.batch / spike.slabs out of range");
  msgs_.resize(batch_max_);
  ConfPtr conf = conf_from_object(env, cfg);
  rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_cb);
  rd_kafka_conf_set_opaque(conf.get(), this);
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (!rk) throw Napi::Error::New(env, std::string("rd_kafka_new: ") + errstr);
  conf.release();
  rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);  // main queue (errors, stats) → consumer queue
  q_.reset(rd_kafka_queue_get_consumer(rk));

  on_batch_ = Napi::Persistent(info[1].As<Napi::Function>());
  async_ctx_ = std::make_unique<Napi::AsyncContext>(env, "gocoffee.Consumer");
  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  waker_ = std::make_unique<Waker>(loop, mode, [this] { on_wake(); });
  if (mode == WakeMode::Thread) {
    running_ = true;
    fetcher_ = std::thread([this] { fetch_thread_main(); });
  } else {
    waker_->attach(q_.get());
  }
  Napi::ObjectWrap<Consumer>::Ref();
}

Consumer::~Consumer() { shutdown(); }

Napi::Value Consumer::Subscribe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto arr = info[0].As<Napi::Array>();
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++)
    rd_kafka_topic_partition_list_add(tpl.get(), arr.Get(i).ToString().Utf8Value().c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), tpl.get());
  if (err) throw Napi::Error::New(env, std::string("subscribe: ") + rd_kafka_err2str(err));
  return env.Undefined();
}

// storeOffsets(topic, Float64Array [partition, nextOffset, ...]) → error code (0 = ok)
Napi::Value Consumer::StoreOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string topic = info[0].ToString().Utf8Value();
  auto pairs = info[1].As<Napi::Float64Array>();
  size_t n = pairs.ElementLength() / 2;
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(n)));
  for (size_t i = 0; i < n; i++) {
    auto *p = rd_kafka_topic_partition_list_add(tpl.get(), topic.c_str(), static_cast<int32_t>(pairs[2 * i]));
    p->offset = static_cast<int64_t>(pairs[2 * i + 1]);
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_.get(), tpl.get());
  return Napi::Number::New(env, err);
}

// commit(): asynchronous commit of the stored offsets (auto-commit does the same periodically).
Napi::Value Consumer::Commit(const Napi::CallbackInfo &info) {
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), nullptr, 1);
  return Napi::Number::New(info.Env(), err);
}

Napi::Value Consumer::Pause(const Napi::CallbackInfo &info) {
  paused_ = true;
  return info.Env().Undefined();
}

Napi::Value Consumer::Resume(const Napi::CallbackInfo &info) {
  paused_ = false;
  if (waker_) waker_->kick();  // the queue may be non-empty: librdkafka will not signal again
  return info.Env().Undefined();
}

void Consumer::on_wake() {
  wakeups_++;
  if (waker_->mode() != WakeMode::Thread) return drain_main();
  while (!closed_ && !paused_) {
    std::unique_ptr<SlabData> slab;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ready_.empty()) break;
      slab = std::move(ready_.front());
      ready_.pop_front();
      in_js_++;
    }
    hand_off(*slab);  // slab's byte area now belongs to JS (external ArrayBuffer)
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_js_--;
    }
    cv_.notify_one();
  }
}

void Consumer::drain_main() {
  if (closed_ || paused_) return;
  ssize_t n = rd_kafka_consume_batch_queue(q_.get(), 0, msgs_.data(), batch_max_);
  if (n <= 0) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  SlabSize size = slab_measure(msgs_.data(), static_cast<size_t>(n));
  auto bytes = Napi::ArrayBuffer::New(env, size.bytes);
  auto meta = Napi::Int32Array::New(env, n * META_STRIDE);
  auto pos = Napi::Float64Array::New(env, n * POS_STRIDE);
  auto hdrs = Napi::Int32Array::New(env, size.headers * HDR_STRIDE);
  std::vector<std::string> topics =
      slab_fill(msgs_.data(), static_cast<size_t>(n), static_cast<uint8_t *>(bytes.Data()), meta.Data(),
                pos.Data(), size.headers ? hdrs.Data() : nullptr);
  for (ssize_t i = 0; i < n; i++) rd_kafka_message_destroy(msgs_[i]);
  auto tarr = Napi::Array::New(env, topics.size());
  for (size_t i = 0; i < topics.size(); i++) tarr.Set(i, topics[i]);
  slabs_++;
  messages_ += static_cast<uint64_t>(n);
  // The queue may hold more: librdkafka signals only on empty → non-empty, so ask for another turn
  // (the event loop runs timers and I/O in between).
  if (static_cast<size_t>(n) == batch_max_) waker_->kick();
  call_js(env, on_batch_, *async_ctx_,
          {Napi::Number::New(env, static_cast<double>(n)), bytes, meta, pos, hdrs, tarr});
}

void Consumer::hand_off(SlabData &slab) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  size_t nbytes = slab.size.bytes;
  uint8_t *raw = slab.bytes.release();
  auto bytes = Napi::ArrayBuffer::New(env, raw, nbytes, [](Napi::Env, void *p) { delete[] static_cast<uint8_t *>(p); });
  Napi::Value meta = typed_copy(env, slab.meta.data(), slab.meta.size());
  Napi::Value pos = typed_copy(env, slab.pos.data(), slab.pos.size());
  Napi::Value hdrs = typed_copy(env, slab.hdrs.data(), slab.hdrs.size());
  auto tarr = Napi::Array::New(env, slab.topics.size());
  for (size_t i = 0; i < slab.topics.size(); i++) tarr.Set(i, slab.topics[i]);
  slabs_++;
  messages_ += slab.count;
  call_js(env, on_batch_, *async_ctx_,
          {Napi::Number::New(env, static_cast<double>(slab.count)), bytes, meta, pos, hdrs, tarr});
}

void Consumer::fetch_thread_main() {
  std::vector<rd_kafka_message_t *> msgs(batch_max_);
  while (running_.load()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !running_.load() || ready_.size() + in_js_ < max_slabs_; });
    }
    if (!running_.load()) break;
    // consume_batch_queue waits until the batch is FULL or the timeout expires, so a trickle would
    // wait the whole timeout: block for the first message only, then take what is already there.
    ssize_t n = rd_kafka_consume_batch_queue(q_.get(), 100, msgs.data(), 1);
    if (n <= 0) continue;
    if (batch_max_ > 1) {
      ssize_t more = rd_kafka_consume_batch_queue(q_.get(), 0, msgs.data() + 1, batch_max_ - 1);
      if (more > 0) n += more;
    }
    auto slab = SlabData::build(msgs.data(), static_cast<size_t>(n));
    for (ssize_t i = 0; i < n; i++) rd_kafka_message_destroy(msgs[i]);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.push_back(std::move(slab));
    }
    waker_->kick();
  }
}

void Consumer::shutdown() {
  if (closed_) return;
  closed_ = true;
  if (fetcher_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
    }
    cv_.notify_all();
    fetcher_.join();
  }
  if (waker_) waker_->close();  // unhook the queue first: no wake-ups during the close below
  waker_.reset();
  if (rk_) rd_kafka_consumer_close(rk_.get());  // leaves the group; rebalance_cb runs here, in C++
  ready_.clear();
  q_.reset();
  rk_.reset();
}

Napi::Value Consumer::Close(const Napi::CallbackInfo &info) {
  if (!closed_) {
    shutdown();
    on_batch_.Reset();
    async_ctx_.reset();
    Napi::ObjectWrap<Consumer>::Unref();
  }
  return info.Env().Undefined();
}

Napi::Value Consumer::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("wakeups", static_cast<double>(wakeups_));
  o.Set("slabs", static_cast<double>(slabs_));
  o.Set("messages", static_cast<double>(messages_));
  o.Set("rebalances", static_cast<double>(rebalances_.load()));
  std::lock_guard<std::mutex> lock(mu_);
  o.Set("readySlabs", static_cast<double>(ready_.size()));
  return o;
}

}  // namespace gocoffee
