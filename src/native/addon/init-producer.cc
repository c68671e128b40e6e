// Entry point of gocoffee_producer.node: the batch producer and the librdkafka version it linked.
#include <napi.h>
#include <rdkafka.h>

#include "producer.h"
#include "failpoint.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gocoffee::failpoints_init();  // test-only (failpoint.h)
  gocoffee::Producer::Init(env, exports);
  exports.Set("librdkafkaVersion", rd_kafka_version_str());
  // errorString(code): librdkafka's text for a code (delivery reports carry codes only).
  exports.Set("errorString", Napi::Function::New(env, [](const Napi::CallbackInfo &info) -> Napi::Value {
    int code = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    return Napi::String::New(info.Env(), rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code)));
  }));
  return exports;
}

NODE_API_MODULE(gocoffee_producer, Init)
