// The admin client (JS class Admin): see admin.cc and binding-notes/admin.md.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oauth.h"
#include "rk.h"

namespace gocoffee {

// A plain C++ value tree: what an admin operation's result is copied into on the work thread
// (librdkafka's result objects live only as long as their event), turned into JS in OnOK. Holds no
// JS value, so it may be built on any thread.
struct Val {
  enum Kind { Null, Bool, Num, Str, Arr, Obj } kind = Null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Val> items;                           // Arr
  std::vector<std::pair<std::string, Val>> fields;  // Obj

  static Val null() { return Val(); }
  static Val boolean(bool v) {
    Val x;
    x.kind = Bool;
    x.b = v;
    return x;
  }
  static Val num(double v) {
    Val x;
    x.kind = Num;
    x.n = v;
    return x;
  }
  static Val str(const char *v) {  // NULL → null
    if (!v) return Val();
    Val x;
    x.kind = Str;
    x.s = v;
    return x;
  }
  static Val arr() {
    Val x;
    x.kind = Arr;
    return x;
  }
  static Val obj() {
    Val x;
    x.kind = Obj;
    return x;
  }
  Val &set(const char *k, Val v) {
    fields.emplace_back(k, std::move(v));
    return *this;
  }
  Val &push(Val v) {
    items.push_back(std::move(v));
    return *this;
  }
};

// {code, name, message} of a librdkafka error (per item of a result), or null when code is 0.
Val error_val(int code, const char *message);

// What an operation reports: a request-level error (code != 0: the promise rejects) or a value.
struct OpResult {
  int code = 0;
  std::string message;
  Val value;
};

// One admin operation, run on a libuv work thread with the handle: builds librdkafka's request
// from plain C++ inputs it captured, waits for the result event on a private queue, copies it.
using OpFn = std::function<void(rd_kafka_t *rk, int timeout_ms, OpResult &out)>;

// The handle is shared by the Admin object and every operation running on a work thread, so that
// it outlives both whatever order they end in; rd_kafka_destroy runs where the last owner lets go
// (close's worker, the last operation's work thread, or the thread a finalizer hands the Admin's
// share to; never the JS thread, never a librdkafka thread).
using SharedRk = std::shared_ptr<rd_kafka_t>;

class Admin : public Napi::ObjectWrap<Admin> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Admin(const Napi::CallbackInfo &info);
  ~Admin() override;

  void op_done();  // JS thread: an operation's worker finished
  // OAUTHBEARER (oauth.h): the hook its refresh callback reaches (null without gocoffee.oauthbearer).
  OAuthBearer *oauth() { return oauth_.get(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo &info, const char *name, OpFn fn, int timeout_ms);
  Napi::Value ListGroups(const Napi::CallbackInfo &info);
  Napi::Value DescribeGroups(const Napi::CallbackInfo &info);
  Napi::Value DeleteGroups(const Napi::CallbackInfo &info);
  Napi::Value ListGroupOffsets(const Napi::CallbackInfo &info);
  Napi::Value AlterGroupOffsets(const Napi::CallbackInfo &info);
  Napi::Value DescribeConfigs(const Napi::CallbackInfo &info);
  Napi::Value IncrementalAlterConfigs(const Napi::CallbackInfo &info);
  Napi::Value ListOffsets(const Napi::CallbackInfo &info);
  Napi::Value DeleteTopics(const Napi::CallbackInfo &info);
  Napi::Value CreatePartitions(const Napi::CallbackInfo &info);
  Napi::Value CreateTopics(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerToken(const Napi::CallbackInfo &info);
  Napi::Value SetOAuthBearerTokenFailure(const Napi::CallbackInfo &info);
  void on_oauth_wanted();  // JS thread: librdkafka asked for a new token
  void release_oauth();    // JS thread (the finalizer): frees the hook and the handler
  void start_destroy();

  SharedRk rk_;
  bool closing_ = false;
  int running_ = 0;  // operations in flight
  // close(): the deferred settles the promise (its napi_deferred stays valid until then); the
  // promise itself is kept in a persistent reference, since the napi_value a Deferred holds is only
  // valid inside the call that created it, and every later close() returns that same promise.
  std::unique_ptr<Napi::Promise::Deferred> close_deferred_;
  Napi::Reference<Napi::Promise> close_promise_;
  // OAUTHBEARER with tokens from JS (gocoffee.oauthbearer = "1"): the refresh request handler (new
  // Admin's 2nd argument, optional) and the hook serving the handle's SASL queue on the JS thread.
  // Both are released on the JS thread (close(), or the finalizer) before the handle is let go of.
  Napi::FunctionReference on_oauth_;
  std::unique_ptr<Napi::AsyncContext> async_ctx_;
  std::unique_ptr<OAuthBearer> oauth_;
};

// ---- operations (admin-ops.cc, admin-ops-topics.cc): inputs are plain C++, parsed and validated on the JS thread ----

struct TopicPartitionIn {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // alter: the offset to commit; listOffsets: -1 latest, -2 earliest, -3 max timestamp, >= 0 a timestamp
};
struct ConfigOpIn {
  std::string name;
  int op = 0;  // rd_kafka_AlterConfigOpType_t
  std::string value;
};
struct ResourceIn {
  int type = 0;  // rd_kafka_ResourceType_t
  std::string name;
  std::vector<ConfigOpIn> ops;
};
struct PartitionsIn {
  std::string topic;
  int32_t total = 0;
};
struct NewTopicIn {
  std::string topic;
  int32_t partitions = 0;          // -1: the broker's default
  int32_t replication_factor = 0;  // -1: the broker's default
  std::vector<std::pair<std::string, std::string>> configs;
};

OpFn op_list_groups(std::vector<int> states);
OpFn op_describe_groups(std::vector<std::string> groups);
OpFn op_delete_groups(std::vector<std::string> groups);
OpFn op_list_group_offsets(std::string group, std::vector<TopicPartitionIn> partitions, bool all);
OpFn op_alter_group_offsets(std::string group, std::vector<TopicPartitionIn> offsets);
OpFn op_describe_configs(std::vector<ResourceIn> resources);
OpFn op_incremental_alter_configs(std::vector<ResourceIn> resources, bool validate_only);
OpFn op_list_offsets(std::vector<TopicPartitionIn> partitions, bool read_committed);
OpFn op_delete_topics(std::vector<std::string> topics);
OpFn op_create_partitions(std::vector<PartitionsIn> topics, bool validate_only);
OpFn op_create_topics(std::vector<NewTopicIn> topics, bool validate_only);

}  // namespace gocoffee
