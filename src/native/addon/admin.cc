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
#include "admin.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace gocoffee {

namespace {

// Upper bounds on an operation's inputs: a runaway caller cannot make one request of any size.
constexpr uint32_t MAX_ITEMS = 100000;
constexpr int DEFAULT_TIMEOUT_MS = 30000;

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

// ---- argument parsing (JS thread) ----------------------------------------------------------------

std::string name_of(Napi::Env env, const Napi::Value &v, const char *what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) throw Napi::RangeError::New(env, std::string(what) + " must be non-empty and without NUL");
  return s;
}

Napi::Array array_of(Napi::Env env, const Napi::Value &v, const char *what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  auto a = v.As<Napi::Array>();
  if (a.Length() > MAX_ITEMS) throw Napi::RangeError::New(env, std::string(what) + ": too many items");
  return a;
}

std::vector<std::string> names_of(Napi::Env env, const Napi::Value &v, const char *what) {
  auto a = array_of(env, v, what);
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(name_of(env, a.Get(i), what));
  if (out.empty()) throw Napi::RangeError::New(env, std::string(what) + " must not be empty");
  return out;
}

int64_t int_of(Napi::Env env, const Napi::Object &o, const char *key, int64_t min, int64_t max) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(min) || d > static_cast<double>(max))
    throw Napi::RangeError::New(env, std::string(key) + " out of range");
  return static_cast<int64_t>(d);
}

// [{topic, partition, offset?}]; offsets (when `with_offset`) from `min_offset` on.
std::vector<TopicPartitionIn> partitions_of(Napi::Env env, const Napi::Value &v, bool with_offset, int64_t min_offset) {
  auto a = array_of(env, v, "partitions");
  std::vector<TopicPartitionIn> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "partitions: each item must be an object");
    auto o = e.As<Napi::Object>();
    TopicPartitionIn p;
    p.topic = name_of(env, o.Get("topic"), "topic");
    p.partition = static_cast<int32_t>(int_of(env, o, "partition", 0, INT32_MAX));
    if (with_offset) p.offset = int_of(env, o, "offset", min_offset, INT64_C(9007199254740991));
    out.push_back(std::move(p));
  }
  return out;
}

int resource_type_of(Napi::Env env, const Napi::Value &v) {
  std::string t = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (t == "topic") return RD_KAFKA_RESOURCE_TOPIC;
  if (t == "broker") return RD_KAFKA_RESOURCE_BROKER;
  if (t == "group") return RD_KAFKA_RESOURCE_GROUP;
  throw Napi::RangeError::New(env, "resource type must be 'topic', 'broker' or 'group'");
}

// [{type, name, ops?: [{name, op: 'set'|'delete'|'append'|'subtract', value?}]}]
std::vector<ResourceIn> resources_of(Napi::Env env, const Napi::Value &v, bool with_ops) {
  auto a = array_of(env, v, "resources");
  std::vector<ResourceIn> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "resources: each item must be an object");
    auto o = e.As<Napi::Object>();
    ResourceIn r;
    r.type = resource_type_of(env, o.Get("type"));
    r.name = name_of(env, o.Get("name"), "resource name");  // a broker's is its id, e.g. "1"
    if (with_ops) {
      auto ops = array_of(env, o.Get("ops"), "ops");
      for (uint32_t j = 0; j < ops.Length(); j++) {
        Napi::Value oe = ops.Get(j);
        if (!oe.IsObject()) throw Napi::TypeError::New(env, "ops: each item must be an object");
        auto oo = oe.As<Napi::Object>();
        ConfigOpIn op;
        op.name = name_of(env, oo.Get("name"), "config name");
        std::string kind = oo.Get("op").IsString() ? oo.Get("op").As<Napi::String>().Utf8Value() : "";
        if (kind == "set") op.op = RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET;
        else if (kind == "delete") op.op = RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE;
        else if (kind == "append") op.op = RD_KAFKA_ALTER_CONFIG_OP_TYPE_APPEND;
        else if (kind == "subtract") op.op = RD_KAFKA_ALTER_CONFIG_OP_TYPE_SUBTRACT;
        else throw Napi::RangeError::New(env, "op must be 'set', 'delete', 'append' or 'subtract'");
        if (op.op != RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE) {
          Napi::Value val = oo.Get("value");
          if (!val.IsString()) throw Napi::TypeError::New(env, "config value must be a string");
          op.value = val.As<Napi::String>().Utf8Value();
          if (op.value.find('\0') != std::string::npos) throw Napi::RangeError::New(env, "config value must not contain NUL");
        }
        r.ops.push_back(std::move(op));
      }
      if (r.ops.empty()) throw Napi::RangeError::New(env, "ops must not be empty");
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) throw Napi::RangeError::New(env, "resources must not be empty");
  return out;
}

// The trailing options argument: { timeoutMs?, validateOnly?, readCommitted? }.
struct CallOpts {
  int timeout_ms = DEFAULT_TIMEOUT_MS;
  bool validate_only = false;
  bool read_committed = false;
};
CallOpts opts_of(Napi::Env env, const Napi::Value &v) {
  CallOpts c;
  if (v.IsUndefined() || v.IsNull()) return c;
  if (!v.IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  auto o = v.As<Napi::Object>();
  if (!o.Get("timeoutMs").IsUndefined()) c.timeout_ms = static_cast<int>(int_of(env, o, "timeoutMs", 1, 900000));
  c.validate_only = o.Get("validateOnly").ToBoolean();
  c.read_committed = o.Get("readCommitted").ToBoolean();
  return c;
}

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

// listGroups({ states?: number[] (rd_kafka_consumer_group_state_t) }, opts)
Napi::Value Admin::ListGroups(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<int> states;
  if (info[0].IsObject() && info[0].As<Napi::Object>().Get("states").IsArray()) {
    auto a = info[0].As<Napi::Object>().Get("states").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && i < RD_KAFKA_CONSUMER_GROUP_STATE__CNT; i++) {
      Napi::Value s = a.Get(i);
      if (!s.IsString()) throw Napi::TypeError::New(env, "states must be strings");
      rd_kafka_consumer_group_state_t code = rd_kafka_consumer_group_state_code(s.As<Napi::String>().Utf8Value().c_str());
      if (std::find(states.begin(), states.end(), code) == states.end()) states.push_back(code);
    }
  }
  return Start(info, "gocoffee.admin.listGroups", op_list_groups(std::move(states)), opts_of(env, info[1]).timeout_ms);
}

Napi::Value Admin::DescribeGroups(const Napi::CallbackInfo &info) {
  auto groups = names_of(info.Env(), info[0], "groups");
  return Start(info, "gocoffee.admin.describeGroups", op_describe_groups(std::move(groups)), opts_of(info.Env(), info[1]).timeout_ms);
}

Napi::Value Admin::DeleteGroups(const Napi::CallbackInfo &info) {
  auto groups = names_of(info.Env(), info[0], "groups");
  return Start(info, "gocoffee.admin.deleteGroups", op_delete_groups(std::move(groups)), opts_of(info.Env(), info[1]).timeout_ms);
}

// listGroupOffsets(group, partitions: [{topic, partition}] | null (every committed partition), opts)
Napi::Value Admin::ListGroupOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string group = name_of(env, info[0], "group");
  bool all = info[1].IsNull() || info[1].IsUndefined();
  std::vector<TopicPartitionIn> parts = all ? std::vector<TopicPartitionIn>() : partitions_of(env, info[1], false, 0);
  return Start(info, "gocoffee.admin.listGroupOffsets", op_list_group_offsets(std::move(group), std::move(parts), all), opts_of(env, info[2]).timeout_ms);
}

// alterGroupOffsets(group, [{topic, partition, offset >= 0}], opts)
Napi::Value Admin::AlterGroupOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string group = name_of(env, info[0], "group");
  auto parts = partitions_of(env, info[1], true, 0);
  if (parts.empty()) throw Napi::RangeError::New(env, "partitions must not be empty");
  return Start(info, "gocoffee.admin.alterGroupOffsets", op_alter_group_offsets(std::move(group), std::move(parts)), opts_of(env, info[2]).timeout_ms);
}

// describeConfigs([{type, name}], opts)
Napi::Value Admin::DescribeConfigs(const Napi::CallbackInfo &info) {
  auto res = resources_of(info.Env(), info[0], false);
  return Start(info, "gocoffee.admin.describeConfigs", op_describe_configs(std::move(res)), opts_of(info.Env(), info[1]).timeout_ms);
}

// incrementalAlterConfigs([{type, name, ops}], { validateOnly? })
Napi::Value Admin::IncrementalAlterConfigs(const Napi::CallbackInfo &info) {
  auto res = resources_of(info.Env(), info[0], true);
  CallOpts o = opts_of(info.Env(), info[1]);
  return Start(info, "gocoffee.admin.incrementalAlterConfigs", op_incremental_alter_configs(std::move(res), o.validate_only), o.timeout_ms);
}

// listOffsets([{topic, partition, offset: -1 latest | -2 earliest | -3 max timestamp | >= 0 timestamp}], { readCommitted? })
Napi::Value Admin::ListOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto parts = partitions_of(env, info[0], true, RD_KAFKA_OFFSET_SPEC_MAX_TIMESTAMP);
  if (parts.empty()) throw Napi::RangeError::New(env, "partitions must not be empty");
  CallOpts o = opts_of(env, info[1]);
  return Start(info, "gocoffee.admin.listOffsets", op_list_offsets(std::move(parts), o.read_committed), o.timeout_ms);
}

Napi::Value Admin::DeleteTopics(const Napi::CallbackInfo &info) {
  auto topics = names_of(info.Env(), info[0], "topics");
  return Start(info, "gocoffee.admin.deleteTopics", op_delete_topics(std::move(topics)), opts_of(info.Env(), info[1]).timeout_ms);
}

// createPartitions([{topic, total}], { validateOnly? })
Napi::Value Admin::CreatePartitions(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto a = array_of(env, info[0], "topics");
  std::vector<PartitionsIn> topics;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "topics: each item must be an object");
    auto o = e.As<Napi::Object>();
    topics.push_back({name_of(env, o.Get("topic"), "topic"), static_cast<int32_t>(int_of(env, o, "total", 1, 1000000))});
  }
  if (topics.empty()) throw Napi::RangeError::New(env, "topics must not be empty");
  CallOpts o = opts_of(env, info[1]);
  return Start(info, "gocoffee.admin.createPartitions", op_create_partitions(std::move(topics), o.validate_only), o.timeout_ms);
}

// createTopics([{topic, partitions, replicationFactor, configs?: {name: value}}], { validateOnly? }):
// partitions and replicationFactor -1 take the broker's default.
Napi::Value Admin::CreateTopics(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto a = array_of(env, info[0], "topics");
  std::vector<NewTopicIn> topics;
  size_t configs = 0;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "topics: each item must be an object");
    auto o = e.As<Napi::Object>();
    NewTopicIn t;
    t.topic = name_of(env, o.Get("topic"), "topic");
    t.partitions = static_cast<int32_t>(int_of(env, o, "partitions", -1, 100000));
    t.replication_factor = static_cast<int32_t>(int_of(env, o, "replicationFactor", -1, 10000));
    if (t.partitions == 0) throw Napi::RangeError::New(env, "partitions must be at least 1 (or -1: the broker's default)");
    if (t.replication_factor == 0) throw Napi::RangeError::New(env, "replicationFactor must be at least 1 (or -1: the broker's default)");
    Napi::Value cv = o.Get("configs");
    if (!cv.IsUndefined() && !cv.IsNull()) {
      if (!cv.IsObject() || cv.IsArray()) throw Napi::TypeError::New(env, "configs must be an object of name → string value");
      auto co = cv.As<Napi::Object>();
      auto keys = co.GetPropertyNames();
      configs += keys.Length();
      if (configs > MAX_ITEMS) throw Napi::RangeError::New(env, "configs: too many items");
      for (uint32_t j = 0; j < keys.Length(); j++) {
        std::string name = name_of(env, keys.Get(j), "config name");
        Napi::Value val = co.Get(name);
        if (!val.IsString()) throw Napi::TypeError::New(env, "config value must be a string");
        std::string value = val.As<Napi::String>().Utf8Value();
        if (value.find('\0') != std::string::npos) throw Napi::RangeError::New(env, "config value must not contain NUL");
        t.configs.emplace_back(std::move(name), std::move(value));
      }
    }
    topics.push_back(std::move(t));
  }
  if (topics.empty()) throw Napi::RangeError::New(env, "topics must not be empty");
  CallOpts o = opts_of(env, info[1]);
  return Start(info, "gocoffee.admin.createTopics", op_create_topics(std::move(topics), o.validate_only), o.timeout_ms);
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
