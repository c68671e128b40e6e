// Addon entry point (gocoffee_native): exports Producer, Consumer and the librdkafka version actually loaded.
#include <napi.h>
#include <rdkafka.h>

#include "producer.h"
#include "consumer.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gocoffee::Producer::Init(env, exports);
  gocoffee::Consumer::Init(env, exports);
  exports.Set("librdkafkaVersion", rd_kafka_version_str());
  return exports;
}

NODE_API_MODULE(gocoffee_native, Init)
