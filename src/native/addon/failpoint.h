// Test-only failpoints. GOCOFFEE_TEST_FAILPOINTS (comma-separated entries) makes the named
// AsyncWorker's Execute throw, as a std::bad_alloc inside it would, so the tests reach each
// worker's OnError path against the real broker (test/integration/native/worker-errors.test.ts).
// An entry is `name` (every call throws) or `name+N` (the first N calls run, the later ones throw).
// The variable is read once per process, by failpoints_init() in the Init of the first addon that
// loads (JS thread, before any worker can run: the three addons share the one parsed list, a
// STB_GNU_UNIQUE symbol); workers only read the parsed entries (and count calls atomically). Unset (always, outside those tests): one empty-vector check per worker call,
// nothing on the produce or consume path.
//
// Names: admin.op (OpWorker), producer.metadata (MetadataWorker), producer.flush (FlushWorker),
// producer.txn (TxnWorker), consumer.task (the consumer's Task: metadata, committed, commitWait,
// seek, offsetsForTimes, queryWatermarkOffsets), consumer.close (the consumer's close worker, where
// it records a revoke it applied: Consumer::on_rebalance).
#pragma once

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gocoffee {

struct Failpoint {
  std::string name;
  long skip = 0;                 // calls that run before the first one that throws
  std::atomic<long> calls{0};
};

// Parsed once (a thread-safe function-local static), also when an addon loads again in a worker
// thread: the entries never change after that, so workers read them without locks. Never
// destroyed: a threadpool thread may still be inside failpoint() while the process exits.
inline const std::vector<std::unique_ptr<Failpoint>> &failpoints_list() {
  static const auto *list = [] {
    auto *out = new std::vector<std::unique_ptr<Failpoint>>();
    const char *v = std::getenv("GOCOFFEE_TEST_FAILPOINTS");
    if (v == nullptr) return out;
    const std::string all(v);
    size_t at = 0;
    while (at <= all.size()) {
      size_t end = all.find(',', at);
      if (end == std::string::npos) end = all.size();
      const std::string entry = all.substr(at, end - at);
      if (!entry.empty()) {
        auto fp = std::make_unique<Failpoint>();
        const size_t plus = entry.find('+');
        fp->name = entry.substr(0, plus);
        if (plus != std::string::npos) fp->skip = std::strtol(entry.c_str() + plus + 1, nullptr, 10);
        out->push_back(std::move(fp));
      }
      at = end + 1;
    }
    return out;
  }();
  return *list;
}

// Called from each addon's Init (JS thread, module load): reads the variable before any worker runs.
inline void failpoints_init() { (void)failpoints_list(); }

// Throws std::runtime_error("failpoint <name>") when `name` is listed (and its first N calls ran).
inline void failpoint(const char *name) {
  const auto &list = failpoints_list();
  if (list.empty()) return;
  for (const auto &fp : list) {
    if (fp->name != name) continue;
    if (fp->calls.fetch_add(1) >= fp->skip) throw std::runtime_error(std::string("failpoint ") + name);
  }
}

}  // namespace gocoffee
