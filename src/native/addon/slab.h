// A consumed batch packed for JS: one byte area (keys, values, header names and values back to
// back) and three typed tables. Layout shared with src/native/batch-consumer.ts (Slab, SlabMessage):
//   meta  Int32Array,   META_STRIDE per message: topic index, partition, key off, key len (-1 null),
//         value off, value len (-1 null), first header record, header count, error code, ts type
//   pos   Float64Array, 2 per message: offset, timestamp (ms; exact below 2^53)
//   hdrs  Int32Array,   4 per header: name off, name len, value off, value len (-1 null)
//   topics string[]     names indexed by meta[topic index] (usually one)
#pragma once

#include <rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gocoffee {

constexpr int META_STRIDE = 10;
enum MetaField { M_TOPIC, M_PARTITION, M_KEY_OFF, M_KEY_LEN, M_VAL_OFF, M_VAL_LEN, M_HDR_START, M_HDR_COUNT, M_ERR, M_TS_TYPE };
constexpr int POS_STRIDE = 2;
constexpr int HDR_STRIDE = 4;

struct SlabSize {
  size_t bytes = 0;
  size_t headers = 0;
};

// First pass: how many bytes and header records n messages need.
SlabSize slab_measure(rd_kafka_message_t *const *msgs, size_t n);

// Second pass: copies into caller-provided storage sized by slab_measure (bytes may be null when
// size.bytes == 0). Returns the topic names in index order.
std::vector<std::string> slab_fill(rd_kafka_message_t *const *msgs, size_t n, uint8_t *bytes,
                                   int32_t *meta, double *pos, int32_t *hdrs);

}  // namespace gocoffee
