// RAII owners for librdkafka objects and small helpers shared by the producer and the consumer.
// Everything here is plain C++: no JS values, so it is safe on any thread. Only conf_from_object()
// touches JS (main thread only) and throws Napi::Error.
#pragma once

#include <napi.h>
#include <rdkafka.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <memory>
#include <string>

namespace gocoffee {

struct RkDel {
  void operator()(rd_kafka_t *rk) const noexcept { rd_kafka_destroy(rk); }
};
struct RktDel {
  void operator()(rd_kafka_topic_t *rkt) const noexcept { rd_kafka_topic_destroy(rkt); }
};
struct QueueDel {
  void operator()(rd_kafka_queue_t *q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct ConfDel {
  void operator()(rd_kafka_conf_t *c) const noexcept { rd_kafka_conf_destroy(c); }
};
struct TopicConfDel {
  void operator()(rd_kafka_topic_conf_t *c) const noexcept { rd_kafka_topic_conf_destroy(c); }
};
struct HeadersDel {
  void operator()(rd_kafka_headers_t *h) const noexcept { rd_kafka_headers_destroy(h); }
};
struct MessageDel {
  void operator()(rd_kafka_message_t *m) const noexcept { rd_kafka_message_destroy(m); }
};
struct TplDel {
  void operator()(rd_kafka_topic_partition_list_t *l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct ErrorDel {
  void operator()(rd_kafka_error_t *e) const noexcept { rd_kafka_error_destroy(e); }
};

using RkPtr = std::unique_ptr<rd_kafka_t, RkDel>;
using RktPtr = std::unique_ptr<rd_kafka_topic_t, RktDel>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDel>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDel>;
using TopicConfPtr = std::unique_ptr<rd_kafka_topic_conf_t, TopicConfDel>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDel>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDel>;
using TplPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, TplDel>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDel>;

// Builds a librdkafka configuration from a JS Record<string,string>. Keys starting with "gocoffee."
// are the addon's own options and are skipped here (the caller reads them).
inline ConfPtr conf_from_object(Napi::Env env, const Napi::Object &obj) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string k = keys.Get(i).ToString().Utf8Value();
    if (k.rfind("gocoffee.", 0) == 0) continue;
    std::string v = obj.Get(k).ToString().Utf8Value();
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      throw Napi::Error::New(env, "config " + k + ": " + errstr);
    }
  }
  return conf;
}

inline std::string opt_string(const Napi::Object &obj, const char *key, const char *dflt) {
  Napi::Value v = obj.Get(key);
  return v.IsUndefined() ? std::string(dflt) : v.ToString().Utf8Value();
}

inline int64_t opt_int(const Napi::Object &obj, const char *key, int64_t dflt) {
  Napi::Value v = obj.Get(key);
  return v.IsUndefined() ? dflt : std::stoll(v.ToString().Utf8Value());
}

// Raw view of an ArrayBuffer / TypedArray argument (main thread; pointer valid while the JS value
// is alive and not detached, i.e. for the duration of the call).
struct Bytes {
  uint8_t *data = nullptr;
  size_t len = 0;
};

inline Bytes bytes_of(Napi::Env env, const Napi::Value &v) {
  if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    return {static_cast<uint8_t *>(ab.Data()), ab.ByteLength()};
  }
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto *base = static_cast<uint8_t *>(ta.ArrayBuffer().Data());
    return {base + ta.ByteOffset(), ta.ByteLength()};
  }
  throw Napi::TypeError::New(env, "expected ArrayBuffer or TypedArray");
}

// Copies a vector-like buffer into a new JS typed array (T = int32_t → Int32Array, double → Float64Array).
template <typename T>
Napi::Value typed_copy(Napi::Env env, const T *data, size_t n) {
  auto ab = Napi::ArrayBuffer::New(env, n * sizeof(T));
  if (n) std::memcpy(ab.Data(), data, n * sizeof(T));
  if constexpr (std::is_same_v<T, double>) {
    return Napi::Float64Array::New(env, n, ab, 0);
  } else {
    return Napi::Int32Array::New(env, n, ab, 0);
  }
}

// Calls a JS callback from a libuv callback (not from a JS frame): handle scope, async context so
// that promise continuations run right after (MakeCallback drains the microtask queue), and a
// thrown JS error becomes an uncaught exception instead of a C++ exception escaping into libuv.
inline void call_js(Napi::Env env, Napi::FunctionReference &fn, Napi::AsyncContext &ctx,
                    const std::initializer_list<napi_value> &args) {
  Napi::HandleScope scope(env);
  try {
    fn.MakeCallback(env.Global(), args, ctx);
  } catch (const Napi::Error &e) {
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace gocoffee
