// The Admin's JS methods: each parses and validates its arguments on the JS thread into plain C++
// inputs (a bad argument throws TypeError / RangeError and starts nothing), then starts its
// operation (admin-ops*.cc) on an OpWorker. See admin.cc for threads and lifetime.
#include "admin.h"

#include <algorithm>

namespace gocoffee {

namespace {

// Upper bounds on an operation's inputs: a runaway caller cannot make one request of any size.
constexpr uint32_t MAX_ITEMS = 100000;
constexpr int DEFAULT_TIMEOUT_MS = 30000;

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

}  // namespace gocoffee
