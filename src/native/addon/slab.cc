#include "slab.h"

#include <cstring>

namespace gocoffee {

static size_t header_count(rd_kafka_message_t *m, rd_kafka_headers_t **out) {
  *out = nullptr;
  // rd_kafka_message_headers parses lazily and returns ERR__NOENT when there are none.
  if (rd_kafka_message_headers(m, out) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
  return rd_kafka_header_cnt(*out);
}

SlabSize slab_measure(rd_kafka_message_t *const *msgs, size_t n) {
  SlabSize s;
  for (size_t i = 0; i < n; i++) {
    rd_kafka_message_t *m = msgs[i];
    s.bytes += m->key_len + m->len;
    rd_kafka_headers_t *h;
    size_t hc = header_count(m, &h);
    for (size_t j = 0; j < hc; j++) {
      const char *name;
      const void *val;
      size_t vlen;
      if (rd_kafka_header_get_all(h, j, &name, &val, &vlen) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
      s.bytes += std::strlen(name) + (val ? vlen : 0);
      s.headers++;
    }
  }
  return s;
}

std::vector<std::string> slab_fill(rd_kafka_message_t *const *msgs, size_t n, uint8_t *bytes,
                                   int32_t *meta, double *pos, int32_t *hdrs) {
  std::vector<std::string> topics;
  std::vector<rd_kafka_topic_t *> rkts;
  size_t off = 0, hi = 0;
  auto put = [&](const void *p, size_t len) -> int32_t {
    int32_t at = static_cast<int32_t>(off);
    if (len) std::memcpy(bytes + off, p, len);
    off += len;
    return at;
  };
  for (size_t i = 0; i < n; i++) {
    rd_kafka_message_t *m = msgs[i];
    int32_t *r = meta + i * META_STRIDE;
    int32_t ti = -1;
    for (size_t t = 0; t < rkts.size(); t++)
      if (rkts[t] == m->rkt) ti = static_cast<int32_t>(t);
    if (ti < 0 && m->rkt) {
      rkts.push_back(m->rkt);
      topics.emplace_back(rd_kafka_topic_name(m->rkt));
      ti = static_cast<int32_t>(rkts.size() - 1);
    }
    r[M_TOPIC] = ti;
    r[M_PARTITION] = m->partition;
    r[M_KEY_OFF] = put(m->key, m->key ? m->key_len : 0);
    r[M_KEY_LEN] = m->key ? static_cast<int32_t>(m->key_len) : -1;
    r[M_VAL_OFF] = put(m->payload, m->payload ? m->len : 0);
    r[M_VAL_LEN] = m->payload ? static_cast<int32_t>(m->len) : -1;
    r[M_ERR] = m->err;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    r[M_TS_TYPE] = tstype;
    pos[i * POS_STRIDE] = static_cast<double>(m->offset);
    pos[i * POS_STRIDE + 1] = static_cast<double>(ts);
    r[M_HDR_START] = static_cast<int32_t>(hi);
    rd_kafka_headers_t *h;
    size_t hc = header_count(m, &h), got = 0;
    for (size_t j = 0; j < hc; j++) {
      const char *name;
      const void *val;
      size_t vlen;
      if (rd_kafka_header_get_all(h, j, &name, &val, &vlen) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
      int32_t *hr = hdrs + hi * HDR_STRIDE;
      size_t nlen = std::strlen(name);
      hr[0] = put(name, nlen);
      hr[1] = static_cast<int32_t>(nlen);
      hr[2] = put(val, val ? vlen : 0);
      hr[3] = val ? static_cast<int32_t>(vlen) : -1;
      hi++;
      got++;
    }
    r[M_HDR_COUNT] = static_cast<int32_t>(got);
  }
  return topics;
}

}  // namespace gocoffee
