// OAUTHBEARER with tokens from JavaScript (src/native/oauth.ts, binding-notes/oauth.md), shared by
// the addons. JS owns the token provider (async, may do HTTP); librdkafka only holds the current
// token and says when it wants a new one. With "gocoffee.oauthbearer" = "1" in the config map:
//
//   - before rd_kafka_new, oauth_configure<Owner>(conf) registers a token refresh callback and asks
//     for a SASL queue of the handle's own (rd_kafka_conf_enable_sasl_queue). Without that queue the
//     refresh requests would go to the main queue, which the consumer forwards to its consumer
//     queue and serves only while fetching: a consumer subscribed but not started would never hear.
//     With a refresh callback registered, librdkafka also refuses the conflicting built-in token
//     sources (enable.sasl.oauthbearer.unsecure.jwt; sasl.oauthbearer.method=oidc is refused in JS).
//   - after rd_kafka_new, an OAuthBearer serves that queue on the JS thread: a Waker (wake.h, async
//     mode: librdkafka's thread only calls uv_async_send) fires serve(), which polls the queue with
//     timeout 0 (rd_kafka_queue_poll_callback). The refresh callback runs there, inside serve(), and
//     only records "refresh wanted"; serve() then calls the owner's on_wanted (JS thread, may call
//     JS). No new thread, no JS value off the JS thread.
//   - oauth_set_token / oauth_set_token_failure (JS thread) are the whole of every addon class's
//     setOAuthBearerToken / setOAuthBearerTokenFailure (argument checks, the librdkafka call, its
//     errors): the methods only pass their handle, or null once closing. They wrap
//     rd_kafka_oauthbearer_set_token / rd_kafka_oauthbearer_set_token_failure; librdkafka copies
//     what it keeps.
//
// librdkafka asks for a refresh once at rd_kafka_new, at 80% of the remaining lifetime of each token
// set, and 10 s after a failure is set; JS schedules its own refresh at 80% as well (the signal is a
// second source, debounced in oauth.ts). Lifetime of the hook: close() (JS thread) unhooks the queue
// before the handle is closed, release_queue() (any thread) drops the queue reference before
// rd_kafka_destroy; the destructor does both.
#pragma once

#include <napi.h>
#include <rdkafka.h>
#include <uv.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rk.h"
#include "wake.h"

namespace gocoffee {

/** Is the JS token provider asked for (config map key "gocoffee.oauthbearer" = "1")? */
inline bool oauth_enabled(const Napi::Object &cfg) { return opt_string(cfg, "gocoffee.oauthbearer", "0") == "1"; }

class OAuthBearer {
 public:
  OAuthBearer(rd_kafka_t *rk, uv_loop_t *loop, std::function<void()> on_wanted) : on_wanted_(std::move(on_wanted)) {
    q_.reset(rd_kafka_queue_get_sasl(rk));
    if (!q_) return;  // not an OAUTHBEARER handle: nothing will ask (the setters still report why)
    waker_ = std::make_unique<Waker>(loop, WakeMode::Async, [this] { serve(); });
    waker_->ref(false);  // never the reason the process stays alive (the owner's own waker is)
    waker_->attach(q_.get());
    waker_->kick();  // rd_kafka_new already queued the first request: no empty → non-empty to come
  }
  ~OAuthBearer() {
    close();
    release_queue();
  }
  OAuthBearer(const OAuthBearer &) = delete;
  OAuthBearer &operator=(const OAuthBearer &) = delete;

  // The refresh callback (inside serve(), JS thread). Atomic anyway: a future caller polling the
  // queue elsewhere must not race.
  void mark_wanted() { wanted_.store(true); }
  // JS thread, idempotent: no serve() after this (the owner is closing).
  void close() {
    if (waker_) waker_->close();
    waker_.reset();
  }
  // Any thread, after close(): the queue reference must go before rd_kafka_destroy.
  void release_queue() { q_.reset(); }
  uint64_t requests() const { return requests_; }

 private:
  void serve() {
    if (!q_) return;
    wanted_.store(false);
    rd_kafka_queue_poll_callback(q_.get(), 0);  // serves every queued op; the callback marks wanted_
    if (wanted_.exchange(false)) {
      requests_++;
      on_wanted_();
    }
  }

  QueuePtr q_;
  std::unique_ptr<Waker> waker_;
  std::function<void()> on_wanted_;
  std::atomic<bool> wanted_{false};
  uint64_t requests_ = 0;
};

// The refresh callback: Owner (the class passed to rd_kafka_conf_set_opaque) exposes
// `OAuthBearer *oauth()`. Runs only inside OAuthBearer::serve (nobody else polls the SASL queue);
// an op purged at destroy does not call it (librdkafka checks ERR__DESTROY).
template <class Owner>
void oauth_refresh_cb(rd_kafka_t *, const char *, void *opaque) {
  auto *owner = static_cast<Owner *>(opaque);
  if (owner && owner->oauth()) owner->oauth()->mark_wanted();
}

template <class Owner>
void oauth_configure(rd_kafka_conf_t *conf) {
  rd_kafka_conf_enable_sasl_queue(conf, 1);
  rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, oauth_refresh_cb<Owner>);
}

namespace oauth_detail {

// At most this many extension keys + values (RFC 7628 extensions are a handful of short pairs).
constexpr uint32_t MAX_EXTENSION_STRINGS = 256;

inline Napi::Error error(Napi::Env env, int code, const std::string &message) {
  auto e = Napi::Error::New(env, message);
  e.Value().Set("code", Napi::Number::New(env, code));
  return e;
}

// A JS string without NUL (librdkafka takes C strings: a NUL would silently cut the token).
inline std::string c_string(Napi::Env env, const Napi::Value &v, const char *what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) throw error(env, RD_KAFKA_RESP_ERR__INVALID_ARG, std::string(what) + " contains a NUL character");
  return s;
}

// Defence in depth (the one message known to quote a value is cut above). Short values are left
// alone: redacting "x" would mangle every x of the message, and no real token is that short.
inline void redact(std::string &text, const std::string &secret) {
  if (secret.size() < 8) return;
  for (size_t at; (at = text.find(secret)) != std::string::npos;) text.replace(at, secret.size(), "[REDACTED]");
}

}  // namespace oauth_detail

// setOAuthBearerToken(value, lifetimeMs, principal, extensions: string[] key, value, ...) of every
// addon class; `rk` is the owner's handle, null once it closes (then a no-op, arguments unchecked:
// a refresh that resolved while the owner closes). lifetimeMs is librdkafka's md_lifetime_ms: the
// ABSOLUTE expiry, ms since the epoch. Throws an Error with the numeric librdkafka `code`
// (ERR__INVALID_ARG: expired, bad characters, odd extensions; ERR__STATE: the handle does not use
// OAUTHBEARER) and librdkafka's errstr. Returns undefined.
inline Napi::Value oauth_set_token(const Napi::CallbackInfo &info, rd_kafka_t *rk) {
  Napi::Env env = info.Env();
  if (rk == nullptr) return env.Undefined();
  std::string value = oauth_detail::c_string(env, info[0], "token value");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "lifetimeMs must be a number (ms since the epoch)");
  double lifetime = info[1].As<Napi::Number>().DoubleValue();
  if (!(lifetime > 0 && lifetime < 9.0e15)) throw oauth_detail::error(env, RD_KAFKA_RESP_ERR__INVALID_ARG, "lifetimeMs out of range");
  std::string principal = info[2].IsUndefined() ? std::string() : oauth_detail::c_string(env, info[2], "principal");
  std::vector<std::string> ext;
  if (!info[3].IsUndefined() && !info[3].IsNull()) {
    if (!info[3].IsArray()) throw Napi::TypeError::New(env, "extensions must be an array of strings (key, value, ...)");
    auto arr = info[3].As<Napi::Array>();
    if (arr.Length() > oauth_detail::MAX_EXTENSION_STRINGS) throw oauth_detail::error(env, RD_KAFKA_RESP_ERR__INVALID_ARG, "too many extensions");
    ext.reserve(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); i++) ext.push_back(oauth_detail::c_string(env, arr.Get(i), "extension"));
  }
  std::vector<const char *> ptrs;
  ptrs.reserve(ext.size());
  for (const auto &s : ext) ptrs.push_back(s.c_str());
  char errstr[512];
  errstr[0] = '\0';
  rd_kafka_resp_err_t err = rd_kafka_oauthbearer_set_token(rk, value.c_str(), static_cast<int64_t>(lifetime), principal.c_str(),
                                                           ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(), errstr, sizeof(errstr));
  if (err) {
    // librdkafka quotes a refused value in errstr ("... (%x21-7E): <value> (c)", cut at 511 bytes,
    // so a long token would not even match whole): never pass a token or an extension value on.
    std::string text = errstr[0] ? errstr : rd_kafka_err2str(err);
    const size_t quoted = text.find("(%x21-7E)");
    if (quoted != std::string::npos) text.resize(quoted + 9);
    oauth_detail::redact(text, value);
    for (size_t i = 1; i < ext.size(); i += 2) oauth_detail::redact(text, ext[i]);
    throw oauth_detail::error(env, err, "setOAuthBearerToken: " + text);
  }
  return env.Undefined();
}

// setOAuthBearerTokenFailure(reason) of every addon class (`rk` as for oauth_set_token: null once
// closing, a no-op): the token provider failed. librdkafka keeps the current token (it may still be
// valid), asks again in 10 s, and reports ERR__AUTHENTICATION through the error callback when the
// reason changed. Returns undefined.
inline Napi::Value oauth_set_token_failure(const Napi::CallbackInfo &info, rd_kafka_t *rk) {
  Napi::Env env = info.Env();
  if (rk == nullptr) return env.Undefined();
  std::string reason = oauth_detail::c_string(env, info[0], "reason");
  if (reason.empty()) reason = "token provider failed";
  rd_kafka_resp_err_t err = rd_kafka_oauthbearer_set_token_failure(rk, reason.c_str());
  if (err) throw oauth_detail::error(env, err, std::string("setOAuthBearerTokenFailure: ") + rd_kafka_err2str(err));
  return env.Undefined();
}

}  // namespace gocoffee
