// The producer's blocking calls on libuv work threads (flush, metadata), its close (rd_kafka_destroy on
// a work thread), statistics and OAUTHBEARER. See producer.cc for the threading model.
#include "producer.h"
#include "failpoint.h"

#include <algorithm>
#include <chrono>
#include <functional>

namespace gocoffee {

// flush(timeoutMs) → Promise<number>: rd_kafka_flush on a work thread (its callbacks collect into
// reports_), then the collected reports are handed to JS and the promise resolves with how many
// messages librdkafka still holds.
class FlushWorker : public Napi::AsyncWorker {
 public:
  FlushWorker(Napi::Env env, Producer *p, int timeout_ms)
      : Napi::AsyncWorker(env, "gocoffee.flush"), p_(p), timeout_ms_(timeout_ms), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    failpoint("producer.flush");
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
  // Execute threw (std::bad_alloc collecting reports): the call ends like any other, so close()
  // (which destroys the handle only once no worker runs) is not kept waiting.
  void OnError(const Napi::Error &e) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    p_->worker_done();
    auto err = Napi::Error::New(env, std::string("rd_kafka_flush worker failed: ") + e.Message());
    err.Set("code", Napi::Number::New(env, RD_KAFKA_RESP_ERR__FAIL));
    deferred_.Reject(err.Value());
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
    failpoint("producer.metadata");
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
