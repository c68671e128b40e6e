// Spike addon entry point: exports Producer, Consumer and the librdkafka version actually loaded.
#include <napi.h>
#include <rdkafka.h>

#include "classes.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  spike::Producer::Init(env, exports);
  spike::Consumer::Init(env, exports);
  exports.Set("librdkafkaVersion", rd_kafka_version_str());
  return exports;
}

NODE_API_MODULE(spike, Init)
