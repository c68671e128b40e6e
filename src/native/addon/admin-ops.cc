// The admin operations of gocoffee_admin.node (consumer groups here, the rest in
// admin-ops-topics.cc) and what they share. Each one runs on a libuv work thread: it builds
// librdkafka's request objects from the plain C++ inputs it captured (owned by RAII holders and
// destroyed before it returns; librdkafka copies what it keeps), enqueues the request with a
// private result queue, waits for the result event (bounded by the request timeout, which
// librdkafka enforces itself, plus a margin) and copies the result into a Val tree. No JS here.
#include "admin-ops.h"

namespace gocoffee {

namespace ops {

EventPtr await_result(rd_kafka_t *rk, rd_kafka_admin_op_t api, int timeout_ms, const Flags &flags,
                      const std::function<void(const rd_kafka_AdminOptions_t *, rd_kafka_queue_t *)> &call,
                      OpResult &out) {
  QueuePtr q(rd_kafka_queue_new(rk));
  OptionsPtr opts(rd_kafka_AdminOptions_new(rk, api));
  char errstr[512] = {0};
  rd_kafka_resp_err_t err = rd_kafka_AdminOptions_set_request_timeout(opts.get(), timeout_ms, errstr, sizeof(errstr));
  if (!err && flags.operation_timeout)
    err = rd_kafka_AdminOptions_set_operation_timeout(opts.get(), timeout_ms, errstr, sizeof(errstr));
  if (!err && flags.validate_only) err = rd_kafka_AdminOptions_set_validate_only(opts.get(), 1, errstr, sizeof(errstr));
  if (err) {
    out.code = err;
    out.message = errstr;
    return nullptr;
  }
  if (flags.states && !flags.states->empty()) {
    std::vector<rd_kafka_consumer_group_state_t> st;
    for (int s : *flags.states) st.push_back(static_cast<rd_kafka_consumer_group_state_t>(s));
    ErrorPtr e(rd_kafka_AdminOptions_set_match_consumer_group_states(opts.get(), st.data(), st.size()));
    if (e) {
      out.code = rd_kafka_error_code(e.get());
      out.message = rd_kafka_error_string(e.get());
      return nullptr;
    }
  }
  if (flags.read_committed) {
    ErrorPtr e(rd_kafka_AdminOptions_set_isolation_level(opts.get(), RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED));
    if (e) {
      out.code = rd_kafka_error_code(e.get());
      out.message = rd_kafka_error_string(e.get());
      return nullptr;
    }
  }
  call(opts.get(), q.get());
  EventPtr ev(rd_kafka_queue_poll(q.get(), timeout_ms + POLL_MARGIN_MS));
  if (!ev) {
    out.code = RD_KAFKA_RESP_ERR__TIMED_OUT;
    out.message = "no admin result within the request timeout";
    return nullptr;
  }
  if (rd_kafka_event_error(ev.get())) {
    out.code = rd_kafka_event_error(ev.get());
    const char *s = rd_kafka_event_error_string(ev.get());
    out.message = s ? s : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(out.code));
    return nullptr;
  }
  return ev;
}

Val error_of(const rd_kafka_error_t *e) {
  return e ? error_val(rd_kafka_error_code(e), rd_kafka_error_string(e)) : Val::null();
}

Val partitions_val(const rd_kafka_topic_partition_list_t *l, bool with_offsets) {
  Val a = Val::arr();
  if (!l) return a;
  for (int i = 0; i < l->cnt; i++) {
    const rd_kafka_topic_partition_t &p = l->elems[i];
    Val o = Val::obj().set("topic", Val::str(p.topic)).set("partition", Val::num(p.partition));
    if (with_offsets) {
      o.set("offset", Val::num(static_cast<double>(p.offset)));
      o.set("metadata", p.metadata && p.metadata_size > 0
                            ? Val::str(std::string(static_cast<const char *>(p.metadata), p.metadata_size).c_str())
                            : Val::null());
      o.set("error", p.err ? error_val(p.err, rd_kafka_err2str(p.err)) : Val::null());
    }
    a.push(std::move(o));
  }
  return a;
}

TplPtr tpl_of(const std::vector<TopicPartitionIn> &in, bool with_offsets) {
  TplPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(in.size())));
  for (const auto &p : in) {
    rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_add(l.get(), p.topic.c_str(), p.partition);
    if (with_offsets) e->offset = p.offset;
  }
  return l;
}

Val topic_results(const rd_kafka_topic_result_t **res, size_t n) {
  Val a = Val::arr();
  for (size_t i = 0; i < n; i++) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    const char *s = rd_kafka_topic_result_error_string(res[i]);
    a.push(Val::obj()
               .set("topic", Val::str(rd_kafka_topic_result_name(res[i])))
               .set("error", err ? error_val(err, s ? s : rd_kafka_err2str(err)) : Val::null()));
  }
  return a;
}

}  // namespace ops

using namespace ops;

namespace {

Val node_val(const rd_kafka_Node_t *n) {
  if (!n) return Val::null();
  return Val::obj()
      .set("id", Val::num(rd_kafka_Node_id(n)))
      .set("host", Val::str(rd_kafka_Node_host(n)))
      .set("port", Val::num(rd_kafka_Node_port(n)));
}

// [{groupId, error?, partitions}] of group results (DeleteGroups, List/AlterConsumerGroupOffsets).
Val group_results(const rd_kafka_group_result_t **res, size_t n) {
  Val a = Val::arr();
  for (size_t i = 0; i < n; i++) {
    a.push(Val::obj()
               .set("groupId", Val::str(rd_kafka_group_result_name(res[i])))
               .set("error", error_of(rd_kafka_group_result_error(res[i])))
               .set("partitions", partitions_val(rd_kafka_group_result_partitions(res[i]), true)));
  }
  return a;
}

}  // namespace

Val error_val(int code, const char *message) {
  if (code == 0) return Val::null();
  return Val::obj()
      .set("code", Val::num(code))
      .set("name", Val::str(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code))))
      .set("message", Val::str(message ? message : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code))));
}

// ---- consumer groups --------------------------------------------------------------------------

OpFn op_list_groups(std::vector<int> states) {
  return [states = std::move(states)](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    Flags f;
    f.states = &states;
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms, f, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_ListConsumerGroups(rk, o, q);
    }, out);
    if (!ev) return;
    const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev.get());
    size_t n = 0, ne = 0;
    const rd_kafka_ConsumerGroupListing_t **gs = rd_kafka_ListConsumerGroups_result_valid(r, &n);
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(r, &ne);
    Val groups = Val::arr(), errors = Val::arr();
    for (size_t i = 0; i < n; i++) {
      groups.push(Val::obj()
                      .set("groupId", Val::str(rd_kafka_ConsumerGroupListing_group_id(gs[i])))
                      .set("isSimple", Val::boolean(rd_kafka_ConsumerGroupListing_is_simple_consumer_group(gs[i]) != 0))
                      .set("state", Val::str(rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(gs[i]))))
                      .set("type", Val::str(rd_kafka_consumer_group_type_name(rd_kafka_ConsumerGroupListing_type(gs[i])))));
    }
    for (size_t i = 0; i < ne; i++) errors.push(error_of(errs[i]));
    out.value = Val::obj().set("groups", std::move(groups)).set("errors", std::move(errors));
  };
}

OpFn op_describe_groups(std::vector<std::string> groups) {
  return [groups = std::move(groups)](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    std::vector<const char *> names;
    for (const auto &g : groups) names.push_back(g.c_str());
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms, {}, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_DescribeConsumerGroups(rk, names.data(), names.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **ds =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
    Val a = Val::arr();
    for (size_t i = 0; i < n; i++) {
      const rd_kafka_ConsumerGroupDescription_t *d = ds[i];
      Val members = Val::arr();
      size_t mc = rd_kafka_ConsumerGroupDescription_member_count(d);
      for (size_t j = 0; j < mc; j++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, j);
        const rd_kafka_MemberAssignment_t *as = rd_kafka_MemberDescription_assignment(m);
        members.push(Val::obj()
                         .set("memberId", Val::str(rd_kafka_MemberDescription_consumer_id(m)))
                         .set("clientId", Val::str(rd_kafka_MemberDescription_client_id(m)))
                         .set("groupInstanceId", Val::str(rd_kafka_MemberDescription_group_instance_id(m)))
                         .set("host", Val::str(rd_kafka_MemberDescription_host(m)))
                         .set("assignment", partitions_val(as ? rd_kafka_MemberAssignment_partitions(as) : nullptr, false)));
      }
      a.push(Val::obj()
                 .set("groupId", Val::str(rd_kafka_ConsumerGroupDescription_group_id(d)))
                 .set("error", error_of(rd_kafka_ConsumerGroupDescription_error(d)))
                 .set("isSimple", Val::boolean(rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0))
                 .set("assignor", Val::str(rd_kafka_ConsumerGroupDescription_partition_assignor(d)))
                 .set("state", Val::str(rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d))))
                 .set("type", Val::str(rd_kafka_consumer_group_type_name(rd_kafka_ConsumerGroupDescription_type(d))))
                 .set("coordinator", node_val(rd_kafka_ConsumerGroupDescription_coordinator(d)))
                 .set("members", std::move(members)));
    }
    out.value = std::move(a);
  };
}

OpFn op_delete_groups(std::vector<std::string> groups) {
  return [groups = std::move(groups)](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    OwnedArray<rd_kafka_DeleteGroup_t, rd_kafka_DeleteGroup_destroy> del;
    for (const auto &g : groups) del.items.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    EventPtr ev = await_result(rk, RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout_ms, {}, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      rd_kafka_DeleteGroups(rk, del.items.data(), del.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_group_result_t **res = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &n);
    out.value = group_results(res, n);
  };
}

// List and AlterConsumerGroupOffsets differ only in librdkafka's names: one request object per
// group (librdkafka takes one group per request), a partition list, [group result] back.
namespace {

struct ListOffsetsApi {
  using Req = rd_kafka_ListConsumerGroupOffsets_t;
  static constexpr rd_kafka_admin_op_t op = RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS;
  static constexpr auto make = rd_kafka_ListConsumerGroupOffsets_new;
  static constexpr auto destroy = rd_kafka_ListConsumerGroupOffsets_destroy;
  static constexpr auto request = rd_kafka_ListConsumerGroupOffsets;
  static constexpr auto result = rd_kafka_event_ListConsumerGroupOffsets_result;
  static constexpr auto groups = rd_kafka_ListConsumerGroupOffsets_result_groups;
};

struct AlterOffsetsApi {
  using Req = rd_kafka_AlterConsumerGroupOffsets_t;
  static constexpr rd_kafka_admin_op_t op = RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS;
  static constexpr auto make = rd_kafka_AlterConsumerGroupOffsets_new;
  static constexpr auto destroy = rd_kafka_AlterConsumerGroupOffsets_destroy;
  static constexpr auto request = rd_kafka_AlterConsumerGroupOffsets;
  static constexpr auto result = rd_kafka_event_AlterConsumerGroupOffsets_result;
  static constexpr auto groups = rd_kafka_AlterConsumerGroupOffsets_result_groups;
};

// `all`: no partition list (every partition the group committed; List only). `with_offsets`: the
// list carries the offsets to commit (Alter).
template <typename Api>
OpFn group_offsets_op(std::string group, std::vector<TopicPartitionIn> partitions, bool all, bool with_offsets) {
  return [group = std::move(group), partitions = std::move(partitions), all, with_offsets](rd_kafka_t *rk, int timeout_ms, OpResult &out) {
    TplPtr tpl = all ? TplPtr() : tpl_of(partitions, with_offsets);
    OwnedArray<typename Api::Req, Api::destroy> req;
    req.items.push_back(Api::make(group.c_str(), tpl.get()));
    EventPtr ev = await_result(rk, Api::op, timeout_ms, {}, [&](const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q) {
      Api::request(rk, req.items.data(), req.items.size(), o, q);
    }, out);
    if (!ev) return;
    size_t n = 0;
    const rd_kafka_group_result_t **res = Api::groups(Api::result(ev.get()), &n);
    out.value = group_results(res, n);
  };
}

}  // namespace

OpFn op_list_group_offsets(std::string group, std::vector<TopicPartitionIn> partitions, bool all) {
  return group_offsets_op<ListOffsetsApi>(std::move(group), std::move(partitions), all, false);
}

OpFn op_alter_group_offsets(std::string group, std::vector<TopicPartitionIn> offsets) {
  return group_offsets_op<AlterOffsetsApi>(std::move(group), std::move(offsets), false, true);
}

}  // namespace gocoffee
