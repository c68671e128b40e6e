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
//
// This file: construction, the librdkafka callbacks and the drain; the JS methods are in
// consumer-group.cc (membership, partitions) and consumer-offsets.cc (commits, queries, seek); the
// close, stats() and the OAUTHBEARER methods in consumer-close.cc.
#include "consumer.h"
#include "failpoint.h"

#include <algorithm>
#include <cstring>

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
}  // namespace

Napi::Error rk_error(Napi::Env env, int code, const std::string &what) {
  auto e = Napi::Error::New(env, what + ": " + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code)));
  e.Value().Set("code", Napi::Number::New(env, code));
  return e;
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
Napi::Array tpl_to_js(Napi::Env env, const rd_kafka_topic_partition_list_t *l, bool offsets, bool codes) {
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
    failpoint("consumer.close");  // test-only: where the close work can throw (std::bad_alloc recording them)
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

}  // namespace gocoffee
