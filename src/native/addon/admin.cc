// Admin client: one librdkafka handle (producer type, never produces) for the Admin API
// operations (topics, consumer groups, configs, offsets). Every operation returns a Promise.
//
// Threads: a method parses and validates its JS arguments on the JS thread into plain C++ inputs
// (a bad argument throws TypeError / RangeError synchronously and starts nothing), then queues an
// OpWorker. Its Execute (libuv work thread) runs the operation (admin-ops*.cc): the request goes
// out on librdkafka's threads, the result comes back on a private queue that Execute polls, and is
// copied into a Val tree. OnOK (JS thread) turns the Val into JS and settles the promise. No JS
// value is touched off the JS thread; librdkafka calls no callback of ours except log_cb (no JS)
// and, with gocoffee.oauthbearer = "1", the OAUTHBEARER refresh callback (oauth.h: on the JS
// thread, inside the hook's serve()).
//
// Lifetime: the handle is a shared_ptr held by the Admin and by each running operation, which
// lets go of it at the end of its Execute (work thread), whether the operation returned or threw.
// close() waits for the running operations, then destroys the handle on a work thread; a
// never-closed Admin that is garbage collected hands its share to a thread of its own in the
// finalizer (release_off_js_thread), so rd_kafka_destroy never blocks the JS thread. The OAUTHBEARER
// hook (its libuv handles, its SASL queue reference, the JS handler) is released on the JS thread
// first, by close() or the finalizer: only the bare handle goes to another thread.
//
// This file: the handle, the operation workers, the close; the JS methods that parse their
// arguments and start operations are in admin-calls.cc.
#include "admin.h"
#include "failpoint.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace gocoffee {

namespace {

// librdkafka logs to stderr unless a log_cb is set. The admin handle has no event loop hook to
// forward its log lines to JS (results carry the errors that matter), so they are dropped.
void drop_log(const rd_kafka_t *, int, const char *, const char *) {}

Napi::Value to_js(Napi::Env env, const Val &v) {
  switch (v.kind) {
    case Val::Null:
      return env.Null();
    case Val::Bool:
      return Napi::Boolean::New(env, v.b);
    case Val::Num:
      return Napi::Number::New(env, v.n);
    case Val::Str:
      return Napi::String::New(env, v.s);
    case Val::Arr: {
      auto a = Napi::Array::New(env, v.items.size());
      for (size_t i = 0; i < v.items.size(); i++) a.Set(static_cast<uint32_t>(i), to_js(env, v.items[i]));
      return a;
    }
    case Val::Obj: {
      auto o = Napi::Object::New(env);
      for (const auto &f : v.fields) o.Set(f.first, to_js(env, f.second));
      return o;
    }
  }
  return env.Null();
}

// ---- handles released by a finalizer ---------------------------------------------------------------
//
// rd_kafka_destroy joins librdkafka's threads: in a finalizer it would stall the JS thread in the
// middle of a GC. The finalizer hands its share of the handle to a detached thread instead, which
// touches nothing but the shared_ptr. `pending` counts those threads; at process exit (static
// destructors run by exit()) ExitWait waits for them, so that no handle is still being torn down
// while the process unloads (and LeakSanitizer does not report a half-destroyed handle). The state
// is never freed: a thread past the wait's bound may still use it.
struct Reaper {
  std::mutex m;
  std::condition_variable cv;
  int pending = 0;
};
Reaper &reaper() {
  static Reaper *r = new Reaper();
  return *r;
}
constexpr auto EXIT_WAIT = std::chrono::seconds(10);
struct ExitWait {
  ~ExitWait() {
    Reaper &r = reaper();
    std::unique_lock<std::mutex> l(r.m);
    r.cv.wait_for(l, EXIT_WAIT, [&] { return r.pending == 0; });
  }
} exit_wait;

// Lets go of `rk` off the JS thread; touches no JS (safe in a finalizer). Without a thread to be
// had (std::system_error, std::bad_alloc) the share is released here, as before.
void release_off_js_thread(SharedRk rk) noexcept {
  if (!rk) return;
  Reaper &r = reaper();
  {
    std::lock_guard<std::mutex> l(r.m);
    r.pending++;
  }
  try {
    // The lambda owns the share; if the thread cannot be started it is destroyed (and the share
    // released) on this thread while the exception propagates.
    std::thread([rk = std::move(rk)]() mutable {
      rk.reset();
      Reaper &r = reaper();
      std::lock_guard<std::mutex> l(r.m);
      if (--r.pending == 0) r.cv.notify_all();
    }).detach();
  } catch (...) {
    std::lock_guard<std::mutex> l(r.m);
    if (--r.pending == 0) r.cv.notify_all();
  }
}

// An Error carrying librdkafka's code and name, as the promises of the operations reject with.
Napi::Error kafka_error(Napi::Env env, int code, const std::string &message) {
  auto e = Napi::Error::New(env, message);
  e.Set("code", Napi::Number::New(env, code));
  e.Set("name", Napi::String::New(env, rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code))));
  return e;
}

class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(Napi::Env env, const char *name, Admin *admin, Napi::Object self, SharedRk rk, OpFn fn, int timeout_ms)
      : Napi::AsyncWorker(env, name), admin_(admin), self_(Napi::Persistent(self)), rk_(std::move(rk)), fn_(std::move(fn)),
        timeout_ms_(timeout_ms), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    // The captured inputs are freed and the share of the handle let go of here, on the work thread,
    // also when the operation throws (e.g. std::bad_alloc copying a result): AsyncWorker catches
    // the exception and reports it to OnError. If close() already let go, the handle is destroyed here.
    struct Release {
      OpWorker &w;
      ~Release() {
        w.fn_ = nullptr;
        w.rk_.reset();
      }
    } release{*this};
    failpoint("admin.op");
    fn_(rk_.get(), timeout_ms_, result_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    admin_->op_done();
    if (result_.code != 0) {
      deferred_.Reject(kafka_error(env, result_.code, result_.message).Value());
    } else {
      deferred_.Resolve(to_js(env, result_.value));
    }
    self_.Reset();
  }
  // Execute threw: the operation ends like any other (close() is not kept waiting, the Admin is
  // let go of) and its promise rejects with librdkafka's generic failure code.
  void OnError(const Napi::Error &e) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    admin_->op_done();
    deferred_.Reject(kafka_error(env, RD_KAFKA_RESP_ERR__FAIL, std::string("admin operation failed: ") + e.Message()).Value());
    self_.Reset();
  }

 private:
  Admin *admin_;
  Napi::ObjectReference self_;  // keeps the Admin (and admin_) alive while this runs
  SharedRk rk_;
  OpFn fn_;
  int timeout_ms_;
  OpResult result_;
  Napi::Promise::Deferred deferred_;
};

class DestroyWorker : public Napi::AsyncWorker {
 public:
  DestroyWorker(Napi::Env env, Napi::Promise::Deferred deferred, SharedRk rk)
      : Napi::AsyncWorker(env, "gocoffee.admin.close"), deferred_(deferred), rk_(std::move(rk)) {}
  void Execute() override { rk_.reset(); }  // rd_kafka_destroy blocks (joins librdkafka's threads)
  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(Env().Undefined());
  }

 private:
  Napi::Promise::Deferred deferred_;
  SharedRk rk_;
};
}  // namespace

void Admin::Init(Napi::Env env, Napi::Object exports) {
  auto cls = DefineClass(env, "Admin",
                         {InstanceMethod("listGroups", &Admin::ListGroups),
                          InstanceMethod("describeGroups", &Admin::DescribeGroups),
                          InstanceMethod("deleteGroups", &Admin::DeleteGroups),
                          InstanceMethod("listGroupOffsets", &Admin::ListGroupOffsets),
                          InstanceMethod("alterGroupOffsets", &Admin::AlterGroupOffsets),
                          InstanceMethod("describeConfigs", &Admin::DescribeConfigs),
                          InstanceMethod("incrementalAlterConfigs", &Admin::IncrementalAlterConfigs),
                          InstanceMethod("listOffsets", &Admin::ListOffsets),
                          InstanceMethod("deleteTopics", &Admin::DeleteTopics),
                          InstanceMethod("createPartitions", &Admin::CreatePartitions),
                          InstanceMethod("createTopics", &Admin::CreateTopics),
                          InstanceMethod("close", &Admin::Close),
                          InstanceMethod("setOAuthBearerToken", &Admin::SetOAuthBearerToken),
                          InstanceMethod("setOAuthBearerTokenFailure", &Admin::SetOAuthBearerTokenFailure)});
  exports.Set("Admin", cls);
}

// new Admin(global: Record<string,string>, oauthRefresh?: () => void): the handle connects lazily
// (first request). gocoffee.oauthbearer = "1": tokens come from JS (setOAuthBearerToken), and
// oauthRefresh is called (JS thread) when librdkafka wants a new one (oauth.h).
Admin::Admin(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Admin>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "new Admin(globalConfig, oauthRefresh?)");
  if (!info[1].IsUndefined() && !info[1].IsFunction()) throw Napi::TypeError::New(env, "new Admin: oauthRefresh must be a function");
  const bool oauth = oauth_enabled(info[0].As<Napi::Object>());
  ConfPtr conf = conf_from_object(env, info[0].As<Napi::Object>());
  char errstr[512];
  // Nothing polls this handle's main queue: statistics would pile up there, so none are emitted.
  if (rd_kafka_conf_set(conf.get(), "statistics.interval.ms", "0", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    throw Napi::Error::New(env, std::string("statistics.interval.ms: ") + errstr);
  rd_kafka_conf_set_log_cb(conf.get(), drop_log);
  if (oauth) {
    oauth_configure<Admin>(conf.get());
    rd_kafka_conf_set_opaque(conf.get(), this);  // the refresh callback finds oauth_ through it
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (!rk) throw Napi::Error::New(env, std::string("rd_kafka_new: ") + errstr);
  conf.release();  // owned by rk now
  rk_ = SharedRk(rk, RkDel());
  if (oauth) {
    // Tokens from JS: the SASL queue is served on the JS thread (oauth.h). Not also the background
    // callbacks below: they would forward that queue to librdkafka's background thread, where the
    // refresh callback would have no one to tell.
    if (info[1].IsFunction()) on_oauth_ = Napi::Persistent(info[1].As<Napi::Function>());
    async_ctx_ = std::make_unique<Napi::AsyncContext>(env, "gocoffee.Admin");
    uv_loop_t *loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    oauth_ = std::make_unique<OAuthBearer>(rk, loop, [this] { on_oauth_wanted(); });
    return;
  }
  // OAUTHBEARER token refreshes are served from a queue nobody polls here: the background thread serves them.
  QueuePtr sasl(rd_kafka_queue_get_sasl(rk));
  if (sasl) {
    ErrorPtr e(rd_kafka_sasl_background_callbacks_enable(rk));
    if (e) throw Napi::Error::New(env, std::string("SASL background callbacks: ") + rd_kafka_error_string(e.get()));
  }
}

// Garbage collected without close(): no operation runs (each keeps this object alive), so this is
// usually the last share of the handle. It is handed to a thread of its own: rd_kafka_destroy
// blocks until librdkafka's threads have ended, which must not stall the JS thread in a GC. At
// environment teardown an operation may still hold a share; whichever lets go last destroys it.
// The OAUTHBEARER hook goes first, here on the JS thread: its libuv handles belong to this loop,
// and its SASL queue reference must be dropped before the handle is destroyed.
Admin::~Admin() {
  release_oauth();
  release_off_js_thread(std::move(rk_));
}

void Admin::release_oauth() {
  oauth_.reset();  // unhooks the waker (no serve() after this), drops the queue reference (if close() did not)
  on_oauth_.Reset();
  async_ctx_.reset();
}

void Admin::op_done() {
  running_--;
  if (closing_ && running_ == 0 && close_deferred_ && rk_) start_destroy();
}

void Admin::start_destroy() {
  auto *w = new DestroyWorker(Env(), *close_deferred_, std::move(rk_));
  rk_.reset();
  w->Queue();
}

Napi::Value Admin::Start(const Napi::CallbackInfo &info, const char *name, OpFn fn, int timeout_ms) {
  Napi::Env env = info.Env();
  if (closing_ || !rk_) throw Napi::Error::New(env, "admin client closed");
  auto *w = new OpWorker(env, name, this, info.This().As<Napi::Object>(), rk_, std::move(fn), timeout_ms);
  auto promise = w->Promise();
  running_++;
  w->Queue();
  return promise;
}

// close() → Promise<void>: refuses new operations, waits for the running ones, then destroys the
// handle on a work thread. Idempotent: every later call returns the promise of the first.
Napi::Value Admin::Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_) return close_promise_.Value();  // the promise of the first call (settled or not)
  auto deferred = Napi::Promise::Deferred::New(env);
  auto promise = deferred.Promise();
  close_promise_ = Napi::Persistent(promise);
  close_deferred_ = std::make_unique<Napi::Promise::Deferred>(deferred);
  closing_ = true;
  if (oauth_) {
    // No refresh request reaches JS after close(); the queue reference goes before the handle.
    // The objects themselves stay until the finalizer: close() may run inside the hook's own
    // serve() (JS closing the admin in its refresh handler).
    oauth_->close();
    oauth_->release_queue();
  }
  if (running_ == 0) start_destroy();
  return promise;
}

// ---- OAUTHBEARER (oauth.h) ------------------------------------------------------------------------

// JS thread, from the SASL queue's serve(): librdkafka wants a new token. Not once closing.
void Admin::on_oauth_wanted() {
  if (on_oauth_.IsEmpty() || closing_ || !async_ctx_) return;
  call_js(Env(), on_oauth_, *async_ctx_, {});
}

// setOAuthBearerToken / setOAuthBearerTokenFailure: oauth.h; no handle (a no-op) once closing.
Napi::Value Admin::SetOAuthBearerToken(const Napi::CallbackInfo &info) { return oauth_set_token(info, closing_ ? nullptr : rk_.get()); }

Napi::Value Admin::SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info) { return oauth_set_token_failure(info, closing_ ? nullptr : rk_.get()); }

}  // namespace gocoffee
