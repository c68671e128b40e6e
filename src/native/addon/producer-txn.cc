// The producer's transactional calls (see producer.cc for the threading model).
#include "producer.h"
#include "failpoint.h"

#include <new>
#include <utility>

namespace gocoffee {

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
    failpoint("producer.txn");
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

}  // namespace gocoffee
