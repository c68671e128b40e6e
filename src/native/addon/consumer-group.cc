// The consumer's JS methods for membership and partitions: subscribe, fetching on and off, pause /
// resume, explicit assignments, the group's metadata. All on the JS thread (see consumer.cc for the
// threading model); the blocking queries and commits are in consumer-offsets.cc.
#include "consumer.h"

#include <memory>

namespace gocoffee {

Napi::Value Consumer::Subscribe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "subscribe");
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "subscribe(topics: string[])");
  auto arr = info[0].As<Napi::Array>();
  TplPtr tpl(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++)
    rd_kafka_topic_partition_list_add(tpl.get(), arr.Get(i).ToString().Utf8Value().c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "subscribe");
  subscribed_ = true;
  return env.Undefined();
}

Napi::Value Consumer::Unsubscribe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "unsubscribe");
  rd_kafka_resp_err_t err = rd_kafka_unsubscribe(rk_.get());
  if (err) throw rk_error(env, err, "unsubscribe");
  return env.Undefined();
}

// start(): hand messages to JS (one batch call per slab) until stop().
Napi::Value Consumer::Start(const Napi::CallbackInfo &info) {
  if (!closing_.load() && !fetching_) {
    fetching_ = true;
    waker_->kick();
  }
  return info.Env().Undefined();
}

Napi::Value Consumer::Stop(const Napi::CallbackInfo &info) {
  fetching_ = false;
  return info.Env().Undefined();
}

Napi::Value Consumer::SetRoom(const Napi::CallbackInfo &info) {
  double r = info[0].ToNumber().DoubleValue();
  room_ = r < 1 ? 1 : (r > static_cast<double>(batch_max_) ? batch_max_ : static_cast<size_t>(r));
  return info.Env().Undefined();
}

Napi::Value Consumer::Pause(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_pause_partitions(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "pause");
  return env.Undefined();
}

Napi::Value Consumer::Resume(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_resume_partitions(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "resume");
  waker_->kick();  // the queue may be non-empty already: librdkafka will not signal again
  return env.Undefined();
}

// Explicit assignments (the rebalance callback already applied the group's assignment).
Napi::Value Consumer::Assign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "assign");
  TplPtr tpl = tpl_from_js(env, info[0]);
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), tpl.get());
  if (err) throw rk_error(env, err, "assign");
  return env.Undefined();
}

Napi::Value Consumer::IncrementalAssign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "incrementalAssign");
  TplPtr tpl = tpl_from_js(env, info[0]);
  ErrorPtr e(rd_kafka_incremental_assign(rk_.get(), tpl.get()));
  if (e) throw rk_error(env, rd_kafka_error_code(e.get()), "incrementalAssign");
  return env.Undefined();
}

// The end of a revoke JS was told about (after its bounded wait and commit). No-op once closing:
// the close worker finished it.
Napi::Value Consumer::Unassign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  pending_revoke_.reset();
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), nullptr);
  if (err) throw rk_error(env, err, "unassign");
  return env.Undefined();
}

Napi::Value Consumer::IncrementalUnassign(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return env.Undefined();
  TplPtr tpl = tpl_from_js(env, info[0]);
  pending_revoke_.reset();
  ErrorPtr e(rd_kafka_incremental_unassign(rk_.get(), tpl.get()));
  if (e) throw rk_error(env, rd_kafka_error_code(e.get()), "incrementalUnassign");
  return env.Undefined();
}

Napi::Value Consumer::Assignments(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return Napi::Array::New(env);
  rd_kafka_topic_partition_list_t *raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &raw);
  TplPtr tpl(raw);
  if (err) throw rk_error(env, err, "assignments");
  return tpl_to_js(env, tpl.get(), false);
}

Napi::Value Consumer::RebalanceProtocol(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closing_.load()) return Napi::String::New(env, cooperative_.load() ? "COOPERATIVE" : "NONE");
  const char *p = rd_kafka_rebalance_protocol(rk_.get());
  return Napi::String::New(env, p ? p : "NONE");
}

// groupMetadata() → Buffer: the consumer's group metadata (group id, generation, member id)
// serialised by librdkafka, for a transactional producer's sendOffsetsToTransaction (the other
// addon reads it back with rd_kafka_consumer_group_metadata_read). librdkafka returns metadata for
// any consumer with a group.id, joined or not (generation -1 and an empty member id before it
// joined: a transaction would be fenced with it); null only when it returns none.
Napi::Value Consumer::GroupMetadata(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  check_open(env, "groupMetadata");
  struct CgmdDel {
    void operator()(rd_kafka_consumer_group_metadata_t *m) const noexcept { rd_kafka_consumer_group_metadata_destroy(m); }
  };
  std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDel> md(rd_kafka_consumer_group_metadata(rk_.get()));
  if (!md) return env.Null();
  void *buf = nullptr;
  size_t size = 0;
  ErrorPtr error(rd_kafka_consumer_group_metadata_write(md.get(), &buf, &size));
  if (error) throw rk_error(env, rd_kafka_error_code(error.get()), "groupMetadata");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, static_cast<uint8_t *>(buf), size);
  rd_kafka_mem_free(nullptr, buf);
  return out;
}

}  // namespace gocoffee
