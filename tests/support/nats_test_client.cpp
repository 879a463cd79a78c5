#include "tests/support/nats_test_client.hpp"

#include <nats/nats.h>

#include <stdexcept>
#include <thread>

namespace ecr::test {

namespace {

/// Throws with cnats' own account of the failure.
void check(natsStatus s, const std::string& what) {
  if (s == NATS_OK)
    return;
  std::string detail = nats_GetLastError(nullptr);
  throw std::runtime_error("nats test client: " + what + ": " + natsStatus_GetText(s)
                           + (detail.empty() ? "" : " (" + detail + ")"));
}

int64_t millis(std::chrono::milliseconds d) {
  return static_cast<int64_t>(d.count());
}

/// Copies a message out of cnats and frees it.
nats_received take_message(natsMsg* msg) {
  nats_received r;
  r.subject = natsMsg_GetSubject(msg);
  if (auto reply = natsMsg_GetReply(msg))
    r.reply = reply;
  if (auto data = natsMsg_GetData(msg))
    r.payload.assign(data, static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  return r;
}

using clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
}

} // namespace

// -- nats_subscription --------------------------------------------------------

nats_subscription::~nats_subscription() {
  // Fails harmlessly when the connection is down; destroying frees it anyway.
  natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
}

std::optional<nats_received> nats_subscription::next(std::chrono::milliseconds timeout) {
  natsMsg* msg = nullptr;
  // At least 1 ms: a message already queued is returned either way.
  auto s = natsSubscription_NextMsg(&msg, sub_, std::max<int64_t>(millis(timeout), 1));
  if (s == NATS_TIMEOUT)
    return std::nullopt;
  check(s, "next message");
  return take_message(msg);
}

std::vector<nats_received> nats_subscription::take(size_t count,
                                                   std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::vector<nats_received> result;
  while (result.size() < count) {
    auto msg = next(remaining(deadline));
    if (!msg)
      break;
    result.push_back(std::move(*msg));
  }
  return result;
}

std::vector<nats_received> nats_subscription::take_for(std::chrono::milliseconds window) {
  return take(SIZE_MAX, window);
}

// -- nats_test_client ---------------------------------------------------------

nats_test_client::nats_test_client(const std::string& url) {
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "options");
  std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> guard(opts,
                                                                     natsOptions_Destroy);
  check(natsOptions_SetURL(opts, url.c_str()), "url");
  check(natsOptions_SetName(opts, "ecr-test-client"), "name");
  // Back within milliseconds of a restarted server, before the service
  // under test (which waits longer between attempts) floods it.
  check(natsOptions_SetAllowReconnect(opts, true), "reconnect");
  check(natsOptions_SetMaxReconnect(opts, -1), "max reconnect");
  check(natsOptions_SetReconnectWait(opts, 10), "reconnect wait");
  check(natsOptions_SetReconnectJitter(opts, 0, 0), "reconnect jitter");
  check(natsOptions_SetTimeout(opts, 5000), "timeout");
  // A request nobody serves then simply gets no reply, like one ecr drops.
  check(natsOptions_DisableNoResponders(opts, true), "no responders");
  check(natsConnection_Connect(&conn_, opts), "connect to " + url);
}

nats_test_client::~nats_test_client() {
  if (js_)
    jsCtx_Destroy(js_);
  natsConnection_Destroy(conn_);
}

void nats_test_client::publish(const std::string& subject, std::string_view payload,
                               const std::string& reply) {
  auto size = static_cast<int>(payload.size());
  check(reply.empty()
          ? natsConnection_Publish(conn_, subject.c_str(), payload.data(), size)
          : natsConnection_PublishRequest(conn_, subject.c_str(), reply.c_str(),
                                          payload.data(), size),
        "publish to " + subject);
}

void nats_test_client::flush(std::chrono::milliseconds timeout) {
  check(natsConnection_FlushTimeout(conn_, millis(timeout)), "flush");
}

std::optional<std::string> nats_test_client::request(const std::string& subject,
                                                     std::string_view payload,
                                                     std::chrono::milliseconds timeout) {
  auto inbox = new_inbox();
  auto sub = subscribe(inbox);
  publish(subject, payload, inbox);
  auto reply = sub->next(timeout);
  if (!reply)
    return std::nullopt;
  return std::move(reply->payload);
}

std::unique_ptr<nats_subscription> nats_test_client::subscribe(const std::string& subject) {
  natsSubscription* sub = nullptr;
  check(natsConnection_SubscribeSync(&sub, conn_, subject.c_str()), "subscribe " + subject);
  auto result = std::make_unique<nats_subscription>(sub);
  // Without a limit a burst of replies cannot make cnats drop messages.
  check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
  flush();
  return result;
}

std::string nats_test_client::new_inbox() {
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "inbox");
  std::string result = inbox;
  natsInbox_Destroy(inbox);
  return result;
}

bool nats_test_client::connected() const {
  return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

jsCtx* nats_test_client::jetstream() {
  if (!js_)
    check(natsConnection_JetStream(&js_, conn_, nullptr), "jetstream context");
  return js_;
}

void nats_test_client::add_stream(const std::string& name,
                                  const std::vector<std::string>& subjects) {
  std::vector<const char*> subject_ptrs;
  for (const auto& s : subjects)
    subject_ptrs.push_back(s.c_str());
  jsStreamConfig cfg;
  check(jsStreamConfig_Init(&cfg), "stream config");
  cfg.Name = name.c_str();
  cfg.Subjects = subject_ptrs.data();
  cfg.SubjectsLen = static_cast<int>(subject_ptrs.size());
  cfg.Storage = js_FileStorage;
  jsStreamInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  check(js_AddStream(&info, jetstream(), &cfg, nullptr, &err),
        "add stream " + name + " (JetStream error " + std::to_string(err) + ")");
  jsStreamInfo_Destroy(info);
}

std::vector<nats_received> nats_test_client::stream_messages(const std::string& name,
                                                             size_t count,
                                                             std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  uint64_t stored = 0;
  for (;;) {
    jsStreamInfo* info = nullptr;
    // Fails while the connection is re-established; the deadline bounds it.
    if (js_GetStreamInfo(&info, jetstream(), name.c_str(), nullptr, nullptr) == NATS_OK) {
      stored = info->State.Msgs;
      jsStreamInfo_Destroy(info);
    }
    if (stored >= count || clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<nats_received> result;
  for (uint64_t seq = 1; seq <= std::min<uint64_t>(stored, count); ++seq) {
    natsMsg* msg = nullptr;
    check(js_GetMsg(&msg, jetstream(), name.c_str(), seq, nullptr, nullptr),
          "stream message " + std::to_string(seq));
    result.push_back(take_message(msg));
  }
  return result;
}

} // namespace ecr::test
