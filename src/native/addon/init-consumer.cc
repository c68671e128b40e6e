// Entry point of gocoffee_consumer.node: the batch consumer and the librdkafka version it linked.
#include <napi.h>
#include <rdkafka.h>

#include "consumer.h"
#include "failpoint.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gocoffee::failpoints_init();  // test-only (failpoint.h)
  gocoffee::Consumer::Init(env, exports);
  exports.Set("librdkafkaVersion", rd_kafka_version_str());
  return exports;
}

NODE_API_MODULE(gocoffee_consumer, Init)
