// The admin operations on configs, offsets and topics (see admin-ops.cc for how they run).
#include "admin-ops.h"

namespace gocoffee {

using namespace ops;

namespace {
Val resource_head(const rd_kafka_ConfigResource_t *r) {
  rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(r);
  const char *s = rd_kafka_ConfigResource_error_string(r);
  return Val::obj()
      .set("type", Val::str(rd_kafka_ResourceType_name(rd_kafka_ConfigResource_type(r))))
      .set("name", Val::str(rd_kafka_ConfigResource_name(r)))
      .set("error", err ? error_val(err, s ? s : rd_kafka_err2str(err)) : Val::null());
}
}  // namespace

OpFn op_describe_configs(std::vector<ResourceIn> resources) {
  return [resources = std::move(resources)](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy> req;
    for (const auto &r : resources)
      req.items.push_back(rd_kafka_ConfigResource_new(static_cast<rd_kafka_ResourceType_t>(r.type), r.name.c_str()));
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms, {}, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_DescribeConfigs(rk, req.items.data(), req.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
    Val a = Val::arr();
    for (size_t i = 0; i < n; i++) {
      Val r = resource_head(rs[i]);
      Val configs = Val::arr();
      size_t nc = 0;
      const rd_kafka_ConfigEntry_t **es = rd_kafka_ConfigResource_configs(rs[i], &nc);
      for (size_t j = 0; j < nc; j++) {
        const rd_kafka_ConfigEntry_t *e = es[j];
        configs.push(Val::obj()
                         .set("name", Val::str(rd_kafka_ConfigEntry_name(e)))
                         .set("value", Val::str(rd_kafka_ConfigEntry_value(e)))  // null when sensitive or unset
                         .set("source", Val::str(rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e))))
                         .set("isDefault", Val::boolean(rd_kafka_ConfigEntry_is_default(e) != 0))
                         .set("isSensitive", Val::boolean(rd_kafka_ConfigEntry_is_sensitive(e) != 0))
                         .set("readOnly", Val::boolean(rd_kafka_ConfigEntry_is_read_only(e) != 0)));
      }
      r.set("configs", std::move(configs));
      a.push(std::move(r));
    }
    out.value = std::move(a);
  };
}

OpFn op_incremental_alter_configs(std::vector<ResourceIn> resources, bool validate_only) {
  return [resources = std::move(resources), validate_only](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy> req;
    for (const auto &r : resources) {
      rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(static_cast<rd_kafka_ResourceType_t>(r.type), r.name.c_str());
      req.items.push_back(cr);
      for (const auto &op : r.ops) {
        ErrorPtr e(rd_kafka_ConfigResource_add_incremental_config(cr, op.name.c_str(), static_cast<rd_kafka_AlterConfigOpType_t>(op.op),
                                                                  op.op == RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE ? nullptr : op.value.c_str()));
        if (e) {
          out.code = rd_kafka_error_code(e.get());
          out.message = std::string(op.name) + ": " + rd_kafka_error_string(e.get());
          return;
        }
      }
    }
    Flags f;
    f.validate_only = validate_only;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_IncrementalAlterConfigs(rk, req.items.data(), req.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_IncrementalAlterConfigs_result_resources(rd_kafka_event_IncrementalAlterConfigs_result(ev.get()), &n);
    Val a = Val::arr();
    for (size_t i = 0; i < n; i++) a.push(resource_head(rs[i]));
    out.value = std::move(a);
  };
}

OpFn op_list_offsets(std::vector<TopicPartitionIn> partitions, bool read_committed) {
  return [partitions = std::move(partitions), read_committed](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    TplPtr tpl = tpl_of(partitions, true);
    Flags f;
    f.read_committed = read_committed;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_LISTOFFSETS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_ListOffsets(rk, tpl.get(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_ListOffsetsResultInfo_t **infos = rd_kafka_ListOffsets_result_infos(rd_kafka_event_ListOffsets_result(ev.get()), &n);
    Val a = Val::arr();
    for (size_t i = 0; i < n; i++) {
      const rd_kafka_topic_partition_t *p = rd_kafka_ListOffsetsResultInfo_topic_partition(infos[i]);
      a.push(Val::obj()
                 .set("topic", Val::str(p->topic))
                 .set("partition", Val::num(p->partition))
                 .set("offset", Val::num(static_cast<double>(p->offset)))
                 .set("timestamp", Val::num(static_cast<double>(rd_kafka_ListOffsetsResultInfo_timestamp(infos[i]))))
                 .set("error", p->err ? error_val(p->err, rd_kafka_err2str(p->err)) : Val::null()));
    }
    out.value = std::move(a);
  };
}

OpFn op_delete_topics(std::vector<std::string> topics) {
  return [topics = std::move(topics)](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy> del;
    for (const auto &t : topics) del.items.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    Flags f;
    f.operation_timeout = true;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_DeleteTopics(rk, del.items.data(), del.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
    out.value = topic_results(res, n);
  };
}

OpFn op_create_partitions(std::vector<PartitionsIn> topics, bool validate_only) {
  return [topics = std::move(topics), validate_only](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_NewPartitions_t, rd_kafka_NewPartitions_destroy> req;
    char errstr[512] = {0};
    for (const auto &t : topics) {
      rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(t.topic.c_str(), static_cast<size_t>(t.total), errstr, sizeof(errstr));
      if (!np) {
        out.code = RD_KAFKA_RESP_ERR__INVALID_ARG;
        out.message = t.topic + ": " + errstr;
        return;
      }
      req.items.push_back(np);
    }
    Flags f;
    f.operation_timeout = true;
    f.validate_only = validate_only;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_CreatePartitions(rk, req.items.data(), req.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev.get()), &n);
    out.value = topic_results(res, n);
  };
}

OpFn op_create_topics(std::vector<NewTopicIn> topics, bool validate_only) {
  return [topics = std::move(topics), validate_only](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy> req;
    char errstr[512] = {0};
    for (const auto &t : topics) {
      rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(t.topic.c_str(), t.partitions, t.replication_factor, errstr, sizeof(errstr));
      if (!nt) {
        out.code = RD_KAFKA_RESP_ERR__INVALID_ARG;
        out.message = t.topic + ": " + errstr;
        return;
      }
      req.items.push_back(nt);
      for (const auto &c : t.configs) {
        rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(nt, c.first.c_str(), c.second.c_str());
        if (err) {
          out.code = err;
          out.message = t.topic + ": " + c.first + ": " + rd_kafka_err2str(err);
          return;
        }
      }
    }
    Flags f;
    f.operation_timeout = true;
    f.validate_only = validate_only;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_CreateTopics(rk, req.items.data(), req.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
    out.value = topic_results(res, n);
  };
}

}  // namespace gocoffee
