// Shared by the admin operations (admin-ops.cc: consumer groups; admin-ops-topics.cc: configs,
// offsets, topics). Internal to gocoffee_admin.node; plain C++, no JS.
#pragma once

#include <rdkafka.h>

#include <functional>
#include <memory>
#include <vector>

#include "admin.h"

namespace gocoffee {
namespace ops {

struct EventDel {
  void operator()(rd_kafka_event_t *e) const noexcept { rd_kafka_event_destroy(e); }
};
struct OptionsDel {
  void operator()(rd_kafka_AdminOptions_t *o) const noexcept { rd_kafka_AdminOptions_destroy(o); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDel>;
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDel>;

// An array of librdkafka request objects destroyed together (DeleteGroup_t*, ConfigResource_t*, ...).
template <typename T, void (*Destroy)(T *)>
struct OwnedArray {
  std::vector<T *> items;
  OwnedArray() = default;
  OwnedArray(const OwnedArray &) = delete;
  OwnedArray &operator=(const OwnedArray &) = delete;
  ~OwnedArray() {
    for (T *t : items)
      if (t) Destroy(t);
  }
};

// Margin over the request timeout: librdkafka times the request out itself and then emits the
// result event with ERR__TIMED_OUT; the poll waits a little longer so that event is what reports.
constexpr int POLL_MARGIN_MS = 5000;

struct Flags {
  bool validate_only = false;
  bool read_committed = false;
  bool operation_timeout = false;  // CreateTopics / CreatePartitions / DeleteTopics: wait for the controller too
  const std::vector<int> *states = nullptr;  // ListConsumerGroups: only groups in these states
};

// Options + private queue; `call` enqueues the request; returns the result event, or nullptr with
// out.code / out.message set (a bad option, no result in time, or a request-level error).
EventPtr await_result(rd_kafka_t *rk, rd_kafka_admin_op_t api, int timeout_ms, const Flags &flags,
                      const std::function<void(const rd_kafka_AdminOptions_t *, rd_kafka_queue_t *)> &call,
                      OpResult &out);
// {code, name, message} of an rd_kafka_error_t, or null.
Val error_of(const rd_kafka_error_t *e);
// A topic-partition list as [{topic, partition, offset, metadata?, error?}].
Val partitions_val(const rd_kafka_topic_partition_list_t *l, bool with_offsets);
TplPtr tpl_of(const std::vector<TopicPartitionIn> &in, bool with_offsets);
// [{topic, error?}] of topic results (CreateTopics, DeleteTopics, CreatePartitions).
Val topic_results(const rd_kafka_topic_result_t **res, size_t n);

}  // namespace ops
}  // namespace gocoffee
