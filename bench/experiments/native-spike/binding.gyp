# Spike only: NOT at the repo root, so `npm ci` never builds it.
# Links the librdkafka that node-rdkafka built (one librdkafka per process), with an rpath the way
# node-rdkafka's own binding.gyp does it ($ORIGIN-relative; here three levels up to node_modules).
{
  "variables": {
    "rdkafka_deps%": "<!(node -p \"require('path').resolve(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps')\")",
    "rdkafka_rel%": "<!(node -p \"require('path').relative(require('path').resolve('build/Release'), require('path').resolve(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps'))\")",
    "spike_asan%": "<!(node -p \"process.env.SPIKE_ASAN || 0\")",
  },
  "targets": [
    {
      "target_name": "spike",
      "sources": ["src/addon.cc", "src/wake.cc", "src/producer.cc", "src/consumer.cc", "src/slab.cc"],
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
        ["spike_asan==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"],
        }],
      ],
    },
  ],
}
