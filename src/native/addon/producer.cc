// Batch producer: one JS call enqueues N packed messages; delivery reports, client errors, log
// lines and statistics are collected in C++ and handed to JS once per wake-up as typed arrays.
//
// Threads: librdkafka's callbacks run only inside rd_kafka_poll / rd_kafka_flush (log.queue=true
// routes log lines through the main queue too): on the JS thread when the main queue wakes it
// (rd_kafka_queue_cb_event_enable → uv_async_send), or on a libuv work thread while flush() runs.
// They only append to C++ vectors under mu_. JS values are built on the JS thread only. flush(),
// metadata() and the final rd_kafka_destroy run on libuv work threads (napi AsyncWorker).
//
// Produce table (Int32Array), MSG_STRIDE ints per message, then header records:
//   [keyOff, keyLen (-1 null), valOff, valLen (-1 null), partition (-1 = partitioner),
//    hdrStart (int index into the table), hdrCount, tsHi, tsLo (ms; 0/0 = now), id, topicIndex, flags]
//   header record at table[hdrStart + HDR_STRIDE*j]: [nameOff, nameLen, valOff, valLen (-1 null), flags]
// flags are the packer's (string vs Buffer) and are ignored here.
#include "producer.h"

#include <algorithm>
#include <chrono>
#include <functional>

namespace gocoffee {

constexpr int MSG_STRIDE = 12;
constexpr int HDR_STRIDE = 5;
enum { P_KEY_OFF, P_KEY_LEN, P_VAL_OFF, P_VAL_LEN, P_PART, P_HDR_START, P_HDR_COUNT, P_TS_HI, P_TS_LO, P_ID, P_TOPIC };
// Bounds on what accumulates between two hand-offs besides delivery reports (which are bounded by
// queue.buffering.max.messages): a log storm or a stuck JS thread cannot grow memory without end.
constexpr size_t MAX_LOGS = 2000, MAX_ERRORS = 1000, MAX_STATS = 8;

void Reports::clear() {
  ok.clear();
  ok_pos.clear();
  failed.clear();
  err_codes.clear();
  err_fatal.clear();
  err_texts.clear();
  log_levels.clear();
  log_facs.clear();
  log_texts.clear();
  stats.clear();
}

void Reports::swap(Reports &o) noexcept {
  ok.swap(o.ok);
  ok_pos.swap(o.ok_pos);
  failed.swap(o.failed);
  err_codes.swap(o.err_codes);
  err_fatal.swap(o.err_fatal);
  err_texts.swap(o.err_texts);
  log_levels.swap(o.log_levels);
  log_facs.swap(o.log_facs);
  log_texts.swap(o.log_texts);
  stats.swap(o.stats);
}

static void dr_msg_cb(rd_kafka_t *, const rd_kafka_message_t *m, void *opaque) {
  static_cast<Producer *>(opaque)->on_delivery(m);
}
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    // The underlying error (e.g. an idempotence violation) says what happened; ERR__FATAL only that it is fatal.
    char buf[512];
    buf[0] = 0;
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk, buf, sizeof(buf));
    std::string text = std::string("Fatal error: ") + (buf[0] ? buf : (reason ? reason : ""));
    static_cast<Producer *>(opaque)->on_error(code ? static_cast<int>(code) : err, true, text.c_str());
    return;
  }
  static_cast<Producer *>(opaque)->on_error(err, false, reason);
}
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  auto *p = static_cast<Producer *>(rd_kafka_opaque(rk));
  if (p) p->on_log(level, fac, buf);
}
static int stats_cb(rd_kafka_t *, char *json, size_t len, void *opaque) {
  static_cast<Producer *>(opaque)->on_stats(json, len);
  return 0;  // librdkafka frees json
}

void Producer::on_delivery(const rd_kafka_message_t *m) {
  int32_t id = static_cast<int32_t>(reinterpret_cast<intptr_t>(m->_private));
  std::lock_guard<std::mutex> lock(mu_);
  if (m->err) {
    reports_.failed.insert(reports_.failed.end(), {id, static_cast<int32_t>(m->err), m->partition, 0});
  } else {
    reports_.ok.push_back(id);
    reports_.ok.push_back(m->partition);
    reports_.ok_pos.push_back(static_cast<double>(m->offset));
    reports_.ok_pos.push_back(static_cast<double>(rd_kafka_message_timestamp(m, nullptr)));
  }
}

void Producer::on_error(int code, bool fatal, const char *reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reports_.err_codes.size() >= MAX_ERRORS) return;
  reports_.err_codes.push_back(code);
  reports_.err_fatal.push_back(fatal ? 1 : 0);
  reports_.err_texts.emplace_back(reason ? reason : "");
}

void Producer::on_log(int level, const char *fac, const char *buf) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reports_.log_levels.size() >= MAX_LOGS) return;
  reports_.log_levels.push_back(level);
  reports_.log_facs.emplace_back(fac ? fac : "");
  reports_.log_texts.emplace_back(buf ? buf : "");
}

void Producer::on_stats(const char *json, size_t len) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reports_.stats.size() >= MAX_STATS) reports_.stats.erase(reports_.stats.begin());
  reports_.stats.emplace_back(json, len);
}

void Producer::Init(Napi::Env env, Napi::Object exports) {
  auto cls = DefineClass(env, "Producer",
                         {InstanceMethod("produceBatch", &Producer::ProduceBatch),
                          InstanceMethod("flush", &Producer::Flush),
                          InstanceMethod("metadata", &Producer::Metadata),
                          InstanceMethod("close", &Producer::Close),
                          InstanceMethod("stats", &Producer::Stats),
                          InstanceMethod("ref", &Producer::SetRef),
                          InstanceMethod("initTransactions", &Producer::InitTransactions),
                          InstanceMethod("beginTransaction", &Producer::BeginTransaction),
                          InstanceMethod("sendOffsetsToTransaction", &Producer::SendOffsetsToTransaction),
                          InstanceMethod("commitTransaction", &Producer::CommitTransaction),
                          InstanceMethod("abortTransaction", &Producer::AbortTransaction),
                          InstanceMethod("setOAuthBearerToken", &Producer::SetOAuthBearerToken),
                          InstanceMethod("setOAuthBearerTokenFailure", &Producer::SetOAuthBearerTokenFailure)});
  exports.Set("Producer", cls);
}

// new Producer(global: Record<string,string>, topic: Record<string,string>,
//              onEvents(ok, okPos, failed, errors, logs, stats), onOAuthRefresh?())
// gocoffee.oauthbearer = "1" in global: OAUTHBEARER tokens come from JS (setOAuthBearerToken) and
// onOAuthRefresh() is called when librdkafka asks for a new one (oauth.h).
Producer::Producer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Producer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject() || !info[2].IsFunction())
    throw Napi::TypeError::New(env, "new Producer(globalConfig, topicConfig, onEvents)");
  ConfPtr conf = conf_from_object(env, info[0].As<Napi::Object>());
  const bool oauth = oauth_enabled(info[0].As<Napi::Object>());
  char errstr[512];
  TopicConfPtr tconf(rd_kafka_topic_conf_new());
  {
    auto tobj = info[1].As<Napi::Object>();
    Napi::Array keys = tobj.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
      std::string k = keys.Get(i).ToString().Utf8Value();
      std::string v = tobj.Get(k).ToString().Utf8Value();
      if (rd_kafka_topic_conf_set(tconf.get(), k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        throw Napi::Error::New(env, "topic config " + k + ": " + errstr);
    }
  }
  if (rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    throw Napi::Error::New(env, std::string("log.queue: ") + errstr);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), dr_msg_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), stats_cb);
  if (oauth) oauth_configure<Producer>(conf.get());
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_default_topic_conf(conf.get(), tconf.release());  // owned by conf now
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (!rk) throw Napi::Error::New(env, std::string("rd_kafka_new: ") + errstr);
  conf.release();  // owned by rk now
  rk_.reset(rk);
  main_q_.reset(rd_kafka_queue_get_main(rk));
  rd_kafka_set_log_queue(rk, main_q_.get());

  on_events_ = Napi::Persistent(info[2].As<Napi::Function>());
  async_ctx_ = std::make_unique<Napi::AsyncContext>(env, "gocoffee.Producer");
  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  waker_ = std::make_unique<Waker>(loop, WakeMode::Async, [this] { on_wake(); });
  waker_->attach(main_q_.get());
  waker_->kick();  // anything queued before the hook (early log lines)
  if (info[3].IsFunction()) on_oauth_ = Napi::Persistent(info[3].As<Napi::Function>());
  if (oauth) oauth_ = std::make_unique<OAuthBearer>(rk, loop, [this] { on_oauth_wanted(); });
  Napi::ObjectWrap<Producer>::Ref();  // alive while open, even if JS drops the object
}

Producer::~Producer() { shutdown_sync(); }

void Producer::shutdown_sync() {
  if (waker_) waker_->close();
  waker_.reset();
  oauth_.reset();  // unhooks and drops its SASL queue reference before the handle goes
  if (destroyed_ || !rk_) return;
  destroyed_ = true;
  topics_.clear();
  main_q_.reset();
  rk_.reset();
}

rd_kafka_topic_t *Producer::topic(const std::string &name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second.get();
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
  if (!rkt) return nullptr;
  topics_.emplace(name, RktPtr(rkt));
  return rkt;
}

static void check_span(Napi::Env env, size_t buflen, int32_t off, int32_t len) {
  if (len < -1 || off < 0 || (len > 0 && static_cast<size_t>(off) + static_cast<size_t>(len) > buflen))
    throw Napi::RangeError::New(env, "produceBatch: span outside the buffer");
}

// produceBatch(topics: string[], buf, table: Int32Array, count, start = 0) → how many messages were
// enqueued from index `start` on (fewer than count - start: librdkafka's queue is full at that
// index; JS retries the rest later). Other per-message enqueue errors become failed reports with
// flag 1 (same hand-off as broker errors). A malformed table throws RangeError and enqueues nothing.
Napi::Value Producer::ProduceBatch(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "produceBatch: topics must be an array");
  auto tarr = info[0].As<Napi::Array>();
  Bytes buf = bytes_of(env, info[1]);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "produceBatch: table must be an Int32Array");
  auto table = info[2].As<Napi::Int32Array>();
  const int32_t *t = table.Data();
  size_t tlen = table.ElementLength();
  if (!info[3].IsNumber()) throw Napi::TypeError::New(env, "produceBatch: count must be a number");
  int64_t count = info[3].As<Napi::Number>().Int64Value();
  int64_t start = info[4].IsNumber() ? info[4].As<Napi::Number>().Int64Value() : 0;
  if (count < 0 || static_cast<uint64_t>(count) * MSG_STRIDE > tlen || start < 0 || start > count)
    throw Napi::RangeError::New(env, "produceBatch: count / start outside the table");
  uint32_t ntopics = tarr.Length();
  if (ntopics == 0 && count > start) throw Napi::RangeError::New(env, "produceBatch: no topics");

  // Validate everything first so that a bad table enqueues nothing.
  std::vector<std::string> names(ntopics);
  for (uint32_t k = 0; k < ntopics; k++) {
    Napi::Value v = tarr.Get(k);
    if (!v.IsString()) throw Napi::TypeError::New(env, "produceBatch: topic names must be strings");
    names[k] = v.As<Napi::String>().Utf8Value();
    if (names[k].empty() || names[k].find('\0') != std::string::npos)
      throw Napi::RangeError::New(env, "produceBatch: a topic name must be non-empty and without NUL");
  }
  for (int64_t i = start; i < count; i++) {
    const int32_t *r = t + i * MSG_STRIDE;
    check_span(env, buf.len, r[P_KEY_OFF], r[P_KEY_LEN]);
    check_span(env, buf.len, r[P_VAL_OFF], r[P_VAL_LEN]);
    if (r[P_TOPIC] < 0 || static_cast<uint32_t>(r[P_TOPIC]) >= ntopics)
      throw Napi::RangeError::New(env, "produceBatch: topic index outside the topics");
    if (r[P_PART] < -1) throw Napi::RangeError::New(env, "produceBatch: bad partition");
    if (r[P_HDR_COUNT] < 0 || r[P_HDR_START] < 0 ||
        static_cast<uint64_t>(r[P_HDR_START]) + static_cast<uint64_t>(r[P_HDR_COUNT]) * HDR_STRIDE > tlen)
      throw Napi::RangeError::New(env, "produceBatch: header records outside the table");
    for (int32_t j = 0; j < r[P_HDR_COUNT]; j++) {
      const int32_t *h = t + r[P_HDR_START] + static_cast<int64_t>(j) * HDR_STRIDE;
      if (h[1] < 0) throw Napi::RangeError::New(env, "produceBatch: header name must not be null");
      check_span(env, buf.len, h[0], h[1]);
      check_span(env, buf.len, h[2], h[3]);
    }
  }
  batch_topics_.assign(ntopics, nullptr);
  for (uint32_t k = 0; k < ntopics; k++) {
    batch_topics_[k] = topic(names[k]);
    if (!batch_topics_[k]) throw Napi::Error::New(env, "rd_kafka_topic_new failed for " + names[k]);
  }

  static uint8_t empty = 0;  // non-null pointer for empty (not null) keys and values
  auto ptr = [&](int32_t off, int32_t len) -> void * {
    if (len < 0) return nullptr;
    return len == 0 ? &empty : buf.data + off;
  };
  bool reported = false;
  int64_t i = start;
  for (; i < count; i++) {
    const int32_t *r = t + i * MSG_STRIDE;
    HeadersPtr hdrs;
    if (r[P_HDR_COUNT] > 0) {
      hdrs.reset(rd_kafka_headers_new(r[P_HDR_COUNT]));
      for (int32_t j = 0; j < r[P_HDR_COUNT]; j++) {
        const int32_t *h = t + r[P_HDR_START] + static_cast<int64_t>(j) * HDR_STRIDE;
        // Binary-safe: name and value are (pointer, length); a value may hold any bytes, NUL included.
        rd_kafka_header_add(hdrs.get(), reinterpret_cast<const char *>(h[1] == 0 ? &empty : buf.data + h[0]), h[1],
                            h[3] < 0 ? nullptr : ptr(h[2], h[3]), h[3] < 0 ? 0 : h[3]);
      }
    }
    int64_t ts = static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(r[P_TS_HI])) << 32) |
                                      static_cast<uint32_t>(r[P_TS_LO]));
    int32_t id = r[P_ID];
    int32_t part = r[P_PART] < 0 ? RD_KAFKA_PARTITION_UA : r[P_PART];
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_RKT(batch_topics_[r[P_TOPIC]]), RD_KAFKA_V_PARTITION(part),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(ptr(r[P_VAL_OFF], r[P_VAL_LEN]), r[P_VAL_LEN] < 0 ? 0 : static_cast<size_t>(r[P_VAL_LEN])),
        RD_KAFKA_V_KEY(ptr(r[P_KEY_OFF], r[P_KEY_LEN]), r[P_KEY_LEN] < 0 ? 0 : static_cast<size_t>(r[P_KEY_LEN])),
        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(hdrs.get()),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void *>(static_cast<intptr_t>(id))), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      hdrs.release();  // librdkafka owns them now
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      queue_full_++;
      break;
    }
    // Refused at enqueue (too large, unknown partition, fatal producer...): a failed report, flag 1.
    {
      std::lock_guard<std::mutex> lock(mu_);
      reports_.failed.insert(reports_.failed.end(), {id, static_cast<int32_t>(err), r[P_PART], 1});
    }
    reported = true;
  }
  if (reported) waker_->kick();
  return Napi::Number::New(env, static_cast<double>(i - start));
}

void Producer::on_wake() {
  if (destroyed_ || closing_) return;
  wakeups_++;
  rd_kafka_poll(rk_.get(), 0);  // serves the callbacks into reports_
  deliver();
}

void Producer::deliver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    scratch_.swap(reports_);
  }
  Reports &r = scratch_;
  if (r.empty() || on_events_.IsEmpty()) {
    r.clear();
    return;
  }
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  handoffs_++;
  napi_value ok = r.ok.empty() ? env.Null() : typed_copy(env, r.ok.data(), r.ok.size());
  napi_value ok_pos = r.ok.empty() ? env.Null() : typed_copy(env, r.ok_pos.data(), r.ok_pos.size());
  napi_value failed = r.failed.empty() ? env.Null() : typed_copy(env, r.failed.data(), r.failed.size());
  napi_value errors = env.Null(), logs = env.Null(), stats = env.Null();
  if (!r.err_codes.empty()) {
    auto arr = Napi::Array::New(env, r.err_codes.size());
    for (size_t i = 0; i < r.err_codes.size(); i++) {
      auto e = Napi::Object::New(env);
      e.Set("code", r.err_codes[i]);
      e.Set("fatal", r.err_fatal[i] != 0);
      e.Set("message", r.err_texts[i]);
      arr.Set(i, e);
    }
    errors = arr;
  }
  if (!r.log_levels.empty()) {
    auto arr = Napi::Array::New(env, r.log_levels.size());
    for (size_t i = 0; i < r.log_levels.size(); i++) {
      auto e = Napi::Object::New(env);
      e.Set("severity", r.log_levels[i]);
      e.Set("fac", r.log_facs[i]);
      e.Set("message", r.log_texts[i]);
      arr.Set(i, e);
    }
    logs = arr;
  }
  if (!r.stats.empty()) {
    auto arr = Napi::Array::New(env, r.stats.size());
    for (size_t i = 0; i < r.stats.size(); i++) arr.Set(i, Napi::String::New(env, r.stats[i]));
    stats = arr;
  }
  r.clear();
  call_js(env, on_events_, *async_ctx_, {ok, ok_pos, failed, errors, logs, stats});
}

// ---- work-thread operations -------------------------------------------------------------------

// flush(timeoutMs) → Promise<number>: rd_kafka_flush on a work thread (its callbacks collect into
// reports_), then the collected reports are handed to JS and the promise resolves with how many
// messages librdkafka still holds.
class FlushWorker : public Napi::AsyncWorker {
 public:
  FlushWorker(Napi::Env env, Producer *p, int timeout_ms)
      : Napi::AsyncWorker(env, "gocoffee.flush"), p_(p), timeout_ms_(timeout_ms), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      int step = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left, 100)));
      if (rd_kafka_flush(p_->rk(), step) == RD_KAFKA_RESP_ERR_NO_ERROR || left <= 0) break;
    }
    left_ = rd_kafka_outq_len(p_->rk());
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();
    deferred_.Resolve(Napi::Number::New(env, left_));
  }

 private:
  Producer *p_;
  int timeout_ms_;
  int left_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Producer::Flush(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  int timeout = info[0].IsNumber() ? std::max(0, info[0].As<Napi::Number>().Int32Value()) : 10000;
  auto *w = new FlushWorker(env, this, timeout);
  auto promise = w->Promise();
  workers_++;
  w->Queue();
  return promise;
}

struct MdPartition {
  int32_t id, leader;
  std::vector<int32_t> replicas, isrs;
};
struct MdTopic {
  std::string name;
  int err;
  std::vector<MdPartition> partitions;
};
struct MdBroker {
  int32_t id;
  std::string host;
  int port;
};

// metadata({ topic?, allTopics?, timeout }) → Promise<metadata> in node-rdkafka's shape.
class MetadataWorker : public Napi::AsyncWorker {
 public:
  MetadataWorker(Napi::Env env, Producer *p, rd_kafka_topic_t *rkt, bool all, int timeout_ms)
      : Napi::AsyncWorker(env, "gocoffee.metadata"), p_(p), rkt_(rkt), all_(all), timeout_ms_(timeout_ms),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const rd_kafka_metadata_t *md = nullptr;
    err_ = rd_kafka_metadata(p_->rk(), all_ ? 1 : 0, rkt_, &md, timeout_ms_);
    // Freed however this ends (a copy below may throw std::bad_alloc: OnError then settles the call).
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t *)> owned(md, rd_kafka_metadata_destroy);
    if (err_ != RD_KAFKA_RESP_ERR_NO_ERROR || !md) return;
    orig_id_ = md->orig_broker_id;
    orig_name_ = md->orig_broker_name ? md->orig_broker_name : "";
    for (int i = 0; i < md->broker_cnt; i++)
      brokers_.push_back({md->brokers[i].id, md->brokers[i].host ? md->brokers[i].host : "", md->brokers[i].port});
    for (int i = 0; i < md->topic_cnt; i++) {
      const auto &t = md->topics[i];
      MdTopic mt{t.topic ? t.topic : "", t.err, {}};
      for (int j = 0; j < t.partition_cnt; j++) {
        const auto &pm = t.partitions[j];
        mt.partitions.push_back({pm.id, pm.leader, std::vector<int32_t>(pm.replicas, pm.replicas + pm.replica_cnt),
                                 std::vector<int32_t>(pm.isrs, pm.isrs + pm.isr_cnt)});
      }
      topics_.push_back(std::move(mt));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();
    if (err_ != RD_KAFKA_RESP_ERR_NO_ERROR) {
      auto e = Napi::Error::New(env, rd_kafka_err2str(err_));
      e.Set("code", Napi::Number::New(env, err_));
      deferred_.Reject(e.Value());
      return;
    }
    auto o = Napi::Object::New(env);
    o.Set("orig_broker_id", orig_id_);
    o.Set("orig_broker_name", orig_name_);
    auto bs = Napi::Array::New(env, brokers_.size());
    for (size_t i = 0; i < brokers_.size(); i++) {
      auto b = Napi::Object::New(env);
      b.Set("id", brokers_[i].id);
      b.Set("host", brokers_[i].host);
      b.Set("port", brokers_[i].port);
      bs.Set(i, b);
    }
    o.Set("brokers", bs);
    auto ts = Napi::Array::New(env, topics_.size());
    for (size_t i = 0; i < topics_.size(); i++) {
      auto t = Napi::Object::New(env);
      t.Set("name", topics_[i].name);
      if (topics_[i].err) t.Set("error", topics_[i].err);
      auto ps = Napi::Array::New(env, topics_[i].partitions.size());
      for (size_t j = 0; j < topics_[i].partitions.size(); j++) {
        const auto &pm = topics_[i].partitions[j];
        auto p = Napi::Object::New(env);
        p.Set("id", pm.id);
        p.Set("leader", pm.leader);
        auto rs = Napi::Array::New(env, pm.replicas.size());
        for (size_t k = 0; k < pm.replicas.size(); k++) rs.Set(k, pm.replicas[k]);
        auto is = Napi::Array::New(env, pm.isrs.size());
        for (size_t k = 0; k < pm.isrs.size(); k++) is.Set(k, pm.isrs[k]);
        p.Set("replicas", rs);
        p.Set("isrs", is);
        ps.Set(j, p);
      }
      t.Set("partitions", ps);
      ts.Set(i, t);
    }
    o.Set("topics", ts);
    deferred_.Resolve(o);
  }
  // Execute threw (std::bad_alloc copying the metadata): end like any other call (close() waits for it).
  void OnError(const Napi::Error &e) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();
    auto err = Napi::Error::New(env, std::string("metadata: ") + e.Message());
    err.Set("code", Napi::Number::New(env, RD_KAFKA_RESP_ERR__FAIL));
    deferred_.Reject(err.Value());
  }

 private:
  Producer *p_;
  rd_kafka_topic_t *rkt_;
  bool all_;
  int timeout_ms_;
  rd_kafka_resp_err_t err_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  int32_t orig_id_ = -1;
  std::string orig_name_;
  std::vector<MdBroker> brokers_;
  std::vector<MdTopic> topics_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Producer::Metadata(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  rd_kafka_topic_t *rkt = nullptr;
  bool all = true;
  int timeout = 10000;
  if (info[0].IsObject()) {
    auto o = info[0].As<Napi::Object>();
    Napi::Value tv = o.Get("topic");
    if (tv.IsString()) {
      std::string name = tv.As<Napi::String>().Utf8Value();
      if (name.empty() || name.find('\0') != std::string::npos) throw Napi::RangeError::New(env, "metadata: bad topic name");
      rkt = topic(name);
      all = false;
    }
    Napi::Value av = o.Get("allTopics");
    if (av.IsBoolean()) all = av.As<Napi::Boolean>().Value() && rkt == nullptr;
    Napi::Value to = o.Get("timeout");
    if (to.IsNumber()) timeout = std::max(1, to.As<Napi::Number>().Int32Value());
  }
  auto *w = new MetadataWorker(env, this, rkt, all, timeout);
  auto promise = w->Promise();
  workers_++;
  w->Queue();
  return promise;
}

// ---- transactions -------------------------------------------------------------------------------
//
// rd_kafka_init_transactions / send_offsets_to_transaction / commit_transaction /
// abort_transaction block until the transaction coordinator answered (commit and abort also flush
// every outstanding message first), so each runs on a libuv work thread, counted in workers_ like
// flush: close() waits for it before rd_kafka_destroy. Delivery reports served by the internal
// flush collect into reports_ and reach JS from worker_done() before the promise settles.
// librdkafka itself refuses a second transactional call while one runs (ERR__CONFLICT), and
// begin_transaction only asks librdkafka's main thread to switch state (no network), so it runs
// here on the JS thread.

struct CgmdDel {
  void operator()(rd_kafka_consumer_group_metadata_t *m) const noexcept { rd_kafka_consumer_group_metadata_destroy(m); }
};
using CgmdPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDel>;

// A plain copy of an rd_kafka_error_t (taken on any thread), made a JS Error on the JS thread.
struct TxnError {
  int code = 0;
  std::string name, text;
  bool fatal = false, retriable = false, abort = false;
  explicit operator bool() const { return code != 0; }
  void take(rd_kafka_error_t *raw) {
    ErrorPtr e(raw);
    if (!e) return;
    code = static_cast<int>(rd_kafka_error_code(e.get()));
    const char *n = rd_kafka_error_name(e.get());
    const char *t = rd_kafka_error_string(e.get());
    name = n ? n : "";
    text = t ? t : "";
    fatal = rd_kafka_error_is_fatal(e.get()) != 0;
    retriable = rd_kafka_error_is_retriable(e.get()) != 0;
    abort = rd_kafka_error_txn_requires_abort(e.get()) != 0;
    if (code == 0) code = static_cast<int>(RD_KAFKA_RESP_ERR__FAIL);  // an error object always means failure
  }
  // { message, code (librdkafka's number), name (librdkafka's name, e.g. PRODUCER_FENCED), fatal,
  //   retriable, txnRequiresAbort, op }
  Napi::Value to_js(Napi::Env env, const char *op) const {
    auto e = Napi::Error::New(env, std::string(op) + ": " + text);
    e.Set("code", Napi::Number::New(env, code));
    e.Set("name", Napi::String::New(env, name));
    e.Set("fatal", Napi::Boolean::New(env, fatal));
    e.Set("retriable", Napi::Boolean::New(env, retriable));
    e.Set("txnRequiresAbort", Napi::Boolean::New(env, abort));
    e.Set("op", Napi::String::New(env, op));
    return e.Value();
  }
};

enum class TxnOp { Init, SendOffsets, Commit, Abort };

class TxnWorker : public Napi::AsyncWorker {
 public:
  TxnWorker(Napi::Env env, Producer *p, TxnOp op, const char *what, int timeout_ms)
      : Napi::AsyncWorker(env, "gocoffee.transaction"), p_(p), op_(op), what_(what), timeout_ms_(timeout_ms),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  void set_offsets(TplPtr offsets, CgmdPtr cgmd) {
    offsets_ = std::move(offsets);
    cgmd_ = std::move(cgmd);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    rd_kafka_t *rk = p_->rk();
    switch (op_) {
      case TxnOp::Init: err_.take(rd_kafka_init_transactions(rk, timeout_ms_)); break;
      case TxnOp::SendOffsets: err_.take(rd_kafka_send_offsets_to_transaction(rk, offsets_.get(), cgmd_.get(), timeout_ms_)); break;
      case TxnOp::Commit: err_.take(rd_kafka_commit_transaction(rk, timeout_ms_)); break;
      case TxnOp::Abort: err_.take(rd_kafka_abort_transaction(rk, timeout_ms_)); break;
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();  // delivery reports the call served reach JS first
    if (err_) deferred_.Reject(err_.to_js(env, what_));
    else deferred_.Resolve(env.Undefined());
  }
  // Execute threw (AsyncWorker caught it, e.g. std::bad_alloc copying the error text): the call
  // ends like any other, so close() is not kept waiting, and its promise rejects with
  // librdkafka's generic failure (not retriable: the call's outcome is not known).
  void OnError(const Napi::Error &e) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();
    TxnError err;
    err.code = static_cast<int>(RD_KAFKA_RESP_ERR__FAIL);
    err.name = "_FAIL";
    err.text = e.Message();
    deferred_.Reject(err.to_js(env, what_));
  }

 private:
  Producer *p_;
  TxnOp op_;
  const char *what_;  // a string literal
  int timeout_ms_;
  TplPtr offsets_;
  CgmdPtr cgmd_;
  TxnError err_;
  Napi::Promise::Deferred deferred_;
};

static int txn_timeout(const Napi::CallbackInfo &info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "transaction call: timeoutMs must be a number");
  double t = info[i].As<Napi::Number>().DoubleValue();
  if (!(t >= 0)) return 0;  // NaN and negatives: no wait (never librdkafka's -1 = infinite)
  return t > 2147483647.0 ? 2147483647 : static_cast<int>(t);
}

Napi::Value Producer::start_txn(Napi::Env env, TxnWorker *w) {
  auto promise = w->Promise();
  workers_++;
  w->Queue();
  return promise;
}

// initTransactions(timeoutMs) → Promise<void>: fences older producers with the same
// transactional.id and completes or aborts what they left open.
Napi::Value Producer::InitTransactions(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  int timeout = txn_timeout(info, 0);
  return start_txn(env, new TxnWorker(env, this, TxnOp::Init, "initTransactions", timeout));
}

// beginTransaction(): throws the error object (see TxnError::to_js) when librdkafka refuses.
Napi::Value Producer::BeginTransaction(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  TxnError err;
  err.take(rd_kafka_begin_transaction(rk_.get()));
  if (err) throw Napi::Error(env, err.to_js(env, "beginTransaction"));
  return env.Undefined();
}

// sendOffsetsToTransaction(offsets: {topic, partition, offset}[], groupMetadata: Buffer, timeoutMs)
// → Promise<void>. groupMetadata is the consumer's rd_kafka_consumer_group_metadata_write output.
Napi::Value Producer::SendOffsetsToTransaction(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "sendOffsetsToTransaction: offsets must be an array");
  auto arr = info[0].As<Napi::Array>();
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "sendOffsetsToTransaction: each offset must be {topic, partition, offset}");
    auto o = v.As<Napi::Object>();
    Napi::Value topic = o.Get("topic"), part = o.Get("partition"), off = o.Get("offset");
    if (!topic.IsString() || !part.IsNumber() || !off.IsNumber())
      throw Napi::TypeError::New(env, "sendOffsetsToTransaction: each offset must be {topic: string, partition: number, offset: number}");
    std::string name = topic.As<Napi::String>().Utf8Value();
    int32_t partition = part.As<Napi::Number>().Int32Value();
    int64_t offset = off.As<Napi::Number>().Int64Value();
    if (name.empty() || name.find('\0') != std::string::npos || partition < 0 || offset < 0)
      throw Napi::RangeError::New(env, "sendOffsetsToTransaction: bad topic, partition or offset");
    rd_kafka_topic_partition_list_add(tpl.get(), name.c_str(), partition)->offset = offset;
  }
  Bytes md = bytes_of(env, info[1]);
  rd_kafka_consumer_group_metadata_t *raw = nullptr;
  TxnError err;
  err.take(rd_kafka_consumer_group_metadata_read(&raw, md.data, md.len));
  CgmdPtr cgmd(raw);
  if (err) throw Napi::Error(env, err.to_js(env, "sendOffsetsToTransaction (group metadata)"));
  int timeout = txn_timeout(info, 2);
  auto *w = new TxnWorker(env, this, TxnOp::SendOffsets, "sendOffsetsToTransaction", timeout);
  w->set_offsets(std::move(tpl), std::move(cgmd));
  return start_txn(env, w);
}

Napi::Value Producer::CommitTransaction(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  int timeout = txn_timeout(info, 0);
  return start_txn(env, new TxnWorker(env, this, TxnOp::Commit, "commitTransaction", timeout));
}

Napi::Value Producer::AbortTransaction(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_ || destroyed_) throw Napi::Error::New(env, "producer closed");
  int timeout = txn_timeout(info, 0);
  return start_txn(env, new TxnWorker(env, this, TxnOp::Abort, "abortTransaction", timeout));
}

// rd_kafka_destroy can block (it joins librdkafka's threads, waits for in-flight requests to end):
// run it on a work thread. Owns the handle, its topics and queue from here on.
class DestroyWorker : public Napi::AsyncWorker {
 public:
  DestroyWorker(Napi::Env env, Napi::Promise::Deferred deferred, RkPtr rk, QueuePtr q,
                std::unordered_map<std::string, RktPtr> topics, std::function<void()> done)
      : Napi::AsyncWorker(env, "gocoffee.close"), deferred_(deferred), rk_(std::move(rk)), q_(std::move(q)),
        topics_(std::move(topics)), done_(std::move(done)) {}
  void Execute() override {
    q_.reset();
    topics_.clear();
    rk_.reset();
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    done_();
    deferred_.Resolve(Env().Undefined());
  }

 private:
  Napi::Promise::Deferred deferred_;
  RkPtr rk_;
  QueuePtr q_;
  std::unordered_map<std::string, RktPtr> topics_;
  std::function<void()> done_;
};

void Producer::worker_done() {
  workers_--;
  if (!closing_) deliver();  // what the worker's callbacks collected (flush) reaches JS now
  if (closing_ && workers_ == 0 && close_deferred_ && !destroyed_) start_destroy();
}

void Producer::start_destroy() {
  destroyed_ = true;
  Napi::Env env = Env();
  auto *w = new DestroyWorker(env, *close_deferred_, std::move(rk_), std::move(main_q_), std::move(topics_), [this] {
    on_events_.Reset();
    on_oauth_.Reset();
    oauth_.reset();
    async_ctx_.reset();
    Napi::ObjectWrap<Producer>::Unref();
  });
  w->Queue();
}

// close() → Promise<void>: no flush here (the engine flushes first, bounded, and fails what is
// left itself); unhooks the wake-up, then destroys the handle on a work thread once no flush /
// metadata / transaction worker uses it (a commit or abort under way finishes first). Reports
// that arrive after close() are not handed to JS.
// Idempotent: every later call returns the promise of the first (settled once the handle is gone).
Napi::Value Producer::Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_) return close_promise_.Value();
  closing_ = true;
  if (waker_) waker_->close();  // after this no librdkafka thread touches the async handle
  waker_.reset();
  if (oauth_) {
    oauth_->close();          // no refresh request reaches JS after close()
    oauth_->release_queue();  // a reference count only; the handle is destroyed on the worker
  }
  close_deferred_ = std::make_unique<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(env));
  auto promise = close_deferred_->Promise();
  close_promise_ = Napi::Persistent(promise);
  if (workers_ == 0) start_destroy();
  return promise;
}

Napi::Value Producer::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("outq", destroyed_ || !rk_ ? 0 : rd_kafka_outq_len(rk_.get()));
  o.Set("wakeups", static_cast<double>(wakeups_));
  o.Set("handoffs", static_cast<double>(handoffs_));
  o.Set("queueFull", static_cast<double>(queue_full_));
  return o;
}

Napi::Value Producer::SetRef(const Napi::CallbackInfo &info) {
  if (waker_) waker_->ref(info[0].ToBoolean());
  return info.Env().Undefined();
}

// ---- OAUTHBEARER (oauth.h) ------------------------------------------------------------------------

void Producer::on_oauth_wanted() {
  if (on_oauth_.IsEmpty() || closing_) return;
  call_js(Env(), on_oauth_, *async_ctx_, {});
}

// setOAuthBearerToken / setOAuthBearerTokenFailure: oauth.h; no handle (a no-op) once closing.
Napi::Value Producer::SetOAuthBearerToken(const Napi::CallbackInfo &info) { return oauth_set_token(info, closing_ || destroyed_ ? nullptr : rk_.get()); }

Napi::Value Producer::SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info) { return oauth_set_token_failure(info, closing_ || destroyed_ ? nullptr : rk_.get()); }

}  // namespace gocoffee
