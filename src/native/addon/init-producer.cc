// Entry point of gocoffee_producer.node: the batch producer and the librdkafka version it linked.
#include <napi.h>
#include <rdkafka.h>

#include "producer.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gocoffee::Producer::Init(env, exports);
  exports.Set("librdkafkaVersion", rd_kafka_version_str());
  return exports;
}

NODE_API_MODULE(gocoffee_producer, Init)
