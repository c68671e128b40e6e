# The project's own native batch engine (src/native/addon, binding-notes/engine.md): two addons,
# gocoffee_producer.node and gocoffee_consumer.node, plus the admin client gocoffee_admin.node
# (binding-notes/admin.md), built by
# node-gyp during `npm ci` / `npm install` (package.json "postinstall": after every install script, so node-rdkafka has built librdkafka by then). It links the librdkafka that
# node-rdkafka built (one librdkafka of one version per process) with an $ORIGIN-relative rpath, the
# way node-rdkafka's own binding.gyp does; the path is computed here, so hoisted and nested installs
# both work. GOCOFFEE_ASAN=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer (npm run test:asan).
{
  "variables": {
    "rdkafka_deps%": "<!(node -p \"require('path').resolve(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps')\")",
    "rdkafka_rel%": "<!(node -p \"require('path').relative(require('path').resolve('build/Release'), require('path').resolve(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps'))\")",
    "gocoffee_asan%": "<!(node -p \"process.env.GOCOFFEE_ASAN === '1' ? 1 : 0\")",
  },
  "targets": [
    {
      "target_name": "gocoffee_producer",
      "sources": [
        "src/native/addon/init-producer.cc",
        "src/native/addon/wake.cc",
        "src/native/addon/producer.cc",
        "src/native/addon/producer-ops.cc",
        "src/native/addon/producer-txn.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(rdkafka_deps)/include/librdkafka",
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"],
      "libraries": [
        "<(rdkafka_deps)/librdkafka.so.1",
        "-Wl,-rpath,'$$ORIGIN/<(rdkafka_rel)'",
      ],
      "conditions": [
        ["gocoffee_asan==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"],
        }],
      ],
    },
    {
      "target_name": "gocoffee_consumer",
      "sources": [
        "src/native/addon/init-consumer.cc",
        "src/native/addon/wake.cc",
        "src/native/addon/consumer.cc",
        "src/native/addon/consumer-group.cc",
        "src/native/addon/consumer-offsets.cc",
        "src/native/addon/consumer-close.cc",
        "src/native/addon/slab.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(rdkafka_deps)/include/librdkafka",
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"],
      "libraries": [
        "<(rdkafka_deps)/librdkafka.so.1",
        "-Wl,-rpath,'$$ORIGIN/<(rdkafka_rel)'",
      ],
      "conditions": [
        ["gocoffee_asan==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"],
        }],
      ],
    },
    {
      "target_name": "gocoffee_admin",
      "sources": [
        "src/native/addon/init-admin.cc",
        "src/native/addon/wake.cc",
        "src/native/addon/admin.cc",
        "src/native/addon/admin-calls.cc",
        "src/native/addon/admin-ops.cc",
        "src/native/addon/admin-ops-topics.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(rdkafka_deps)/include/librdkafka",
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"],
      "libraries": [
        "<(rdkafka_deps)/librdkafka.so.1",
        "-Wl,-rpath,'$$ORIGIN/<(rdkafka_rel)'",
      ],
      "conditions": [
        ["gocoffee_asan==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"],
        }],
      ],
    },
  ],
}
