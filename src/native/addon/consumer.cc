// Batch consumer: drains the consumer queue into slabs (see slab.h), one JS call per slab.
//
// Threads:
//   - librdkafka's own threads fetch into the consumer queue; the queue's empty → non-empty
//     transition calls a hook (rd_kafka_queue_cb_event_enable, wake.h "async") that only does
//     uv_async_send. Nothing else of ours runs on librdkafka threads.
//   - The JS thread drains: rd_kafka_consume_batch_queue(q, 0, ..., room) serves messages AND the
//     callbacks forwarded to that queue (rebalance, error, statistics, and log lines: log.queue +
//     rd_kafka_set_log_queue). So every callback below normally runs on the JS thread, inside the
//     drain, and may call JS synchronously.
//   - The libuv threadpool runs the blocking calls: metadata (connect), queryWatermarkOffsets,
//     committed, offsetsForTimes, seek, commitWait (Task), and the close (rd_kafka_consumer_close_queue, its queue polled as events until
//     rd_kafka_consumer_closed or the deadline, then rd_kafka_destroy). During the close nothing
//     touches JS on that worker: rebalance events are applied in C++ (on_rebalance) and reported
//     to JS when the close completes; log/stats/error events of the close are dropped.
// Rebalances: assign is applied here (incremental_assign / assign) and then JS is told; a revoke
// is told to JS, which waits (bounded) for its running work, commits, and calls incrementalUnassign
// / unassign later (librdkafka keeps the rebalance open until then, as with node-rdkafka's JS
// rebalance_cb). A revoke JS has not finished when close() starts is finished by the close worker.
// Bounds: a slab holds at most min(gocoffee.batch, room) messages, where room is what JS returned
// from its last batch callback (or setRoom): the drain never takes more than the consumer may hold.
// No C++ exception leaves the JS thread: the worker code calls only C functions.
#include "consumer.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <functional>

namespace gocoffee {

namespace {

Consumer *from_rk(const rd_kafka_t *rk) { return static_cast<Consumer *>(rd_kafka_opaque(rk)); }

void rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque) {
  static_cast<Consumer *>(opaque)->on_rebalance(err, parts);
}
void error_cb(rd_kafka_t *, int err, const char *reason, void *opaque) {
  static_cast<Consumer *>(opaque)->on_error(err, reason);
}
void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  Consumer *c = from_rk(rk);
  if (c) c->on_log(level, fac, buf);
}
int stats_cb(rd_kafka_t *, char *json, size_t len, void *opaque) {
  static_cast<Consumer *>(opaque)->on_stats(json, len);
  return 0;  // librdkafka frees json
}

Napi::Error rk_error(Napi::Env env, int code, const std::string &what) {
  auto e = Napi::Error::New(env, what + ": " + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code)));
  e.Value().Set("code", Napi::Number::New(env, code));
  return e;
}

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

// The error text of a call that started after its deadline (see CallDeadline).
std::string not_sent(const char *what) {
  return std::string(what) + " not sent: no libuv threadpool thread became free within its timeout (UV_THREADPOOL_SIZE)";
}

// JS [{topic, partition, offset?}] → partition list (offset set when given).
TplPtr tpl_from_js(Napi::Env env, const Napi::Value &v) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, "expected an array of {topic, partition}");
  auto arr = v.As<Napi::Array>();
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value ev = arr.Get(i);
    if (!ev.IsObject()) throw Napi::TypeError::New(env, "expected {topic, partition}");
    auto o = ev.As<Napi::Object>();
    std::string topic = o.Get("topic").ToString().Utf8Value();
    int32_t partition = o.Get("partition").ToNumber().Int32Value();
    auto *p = rd_kafka_topic_partition_list_add(tpl.get(), topic.c_str(), partition);
    Napi::Value off = o.Get("offset");
    if (off.IsNumber()) p->offset = off.As<Napi::Number>().Int64Value();
  }
  return tpl;
}

// Partition list → JS [{topic, partition, offset?, code?}] (code: the partition's .err).
Napi::Array tpl_to_js(Napi::Env env, const rd_kafka_topic_partition_list_t *l, bool offsets, bool codes = false) {
  auto arr = Napi::Array::New(env, l ? l->cnt : 0);
  for (int i = 0; l && i < l->cnt; i++) {
    auto o = Napi::Object::New(env);
    o.Set("topic", l->elems[i].topic);
    o.Set("partition", l->elems[i].partition);
    if (offsets) o.Set("offset", static_cast<double>(l->elems[i].offset));
    if (codes) o.Set("code", static_cast<double>(l->elems[i].err));
    arr.Set(i, o);
  }
  return arr;
}

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

// A blocking librdkafka call on the libuv threadpool: work() runs there (C calls only, no JS),
// done() on the JS thread. The consumer's busy_ count (JS thread only) holds the close back until
// every task is done; a task that starts once closing began skips its call (its result keeps the
// ERR__DESTROY it was initialised with). The close worker is queued only when busy_ is 0, so no
// threadpool thread ever waits for another one.
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, Consumer *c, std::function<void()> work, std::function<void(Napi::Env)> done)
      : Napi::AsyncWorker(env, "gocoffee.Consumer.task"), c_(c), work_(std::move(work)), done_(std::move(done)) {
    c_->busy_++;
  }
  void Execute() override {
    if (!c_->closing_.load()) work_();
  }
  void OnOK() override {
    {
      Napi::HandleScope scope(Env());
      done_(Env());
    }
    c_->task_done(Env());
  }
  void OnError(const Napi::Error &) override { c_->task_done(Env()); }

 private:
  Consumer *c_;
  std::function<void()> work_;
  std::function<void(Napi::Env)> done_;
};

class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, Consumer *c) : Napi::AsyncWorker(env, "gocoffee.Consumer.close"), c_(c) {}
  void Execute() override { c_->close_native(); }
  void OnOK() override { c_->close_done(Env()); }

 private:
  Consumer *c_;
};

}  // namespace

void Consumer::Init(Napi::Env env, Napi::Object exports) {
  auto cls = DefineClass(env, "Consumer",
                         {InstanceMethod("subscribe", &Consumer::Subscribe),
                          InstanceMethod("unsubscribe", &Consumer::Unsubscribe),
                          InstanceMethod("start", &Consumer::Start),
                          InstanceMethod("stop", &Consumer::Stop),
                          InstanceMethod("setRoom", &Consumer::SetRoom),
                          InstanceMethod("metadata", &Consumer::Metadata),
                          InstanceMethod("storeOffsets", &Consumer::StoreOffsets),
                          InstanceMethod("commit", &Consumer::Commit),
                          InstanceMethod("commitWait", &Consumer::CommitWait),
                          InstanceMethod("committed", &Consumer::Committed),
                          InstanceMethod("pause", &Consumer::Pause),
                          InstanceMethod("resume", &Consumer::Resume),
                          InstanceMethod("assign", &Consumer::Assign),
                          InstanceMethod("unassign", &Consumer::Unassign),
                          InstanceMethod("incrementalAssign", &Consumer::IncrementalAssign),
                          InstanceMethod("incrementalUnassign", &Consumer::IncrementalUnassign),
                          InstanceMethod("assignments", &Consumer::Assignments),
                          InstanceMethod("rebalanceProtocol", &Consumer::RebalanceProtocol),
                          InstanceMethod("getWatermarkOffsets", &Consumer::GetWatermarkOffsets),
                          InstanceMethod("queryWatermarkOffsets", &Consumer::QueryWatermarkOffsets),
                          InstanceMethod("seek", &Consumer::Seek),
                          InstanceMethod("position", &Consumer::Position),
                          InstanceMethod("offsetsForTimes", &Consumer::OffsetsForTimes),
                          InstanceMethod("groupMetadata", &Consumer::GroupMetadata),
                          InstanceMethod("close", &Consumer::Close),
                          InstanceMethod("stats", &Consumer::Stats),
                          InstanceMethod("setOAuthBearerToken", &Consumer::SetOAuthBearerToken),
                          InstanceMethod("setOAuthBearerTokenFailure", &Consumer::SetOAuthBearerTokenFailure)});
  exports.Set("Consumer", cls);
}

// new Consumer(config: Record<string,string>, handlers: {batch, rebalance, error, log?, stats?, oauthRefresh?})
//   batch(count, bytes, meta, pos, hdrs, topics) → room for the next slab (number) or undefined
//   rebalance(kind: 'assign' | 'revoke' | 'error', partitions, code)
//   error(code, fatal, reason); log(level, fac, message); stats(json)
//   oauthRefresh(): librdkafka wants a new OAUTHBEARER token (oauth.h)
// gocoffee.batch = max messages per slab (default 1000); gocoffee.oauthbearer = "1": tokens come
// from JS (setOAuthBearerToken), see oauth.h.
Consumer::Consumer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Consumer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "new Consumer(config, handlers)");
  auto cfg = info[0].As<Napi::Object>();
  auto handlers = info[1].As<Napi::Object>();
  auto fn = [&](const char *name, bool required) -> Napi::FunctionReference {
    Napi::Value v = handlers.Get(name);
    if (v.IsFunction()) return Napi::Persistent(v.As<Napi::Function>());
    if (required) throw Napi::TypeError::New(env, std::string("handlers.") + name + " must be a function");
    return Napi::FunctionReference();
  };
  on_batch_ = fn("batch", true);
  on_rebalance_ = fn("rebalance", true);
  on_error_ = fn("error", true);
  on_log_ = fn("log", false);
  on_stats_ = fn("stats", false);
  on_oauth_ = fn("oauthRefresh", false);
  const bool oauth = oauth_enabled(cfg);
  int64_t batch = opt_int(cfg, "gocoffee.batch", 1000);
  if (batch < 1 || batch > 1000000) throw Napi::RangeError::New(env, "gocoffee.batch out of range (1..1000000)");
  batch_max_ = room_ = static_cast<size_t>(batch);
  msgs_.resize(batch_max_);

  ConfPtr conf = conf_from_object(env, cfg);
  char errstr[512];
  if (rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    throw Napi::Error::New(env, std::string("config log.queue: ") + errstr);
  rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), stats_cb);
  if (oauth) oauth_configure<Consumer>(conf.get());
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (!rk) throw Napi::Error::New(env, std::string("rd_kafka_new: ") + errstr);
  conf.release();  // owned by rk now
  rk_.reset(rk);
  rd_kafka_set_log_queue(rk, nullptr);  // log lines → main queue
  rd_kafka_poll_set_consumer(rk);       // main queue (errors, logs, stats, rebalances) → consumer queue
  q_.reset(rd_kafka_queue_get_consumer(rk));

  js_thread_ = std::this_thread::get_id();
  env_ = env;
  async_ctx_ = std::make_unique<Napi::AsyncContext>(env, "gocoffee.Consumer");
  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  waker_ = std::make_unique<Waker>(loop, WakeMode::Async, [this] { on_wake(); });
  waker_->attach(q_.get());
  waker_->kick();  // the queue may already hold ops (no empty → non-empty transition to come)
  if (oauth) oauth_ = std::make_unique<OAuthBearer>(rk, loop, [this] { on_oauth_wanted(); });
  Napi::ObjectWrap<Consumer>::Ref();  // alive until close() completes
}

Consumer::~Consumer() {
  // Normally closed (close_done ran). An environment torn down without close: unhook and destroy
  // without the group leave (it could block for seconds).
  if (!closing_.load()) {
    if (waker_) waker_->close();
    waker_.reset();
    oauth_.reset();  // unhooks and drops its queue reference before the handle goes
    q_.reset();
    if (rk_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
}

void Consumer::check_open(Napi::Env env, const char *what) const {
  if (closing_.load()) throw rk_error(env, RD_KAFKA_RESP_ERR__STATE, std::string(what) + ": consumer closed");
}

Napi::Value Consumer::call(Napi::FunctionReference &fn, const std::initializer_list<napi_value> &args) {
  Napi::Env env(env_);
  if (fn.IsEmpty()) return env.Undefined();
  try {
    return fn.MakeCallback(env.Global(), args, *async_ctx_);
  } catch (const Napi::Error &e) {
    // A throwing handler becomes an uncaught exception; it never unwinds through librdkafka.
    napi_fatal_exception(env, e.Value());
    return env.Undefined();
  }
}

// ---- librdkafka callbacks ---------------------------------------------------------------------

void Consumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts) {
  rebalances_++;
  const char *proto = rd_kafka_rebalance_protocol(rk_.get());
  // During close the protocol can read NONE: remember what the group used (binding-notes pitfall h).
  if (proto && std::strcmp(proto, "COOPERATIVE") == 0) cooperative_ = true;
  else if (proto && std::strcmp(proto, "EAGER") == 0) cooperative_ = false;
  bool coop = cooperative_.load();
  bool to_js = on_js_thread() && !closing_.load();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    int code = 0;
    if (coop) {
      ErrorPtr e(rd_kafka_incremental_assign(rk_.get(), parts));
      if (e) code = rd_kafka_error_code(e.get());
    } else {
      code = rd_kafka_assign(rk_.get(), parts);
    }
    if (!to_js) return;
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    if (code) call(on_error_, {Napi::Number::New(env, code), Napi::Boolean::New(env, false),
                               Napi::String::New(env, std::string("assign: ") + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code)))});
    call(on_rebalance_, {Napi::String::New(env, "assign"), tpl_to_js(env, parts, false), Napi::Number::New(env, err)});
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && to_js) {
    pending_revoke_.reset(rd_kafka_topic_partition_list_copy(parts));
    pending_coop_ = coop;
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    call(on_rebalance_, {Napi::String::New(env, "revoke"), tpl_to_js(env, parts, false), Napi::Number::New(env, err)});
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    // rd_kafka_consumer_close (close worker): give them up here, report them when the close is done.
    if (coop) ErrorPtr(rd_kafka_incremental_unassign(rk_.get(), parts));
    else rd_kafka_assign(rk_.get(), nullptr);
    for (int i = 0; i < parts->cnt; i++) close_revoked_.push_back({parts->elems[i].topic, parts->elems[i].partition});
    return;
  }
  // A rebalance error: librdkafka asks the application to drop its assignment.
  rd_kafka_assign(rk_.get(), nullptr);
  if (!to_js) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  call(on_rebalance_, {Napi::String::New(env, "error"), tpl_to_js(env, parts, false), Napi::Number::New(env, err)});
}

void Consumer::on_error(int err, const char *reason) {
  errors_++;
  if (!on_js_thread() || closing_.load()) return;
  bool fatal = false;
  std::string text = reason ? reason : "";
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk_.get(), buf, sizeof(buf));
    if (orig) {
      err = orig;
      text = buf;
    }
    fatal = true;
  }
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  call(on_error_, {Napi::Number::New(env, err), Napi::Boolean::New(env, fatal), Napi::String::New(env, text)});
}

void Consumer::on_log(int level, const char *fac, const char *buf) {
  if (on_log_.IsEmpty() || !on_js_thread() || closing_.load()) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  call(on_log_, {Napi::Number::New(env, level), Napi::String::New(env, fac ? fac : ""), Napi::String::New(env, buf ? buf : "")});
}

void Consumer::on_stats(const char *json, size_t len) {
  if (on_stats_.IsEmpty() || !on_js_thread() || closing_.load()) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  call(on_stats_, {Napi::String::New(env, json, len)});
}

// ---- the drain ----------------------------------------------------------------------------------

void Consumer::on_wake() {
  wakeups_++;
  drain();
}

void Consumer::drain() {
  if (closing_.load() || in_drain_) return;
  // Subscribed but not started (or stopped): messages wait in librdkafka (and so do the callbacks,
  // as they did behind node-rdkafka's consume loop).
  if (subscribed_ && !fetching_) return;
  in_drain_ = true;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  size_t cap = room_ < batch_max_ ? room_ : batch_max_;
  if (cap < 1) cap = 1;
  ssize_t n = rd_kafka_consume_batch_queue(q_.get(), 0, msgs_.data(), cap);
  if (n > 0) {
    size_t count = static_cast<size_t>(n);
    // The messages are destroyed when this scope ends, whatever happens (a JS allocation failure
    // throws a Napi::Error, caught below: it never leaves the JS thread's libuv callback).
    struct Destroy {
      rd_kafka_message_t **m;
      size_t n;
      ~Destroy() {
        for (size_t i = 0; i < n; i++) rd_kafka_message_destroy(m[i]);
      }
    } destroy{msgs_.data(), count};
    try {
      // Slab offsets are int32: a batch whose bytes pass 2^31-1 (only with huge messages and a
      // large gocoffee.batch) is handed over as several slabs.
      size_t i = 0;
      while (i < count && !closing_.load() && fetching_) {
        size_t j = count;
        SlabSize size = slab_measure(msgs_.data() + i, count - i);
        if (size.bytes > static_cast<size_t>(INT32_MAX)) {
          size_t total = 0;
          for (j = i; j < count; j++) {
            size_t b = slab_measure(msgs_.data() + j, 1).bytes;
            if (j > i && total + b > static_cast<size_t>(INT32_MAX)) break;
            total += b;
          }
          size = slab_measure(msgs_.data() + i, j - i);
        }
        hand_over(env, msgs_.data() + i, j - i, size);
        i = j;
      }
      // Not handed over (stopped or closed from a callback): not committed either, the
      // partition's next consumer reads them again.
    } catch (const Napi::Error &e) {
      napi_fatal_exception(env, e.Value());
    }
  }
  in_drain_ = false;
  if (close_deferred_) {
    close_deferred_ = false;
    begin_close(env);
    return;
  }
  // librdkafka signals only on empty → non-empty: a drain that left something (slab cap, room)
  // asks for another turn; timers and I/O run in between.
  if (!closing_.load() && (!subscribed_ || fetching_) && rd_kafka_queue_length(q_.get()) > 0) waker_->kick();
}

void Consumer::hand_over(Napi::Env env, rd_kafka_message_t *const *msgs, size_t count, const SlabSize &size) {
  Napi::HandleScope scope(env);
  auto bytes = Napi::ArrayBuffer::New(env, size.bytes);
  auto meta = Napi::Int32Array::New(env, count * META_STRIDE);
  auto pos = Napi::Float64Array::New(env, count * POS_STRIDE);
  auto hdrs = Napi::Int32Array::New(env, size.headers * HDR_STRIDE);
  std::vector<std::string> topics = slab_fill(msgs, count, static_cast<uint8_t *>(bytes.Data()), meta.Data(),
                                              pos.Data(), size.headers ? hdrs.Data() : nullptr);
  auto tarr = Napi::Array::New(env, topics.size());
  for (size_t i = 0; i < topics.size(); i++) tarr.Set(i, topics[i]);
  slabs_++;
  messages_ += count;
  bytes_ += size.bytes;
  if (size.bytes > max_slab_bytes_) max_slab_bytes_ = size.bytes;
  Napi::Value room = call(on_batch_, {Napi::Number::New(env, static_cast<double>(count)), bytes, meta, pos, hdrs, tarr});
  if (room.IsNumber()) {
    double r = room.As<Napi::Number>().DoubleValue();
    room_ = r < 1 ? 1 : (r > static_cast<double>(batch_max_) ? batch_max_ : static_cast<size_t>(r));
  }
}

// ---- JS methods -----------------------------------------------------------------------------------

Napi::Value Consumer::Subscribe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "subscribe");
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "subscribe(topics: string[])");
  auto arr = info[0].As<Napi::Array>();
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++)
    rd_kafka_topic_partition_list_add(tpl.get(), arr.Get(i).ToString().Utf8Value().c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "subscribe");
  subscribed_ = true;
  return env.Undefined();
}

Napi::Value Consumer::Unsubscribe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "unsubscribe");
  rd_kafka_resp_err_t err = rd_kafka_unsubscribe(rk_.get());
  if (err) throw rk_error(env, err, "unsubscribe");
  return env.Undefined();
}

// start(): hand messages to JS (one batch call per slab) until stop().
Napi::Value Consumer::Start(const Napi::CallbackInfo &info) {
  if (!closing_.load() && !fetching_) {
    fetching_ = true;
    waker_->kick();
  }
  return info.Env().Undefined();
}

Napi::Value Consumer::Stop(const Napi::CallbackInfo &info) {
  fetching_ = false;
  return info.Env().Undefined();
}

Napi::Value Consumer::SetRoom(const Napi::CallbackInfo &info) {
  double r = info[0].ToNumber().DoubleValue();
  room_ = r < 1 ? 1 : (r > static_cast<double>(batch_max_) ? batch_max_ : static_cast<size_t>(r));
  return info.Env().Undefined();
}

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
      [cb, result](Napi::Env env) {
        Napi::Value err = !result->err ? env.Null()
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
      [cb, list, err, late, what](Napi::Env env) {
        std::string text = *late ? not_sent(what) : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(*err));
        Napi::Value e = *err ? error_value(env, *err, text.c_str()) : env.Null();
        try {
          cb->Call({e, tpl_to_js(env, list.get(), true, true)});
        } catch (const Napi::Error &x) {
          napi_fatal_exception(env, x.Value());
        }
      });
  task->Queue();
  return env.Undefined();
}

Napi::Value Consumer::Pause(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_pause_partitions(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "pause");
  return env.Undefined();
}

Napi::Value Consumer::Resume(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_resume_partitions(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "resume");
  waker_->kick();  // the queue may be non-empty already: librdkafka will not signal again
  return env.Undefined();
}

// Explicit assignments (the rebalance callback already applied the group's assignment).
Napi::Value Consumer::Assign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "assign");
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "assign");
  return env.Undefined();
}

Napi::Value Consumer::IncrementalAssign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "incrementalAssign");
  TplPtr tpl = tpl_from_js(env, info[0]);
  ErrorPtr e(rd_kafka_incremental_assign(rk_.get(), tpl.get()));
  if (e) throw rk_error(env, rd_kafka_error_code(e.get()), "incrementalAssign");
  return env.Undefined();
}

// The end of a revoke JS was told about (after its bounded wait and commit). No-op once closing:
// the close worker finished it.
Napi::Value Consumer::Unassign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  pending_revoke_.reset();
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), nullptr);
  if (err) throw rk_error(env, err, "unassign");
  return env.Undefined();
}

Napi::Value Consumer::IncrementalUnassign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  pending_revoke_.reset();
  ErrorPtr e(rd_kafka_incremental_unassign(rk_.get(), tpl.get()));
  if (e) throw rk_error(env, rd_kafka_error_code(e.get()), "incrementalUnassign");
  return env.Undefined();
}

Napi::Value Consumer::Assignments(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return Napi::Array::New(env);
  rd_kafka_topic_partition_list_t *raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &raw);
  TplPtr tpl(raw);
  if (err) throw rk_error(env, err, "assignments");
  return tpl_to_js(env, tpl.get(), false);
}

Napi::Value Consumer::RebalanceProtocol(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return Napi::String::New(env, cooperative_.load() ? "COOPERATIVE" : "NONE");
  const char *p = rd_kafka_rebalance_protocol(rk_.get());
  return Napi::String::New(env, p ? p : "NONE");
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
      [cb, out](Napi::Env env) {
        if (!cb) return;
        auto wm = Napi::Object::New(env);
        wm.Set("lowOffset", static_cast<double>(out->lo));
        wm.Set("highOffset", static_cast<double>(out->hi));
        Napi::Value e = !out->err ? env.Null()
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

// groupMetadata() → Buffer: the consumer's group metadata (group id, generation, member id)
// serialised by librdkafka, for a transactional producer's sendOffsetsToTransaction (the other
// addon reads it back with rd_kafka_consumer_group_metadata_read). librdkafka returns metadata for
// any consumer with a group.id, joined or not (generation -1 and an empty member id before it
// joined: a transaction would be fenced with it); null only when it returns none.
Napi::Value Consumer::GroupMetadata(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "groupMetadata");
  struct CgmdDel {
    void operator()(rd_kafka_consumer_group_metadata_t *m) const noexcept { rd_kafka_consumer_group_metadata_destroy(m); }
  };
  std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDel> md(rd_kafka_consumer_group_metadata(rk_.get()));
  if (!md) return env.Null();
  void *buf = nullptr;
  size_t size = 0;
  ErrorPtr error(rd_kafka_consumer_group_metadata_write(md.get(), &buf, &size));
  if (error) throw rk_error(env, rd_kafka_error_code(error.get()), "groupMetadata");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, static_cast<uint8_t *>(buf), size);
  rd_kafka_mem_free(nullptr, buf);
  return out;
}

// close(cb(revokedAtClose, abandoned), timeoutMs = 10000): leaves the group and destroys the handle
// on a worker thread, the leave bounded by timeoutMs (abandoned: it did not finish in time, the
// handle was destroyed without it). Idempotent (a second call's cb is not called), callable from
// inside any callback.
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
  if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) on_rebalance(rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
  rd_kafka_event_destroy(ev);
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
  rd_kafka_queue_t *cq = rd_kafka_queue_new(rk_.get());
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
  rd_kafka_queue_destroy(cq);
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

void Consumer::close_done(Napi::Env env) {
  closed_ = true;
  waker_.reset();
  Napi::HandleScope scope(env);
  Napi::Array revoked = refs_to_js(env, close_revoked_);
  close_revoked_.clear();
  if (!close_cb_.IsEmpty()) {
    Napi::FunctionReference cb = std::move(close_cb_);
    try {
      cb.Call({revoked, Napi::Boolean::New(env, close_abandoned_)});
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
