// Batch producer: one JS call enqueues N packed messages; delivery reports, client errors, log
// lines and statistics are collected in C++ and handed to JS once per wake-up as typed arrays.
//
// Threads: librdkafka's callbacks run only inside rd_kafka_poll / rd_kafka_flush (log.queue=true
// routes log lines through the main queue too): on the JS thread when the main queue wakes it
// (rd_kafka_queue_cb_event_enable → uv_async_send), or on a libuv work thread while flush() runs.
// They only append to C++ vectors under mu_. JS values are built on the JS thread only. flush(),
// metadata() and the final rd_kafka_destroy run on libuv work threads (napi AsyncWorker).
//
// This file: the handle, the produce path and the delivery hand-off; flush, metadata, the close,
// stats(), ref() and the OAUTHBEARER methods are in producer-ops.cc, the transactional calls in
// producer-txn.cc.
//
// Produce table (Int32Array), MSG_STRIDE ints per message, then header records:
//   [keyOff, keyLen (-1 null), valOff, valLen (-1 null), partition (-1 = partitioner),
//    hdrStart (int index into the table), hdrCount, tsHi, tsLo (ms; 0/0 = now), id, topicIndex, flags]
//   header record at table[hdrStart + HDR_STRIDE*j]: [nameOff, nameLen, valOff, valLen (-1 null), flags]
// flags are the packer's (string vs Buffer) and are ignored here.
#include "producer.h"

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

}  // namespace gocoffee
