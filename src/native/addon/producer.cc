// Batch producer: one JS call enqueues N packed messages; delivery reports are aggregated in C++
// and handed to JS once per wake-up as typed arrays.
//
// Produce table (Int32Array), MSG_STRIDE ints per message, then header records:
//   [keyOff, keyLen (-1 null), valOff, valLen (-1 null), partition (-1 = partitioner),
//    hdrStart (int index into the table), hdrCount, tsHi, tsLo (ms; 0/0 = now), reserved]
//   header record at table[hdrStart + 4j]: [nameOff, nameLen, valOff, valLen (-1 null)]
#include <unistd.h>

#include "producer.h"

namespace gocoffee {

constexpr int MSG_STRIDE = 10;
enum { P_KEY_OFF, P_KEY_LEN, P_VAL_OFF, P_VAL_LEN, P_PART, P_HDR_START, P_HDR_COUNT, P_TS_HI, P_TS_LO };

void Reports::clear() {
  ok.clear();
  offsets.clear();
  failed.clear();
  err_codes.clear();
  err_texts.clear();
}

void Reports::append_from(Reports &o) {
  ok.insert(ok.end(), o.ok.begin(), o.ok.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  failed.insert(failed.end(), o.failed.begin(), o.failed.end());
  err_codes.insert(err_codes.end(), o.err_codes.begin(), o.err_codes.end());
  for (auto &t : o.err_texts) err_texts.push_back(std::move(t));
  o.clear();
}

static void dr_msg_cb(rd_kafka_t *, const rd_kafka_message_t *m, void *opaque) {
  static_cast<Producer *>(opaque)->on_delivery(m);
}

static void error_cb(rd_kafka_t *, int err, const char *reason, void *opaque) {
  static_cast<Producer *>(opaque)->on_error(err, reason);
}

void Producer::on_delivery(const rd_kafka_message_t *m) {
  int32_t id = static_cast<int32_t>(reinterpret_cast<intptr_t>(m->_private));
  if (m->err) {
    collect_->failed.push_back(id);
    collect_->failed.push_back(m->err);
  } else {
    collect_->ok.push_back(id);
    if (want_offsets_) collect_->offsets.push_back(static_cast<double>(m->offset));
  }
}

void Producer::on_error(int code, const char *reason) {
  collect_->err_codes.push_back(code);
  collect_->err_texts.emplace_back(reason ? reason : "");
}

void Producer::Init(Napi::Env env, Napi::Object exports) {
  auto cls = DefineClass(env, "Producer",
                         {InstanceMethod("produceBatch", &Producer::ProduceBatch),
                          InstanceMethod("close", &Producer::Close),
                          InstanceMethod("stats", &Producer::Stats),
                          InstanceMethod("ref", &Producer::SetRef)});
  exports.Set("Producer", cls);
}

// new Producer(config: Record<string,string>, onReports: (ok, failed, offsets, errors) => void)
// spike.wake = pipe | async | thread; spike.offsets = 1 to report offsets.
Producer::Producer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Producer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "new Producer(config, onReports)");
  auto cfg = info[0].As<Napi::Object>();
  WakeMode mode = parse_wake_mode(opt_string(cfg, "gocoffee.wake", "pipe"));
  want_offsets_ = opt_int(cfg, "gocoffee.offsets", 0) != 0;
  ConfPtr conf = conf_from_object(env, cfg);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), dr_msg_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_opaque(conf.get(), this);
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (!rk) throw Napi::Error::New(env, std::string("rd_kafka_new: ") + errstr);
  conf.release();  // owned by rk now
  rk_.reset(rk);
  main_q_.reset(rd_kafka_queue_get_main(rk));

  on_reports_ = Napi::Persistent(info[1].As<Napi::Function>());
  async_ctx_ = std::make_unique<Napi::AsyncContext>(env, "gocoffee.Producer");
  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  waker_ = std::make_unique<Waker>(loop, mode, [this] { on_wake(); });
  if (mode == WakeMode::Thread) {
    collect_ = &thread_reports_;
    running_ = true;
    poller_ = std::thread([this] { poll_thread_main(); });
  } else {
    waker_->attach(main_q_.get());
  }
  Napi::ObjectWrap<Producer>::Ref();  // stay alive while open, even if JS drops the object
}

Producer::~Producer() { shutdown(false); }

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

// produceBatch(topic, buf, table, count, firstId, start = 0) → number enqueued from message index
// `start` (< count - start: queue full there; JS retries from start + returned after the next
// reports). Message i gets id firstId + i. Other per-message enqueue errors are reported as failed
// deliveries (same path as broker errors).
Napi::Value Producer::ProduceBatch(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "producer closed");
  std::string tname = info[0].ToString().Utf8Value();
  Bytes buf = bytes_of(env, info[1]);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "table must be an Int32Array");
  auto table = info[2].As<Napi::Int32Array>();
  const int32_t *t = table.Data();
  size_t tlen = table.ElementLength();
  int64_t count = info[3].As<Napi::Number>().Int64Value();
  int32_t first_id = info[4].As<Napi::Number>().Int32Value();
  int64_t start = info[5].IsNumber() ? info[5].As<Napi::Number>().Int64Value() : 0;
  if (count < 0 || static_cast<size_t>(count) * MSG_STRIDE > tlen || start < 0 || start > count)
    throw Napi::RangeError::New(env, "produceBatch: count / start outside the table");

  // Validate everything first so that a bad table enqueues nothing.
  for (int64_t i = start; i < count; i++) {
    const int32_t *r = t + i * MSG_STRIDE;
    check_span(env, buf.len, r[P_KEY_OFF], r[P_KEY_LEN]);
    check_span(env, buf.len, r[P_VAL_OFF], r[P_VAL_LEN]);
    if (r[P_HDR_COUNT] < 0 || r[P_HDR_START] < 0 ||
        static_cast<size_t>(r[P_HDR_START]) + static_cast<size_t>(r[P_HDR_COUNT]) * 4 > tlen)
      throw Napi::RangeError::New(env, "produceBatch: header records outside the table");
    for (int32_t j = 0; j < r[P_HDR_COUNT]; j++) {
      const int32_t *h = t + r[P_HDR_START] + j * 4;
      if (h[1] < 0) throw Napi::RangeError::New(env, "produceBatch: header name must not be null");
      check_span(env, buf.len, h[0], h[1]);
      check_span(env, buf.len, h[2], h[3]);
    }
  }
  rd_kafka_topic_t *rkt = topic(tname);
  if (!rkt) throw Napi::Error::New(env, "rd_kafka_topic_new failed");

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
        const int32_t *h = t + r[P_HDR_START] + j * 4;
        rd_kafka_header_add(hdrs.get(), reinterpret_cast<const char *>(buf.data + h[0]), h[1],
                            h[3] < 0 ? nullptr : ptr(h[2], h[3]), h[3] < 0 ? 0 : h[3]);
      }
    }
    int64_t ts = (static_cast<int64_t>(r[P_TS_HI]) << 32) | static_cast<uint32_t>(r[P_TS_LO]);
    int32_t id = static_cast<int32_t>(static_cast<uint32_t>(first_id) + static_cast<uint32_t>(i));  // ids wrap
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(r[P_PART] < 0 ? RD_KAFKA_PARTITION_UA : r[P_PART]),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(ptr(r[P_VAL_OFF], r[P_VAL_LEN]), r[P_VAL_LEN] < 0 ? 0 : r[P_VAL_LEN]),
        RD_KAFKA_V_KEY(ptr(r[P_KEY_OFF], r[P_KEY_LEN]), r[P_KEY_LEN] < 0 ? 0 : r[P_KEY_LEN]),
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
    // Enqueue error (e.g. message too large, unknown partition): a failed delivery.
    if (waker_->mode() == WakeMode::Thread) {
      std::lock_guard<std::mutex> lock(mu_);
      shared_.failed.push_back(id);
      shared_.failed.push_back(err);
    } else {
      main_reports_.failed.push_back(id);
      main_reports_.failed.push_back(err);
    }
    reported = true;
  }
  if (reported) waker_->kick();
  return Napi::Number::New(env, static_cast<double>(i - start));
}

void Producer::on_wake() {
  wakeups_++;
  if (waker_->mode() == WakeMode::Thread) {
    Reports local;
    {
      std::lock_guard<std::mutex> lock(mu_);
      local.append_from(shared_);
    }
    deliver(local);
    return;
  }
  rd_kafka_poll(rk_.get(), 0);  // serves dr_msg_cb / error_cb into main_reports_
  deliver(main_reports_);
}

void Producer::deliver(Reports &r) {
  if (r.empty() || on_reports_.IsEmpty()) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  handoffs_++;
  napi_value ok = typed_copy(env, r.ok.data(), r.ok.size());
  napi_value failed = r.failed.empty() ? env.Null() : typed_copy(env, r.failed.data(), r.failed.size());
  napi_value offsets = want_offsets_ ? typed_copy(env, r.offsets.data(), r.offsets.size()) : env.Null();
  napi_value errors = env.Null();
  if (!r.err_codes.empty()) {
    auto arr = Napi::Array::New(env, r.err_codes.size());
    for (size_t i = 0; i < r.err_codes.size(); i++) {
      auto e = Napi::Object::New(env);
      e.Set("code", r.err_codes[i]);
      e.Set("fatal", r.err_codes[i] == RD_KAFKA_RESP_ERR__FATAL);
      e.Set("message", r.err_texts[i]);
      arr.Set(i, e);
    }
    errors = arr;
  }
  r.clear();
  call_js(env, on_reports_, *async_ctx_, {ok, failed, offsets, errors});
}

void Producer::poll_thread_main() {
  while (running_.load(std::memory_order_relaxed)) {
    rd_kafka_poll(rk_.get(), 100);  // callbacks fill thread_reports_ on this thread
    if (thread_reports_.empty()) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      shared_.append_from(thread_reports_);
    }
    waker_->kick();
  }
}

// close(timeoutMs): flushes (blocking, bounded), hands the last reports to JS, destroys.
Napi::Value Producer::Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closed_) return env.Undefined();
  int timeout = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 10000;
  if (poller_.joinable()) {
    running_ = false;
    poller_.join();
    std::lock_guard<std::mutex> lock(mu_);
    main_reports_.append_from(shared_);
    main_reports_.append_from(thread_reports_);
  }
  collect_ = &main_reports_;
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), timeout);
  int left = rd_kafka_outq_len(rk_.get());
  if (!main_reports_.empty()) {
    // We are inside a JS call: a plain synchronous call is fine here.
    Napi::Value ok = typed_copy(env, main_reports_.ok.data(), main_reports_.ok.size());
    Napi::Value failed = typed_copy(env, main_reports_.failed.data(), main_reports_.failed.size());
    Napi::Value offsets = typed_copy(env, main_reports_.offsets.data(), main_reports_.offsets.size());
    main_reports_.clear();
    on_reports_.Call({ok, failed, offsets, env.Null()});
  }
  shutdown(true);
  auto res = Napi::Object::New(env);
  res.Set("flushError", static_cast<int>(err));
  res.Set("undelivered", left);
  return res;
}

void Producer::shutdown(bool from_js) {
  if (closed_) return;
  closed_ = true;
  if (poller_.joinable()) {
    running_ = false;
    poller_.join();
  }
  if (waker_) waker_->close();  // unhooks the queue before the queue goes away
  waker_.reset();
  topics_.clear();
  main_q_.reset();
  rk_.reset();  // rd_kafka_destroy: blocks until librdkafka's threads are gone
  if (from_js) {
    on_reports_.Reset();
    async_ctx_.reset();
    Napi::ObjectWrap<Producer>::Unref();
  }
}

Napi::Value Producer::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("outq", closed_ ? 0 : rd_kafka_outq_len(rk_.get()));
  o.Set("wakeups", static_cast<double>(wakeups_));
  o.Set("handoffs", static_cast<double>(handoffs_));
  o.Set("queueFull", static_cast<double>(queue_full_));
  return o;
}

Napi::Value Producer::SetRef(const Napi::CallbackInfo &info) {
  if (waker_) waker_->ref(info[0].ToBoolean());
  return info.Env().Undefined();
}

}  // namespace gocoffee
