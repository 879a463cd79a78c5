// CDTP load generator and echo responder on cnats, driven by cdtp_bench.py.
//
//   ecr_cdtp_bench echo --url URL [--subject S] [--queue Q]
//     Answers every request on S (queue group Q) with its own payload, until
//     SIGINT/SIGTERM: the reference a CDTP provider is compared with.
//
//   ecr_cdtp_bench load --url URL [--subject S] [--expect ecr|echo]
//                       [--inflight N] [--warmup S] [--duration S]
//                       [--endpoints N] [--app-version AV]
//                       [--ready-timeout S] [--reply-timeout S]
//     Keeps exactly N Avro ConfigRequests in flight for a random endpoint
//     ep-%08d of N seeded ones (the keys rest_bench.py seeds), checks every
//     reply and prints one human line plus `BENCH_RESULT {json}`; latencies
//     in microseconds. Exit 0 once measured, whatever the figures; 1 if the
//     run could not be made; 2 on bad usage.

#include "messaging/avro.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ecr::test {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t max_reply_bytes = 1024 * 1024;

/// The run cannot be made (as opposed to a run with bad figures).
struct bench_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// -- cnats handles --------------------------------------------------------------

struct nats_deleter {
  void operator()(natsOptions* x) const noexcept {
    natsOptions_Destroy(x);
  }
  void operator()(natsConnection* x) const noexcept {
    natsConnection_Destroy(x);
  }
  void operator()(natsSubscription* x) const noexcept {
    natsSubscription_Destroy(x);
  }
  void operator()(natsMsg* x) const noexcept {
    natsMsg_Destroy(x);
  }
};

template <class T>
using nats_ptr = std::unique_ptr<T, nats_deleter>;

void check(natsStatus status, const std::string& what) {
  if (status == NATS_OK)
    return;
  std::string detail = natsStatus_GetText(status);
  if (auto last = nats_GetLastError(nullptr); last && *last)
    detail += std::string{" ("} + last + ")";
  throw bench_failure{what + ": " + detail};
}

nats_ptr<natsConnection> connect(const std::string& url, bool send_asap) {
  natsOptions* raw_opts = nullptr;
  check(natsOptions_Create(&raw_opts), "natsOptions_Create");
  nats_ptr<natsOptions> opts{raw_opts};
  check(natsOptions_SetURL(opts.get(), url.c_str()), "natsOptions_SetURL");
  check(natsOptions_SetSendAsap(opts.get(), send_asap), "SetSendAsap");
  natsConnection* nc = nullptr;
  check(natsConnection_Connect(&nc, opts.get()), "cannot connect to " + url);
  return nats_ptr<natsConnection>{nc};
}

// -- command line ---------------------------------------------------------------

struct options {
  std::string mode;
  std::string url;
  std::string subject = "kaa.v1.service.ecr.cdtp.request";
  std::string queue = "bench";
  std::string expect = "ecr";
  std::string app_version = "bench-v1";
  int inflight = 64;
  int endpoints = 10'000;
  double warmup_s = 2;
  double duration_s = 10;
  double ready_timeout_s = 10;
  double reply_timeout_s = 5;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "ecr_cdtp_bench: %s\nusage: ecr_cdtp_bench echo|load --url URL "
               "[--subject S] [--queue Q] [--expect ecr|echo] [--inflight N] "
               "[--warmup S] [--duration S] [--endpoints N] [--app-version AV] "
               "[--ready-timeout S] [--reply-timeout S]\n",
               why.c_str());
  std::exit(2);
}

template <class T>
T parse_number(std::string_view text, std::string_view flag) {
  T value{};
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(),
                                    value);
  if (err != std::errc{} || end != text.data() + text.size() || value <= 0)
    usage(std::string{flag} + " needs a positive number, got '"
          + std::string{text} + "'");
  return value;
}

options parse_options(int argc, char** argv) {
  if (argc < 2)
    usage("no mode given");
  options opts;
  opts.mode = argv[1];
  if (opts.mode != "echo" && opts.mode != "load")
    usage("unknown mode '" + opts.mode + "'");
  for (int i = 2; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (i + 1 == argc)
      usage(std::string{flag} + " needs a value");
    std::string_view value = argv[i + 1];
    if (flag == "--url")
      opts.url = value;
    else if (flag == "--subject")
      opts.subject = value;
    else if (flag == "--queue")
      opts.queue = value;
    else if (flag == "--expect")
      opts.expect = value;
    else if (flag == "--app-version")
      opts.app_version = value;
    else if (flag == "--inflight")
      opts.inflight = parse_number<int>(value, flag);
    else if (flag == "--endpoints")
      opts.endpoints = parse_number<int>(value, flag);
    else if (flag == "--warmup")
      opts.warmup_s = parse_number<double>(value, flag);
    else if (flag == "--duration")
      opts.duration_s = parse_number<double>(value, flag);
    else if (flag == "--ready-timeout")
      opts.ready_timeout_s = parse_number<double>(value, flag);
    else if (flag == "--reply-timeout")
      opts.reply_timeout_s = parse_number<double>(value, flag);
    else
      usage("unknown option " + std::string{flag});
  }
  if (opts.url.empty())
    usage("--url is required");
  if (opts.expect != "ecr" && opts.expect != "echo")
    usage("--expect must be ecr or echo");
  return opts;
}

// -- echo responder -------------------------------------------------------------

void on_echo_request(natsConnection* nc, natsSubscription*, natsMsg* raw,
                     void*) {
  nats_ptr<natsMsg> msg{raw};
  if (auto reply = natsMsg_GetReply(raw))
    natsConnection_Publish(nc, reply, natsMsg_GetData(raw),
                           natsMsg_GetDataLength(raw));
}

void run_echo(const options& opts) {
  // Block the stop signals before cnats starts its threads, so only sigwait
  // below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // Send-asap: a reply leaves at once instead of waiting for the flusher.
  auto nc = connect(opts.url, true);
  natsSubscription* raw_sub = nullptr;
  check(natsConnection_QueueSubscribe(&raw_sub, nc.get(), opts.subject.c_str(),
                                      opts.queue.c_str(), on_echo_request,
                                      nullptr),
        "subscribe to " + opts.subject);
  nats_ptr<natsSubscription> sub{raw_sub};
  check(natsConnection_Flush(nc.get()), "flush");
  std::printf("echo ready on %s\n", opts.subject.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  natsSubscription_Unsubscribe(sub.get());
  natsConnection_Close(nc.get());
}

// -- load generator ---------------------------------------------------------------

/// Endpoint IDs as rest_bench.py seeds them.
std::string endpoint_id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ep-%08d", i);
  return buf;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// One request slot; exactly `inflight` of them are busy while loading.
struct slot {
  /// Bumped per request, part of the reply subject, so a reply that arrives
  /// after its request timed out is recognised as late.
  uint64_t generation = 0;
  bool busy = false;
  clock_type::time_point sent;
  avro::config_request request;
  /// The encoded request, which an echo reply must equal.
  std::string payload;
};

struct load_stats {
  std::vector<int64_t> latencies_ns;
  uint64_t non_200 = 0;
  std::map<int32_t, uint64_t> statuses;
  uint64_t decode_failures = 0;
  /// Replies that decode but belong to another request or lack content.
  uint64_t mismatched = 0;
  /// Requests without a reply within the reply timeout (also at the end).
  uint64_t timeouts = 0;
  /// Replies that arrived after their request timed out.
  uint64_t late = 0;
};

class load_generator {
public:
  explicit load_generator(const options& opts)
    : opts_(opts), slots_(static_cast<size_t>(opts.inflight)) {
    // Send-asap: each request leaves from the reply callback at once; handing
    // it to cnats' flusher thread measured ~30 % fewer echo round trips.
    nc_ = connect(opts.url, true);
    natsInbox* inbox = nullptr;
    check(natsInbox_Create(&inbox), "natsInbox_Create");
    inbox_ = inbox;
    natsInbox_Destroy(inbox);
    std::random_device seed;
    rng_.seed((uint64_t{seed()} << 32) | seed());
  }

  load_generator(const load_generator&) = delete;
  load_generator& operator=(const load_generator&) = delete;

  ~load_generator() {
    natsConnection_Close(nc_.get());
  }

  /// Sends single requests until one is answered correctly.
  void wait_ready() {
    auto deadline = clock_type::now() + seconds(opts_.ready_timeout_s);
    std::string last_problem = "no answer";
    while (clock_type::now() < deadline) {
      slot probe;
      {
        std::lock_guard guard{mtx_};
        fill(probe);
      }
      natsMsg* raw = nullptr;
      auto s = natsConnection_Request(&raw, nc_.get(), opts_.subject.c_str(),
                                      probe.payload.data(),
                                      static_cast<int>(probe.payload.size()),
                                      500);
      nats_ptr<natsMsg> reply{raw};
      if (s == NATS_OK) {
        load_stats scratch;
        verify(probe, natsMsg_GetData(raw),
               static_cast<size_t>(natsMsg_GetDataLength(raw)), scratch);
        if (scratch.non_200 + scratch.decode_failures + scratch.mismatched
            == 0)
          return;
        throw bench_failure{"the probe request got a wrong answer ("
                            + describe(scratch) + ")"};
      }
      last_problem = natsStatus_GetText(s);
      std::this_thread::sleep_for(100ms);
    }
    char within[32];
    std::snprintf(within, sizeof within, "%g s", opts_.ready_timeout_s);
    throw bench_failure{"no correct answer on " + opts_.subject + " within "
                        + within + " (last: " + last_problem + ")"};
  }

  void run() {
    natsSubscription* raw_sub = nullptr;
    check(natsConnection_Subscribe(&raw_sub, nc_.get(),
                                   (inbox_ + ".*.*").c_str(), on_reply, this),
          "subscribe to the inbox");
    sub_.reset(raw_sub);
    check(natsConnection_Flush(nc_.get()), "flush");
    auto start = clock_type::now();
    auto measure_from = start + seconds(opts_.warmup_s);
    auto measure_until = measure_from + seconds(opts_.duration_s);
    {
      std::lock_guard guard{mtx_};
      for (size_t i = 0; i < slots_.size(); ++i)
        send(i);
    }
    sweep_until(measure_from);
    {
      std::lock_guard guard{mtx_};
      phase_ = phase::measuring;
      window_start_ = clock_type::now();
    }
    sweep_until(measure_until);
    std::unique_lock guard{mtx_};
    phase_ = phase::draining;
    window_end_ = clock_type::now();
    drained_.wait_for(guard, seconds(opts_.reply_timeout_s),
                      [this] { return busy_ == 0; });
    for (auto& s : slots_)
      if (s.busy)
        ++stats_.timeouts;
    phase_ = phase::done;
    guard.unlock();
    // Draining waits for callbacks still running, so none outlives `this`.
    natsSubscription_Drain(sub_.get());
    natsSubscription_WaitForDrainCompletion(sub_.get(), 2000);
  }

  void print() {
    std::lock_guard guard{mtx_};
    auto& lat = stats_.latencies_ns;
    std::sort(lat.begin(), lat.end());
    auto window_us = std::chrono::duration<double, std::micro>(window_end_
                                                               - window_start_)
                       .count();
    auto rps = static_cast<double>(lat.size()) / (window_us / 1e6);
    auto p50 = percentile_us(50), p90 = percentile_us(90),
         p99 = percentile_us(99), max = percentile_us(100);
    std::printf("%s: %.0f req/s  p50 %.1f us  p90 %.1f us  p99 %.1f us  "
                "max %.1f us  replies %zu  %s\n",
                opts_.expect.c_str(), rps, p50, p90, p99, max, lat.size(),
                describe(stats_).c_str());
    auto statuses = status_list(stats_);
    std::printf("BENCH_RESULT {\"requests\":%zu,\"duration_us\":%.1f,"
                "\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,"
                "\"max_us\":%.3f,\"non_200\":%llu,\"statuses\":\"%s\","
                "\"decode_failures\":%llu,\"mismatched\":%llu,"
                "\"timeouts\":%llu,\"late\":%llu}\n",
                lat.size(), window_us, p50, p90, p99, max,
                static_cast<unsigned long long>(stats_.non_200),
                statuses.c_str(),
                static_cast<unsigned long long>(stats_.decode_failures),
                static_cast<unsigned long long>(stats_.mismatched),
                static_cast<unsigned long long>(stats_.timeouts),
                static_cast<unsigned long long>(stats_.late));
    std::fflush(stdout);
  }

private:
  /// Draining: no new requests; done: replies are ignored.
  enum class phase { warming, measuring, draining, done };

  static clock_type::duration seconds(double s) {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(s));
  }

  /// "404:3,500:1" for the non-200 replies.
  static std::string status_list(const load_stats& st) {
    std::string text;
    for (auto [code, count] : st.statuses) {
      if (!text.empty())
        text += ',';
      text.append(std::to_string(code)).append(":").append(
        std::to_string(count));
    }
    return text;
  }

  static std::string describe(const load_stats& st) {
    auto statuses = status_list(st);
    if (!statuses.empty())
      statuses = " (" + statuses + ")";
    return "non-200 " + std::to_string(st.non_200) + statuses
           + "  decode failures "
           + std::to_string(st.decode_failures) + "  mismatched "
           + std::to_string(st.mismatched) + "  timeouts "
           + std::to_string(st.timeouts) + "  late "
           + std::to_string(st.late);
  }

  double percentile_us(double p) const {
    const auto& lat = stats_.latencies_ns;
    if (lat.empty())
      return 0;
    // Nearest rank.
    auto rank = static_cast<size_t>(p / 100 * static_cast<double>(lat.size())
                                    + 0.999999);
    return static_cast<double>(lat[std::clamp<size_t>(rank, 1, lat.size()) - 1])
           / 1000;
  }

  /// Wakes every 50 ms until `until` to time out lost requests.
  void sweep_until(clock_type::time_point until) {
    auto limit = seconds(opts_.reply_timeout_s);
    for (auto now = clock_type::now(); now < until; now = clock_type::now()) {
      std::this_thread::sleep_for(std::min<clock_type::duration>(50ms,
                                                                 until - now));
      std::lock_guard guard{mtx_};
      now = clock_type::now();
      for (size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].busy && now - slots_[i].sent > limit) {
          ++stats_.timeouts;
          --busy_;
          send(i);
        }
    }
  }

  /// A new request for a random seeded endpoint. Requires `mtx_` (the RNG).
  void fill(slot& s) {
    char id[40];
    std::snprintf(id, sizeof id, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                  static_cast<unsigned long long>(rng_() & 0xffffffff),
                  static_cast<unsigned long long>(rng_() & 0xffff),
                  static_cast<unsigned long long>(rng_() & 0xfff),
                  static_cast<unsigned long long>(rng_() & 0xfff),
                  static_cast<unsigned long long>(rng_() & 0xffffffffffff));
    std::uniform_int_distribution<int> pick{0, opts_.endpoints - 1};
    s.request.correlation_id = id;
    s.request.timestamp = now_ms();
    s.request.timeout = 0;
    s.request.app_version_name = opts_.app_version;
    s.request.endpoint_id = endpoint_id(pick(rng_));
    s.payload = avro::encode(s.request);
  }

  /// Publishes a new request from slot `i`. Requires `mtx_`.
  void send(size_t i) {
    auto& s = slots_[i];
    fill(s);
    ++s.generation;
    auto reply = inbox_ + "." + std::to_string(i) + "."
                 + std::to_string(s.generation);
    s.sent = clock_type::now();
    s.busy = true;
    ++busy_;
    auto st = natsConnection_PublishRequest(nc_.get(), opts_.subject.c_str(),
                                            reply.c_str(), s.payload.data(),
                                            static_cast<int>(s.payload.size()));
    // A failed publish (connection lost) shows up as a timeout.
    (void) st;
  }

  /// Checks one reply against the request it answers, counting problems.
  void verify(const slot& s, const char* data, size_t size,
              load_stats& into) const {
    std::string_view bytes{data, size};
    if (opts_.expect == "echo") {
      if (bytes != s.payload)
        ++into.mismatched;
      return;
    }
    auto response = avro::decode<avro::config_response>(bytes,
                                                        max_reply_bytes);
    if (!response) {
      ++into.decode_failures;
      return;
    }
    if (response->status_code != 200) {
      ++into.non_200;
      ++into.statuses[response->status_code];
    } else if (response->correlation_id != s.request.correlation_id
               || response->endpoint_id != s.request.endpoint_id
               || response->app_version_name != s.request.app_version_name
               || !response->content || !response->config_id) {
      ++into.mismatched;
    }
  }

  static void on_reply(natsConnection*, natsSubscription*, natsMsg* raw,
                       void* self) {
    nats_ptr<natsMsg> msg{raw};
    static_cast<load_generator*>(self)->handle(
      natsMsg_GetSubject(raw), natsMsg_GetData(raw),
      static_cast<size_t>(natsMsg_GetDataLength(raw)));
  }

  void handle(std::string_view subject, const char* data, size_t size) {
    auto received = clock_type::now();
    // The subject ends in ".<slot>.<generation>".
    subject.remove_prefix(inbox_.size() + 1);
    auto dot = subject.find('.');
    size_t index = 0;
    uint64_t generation = 0;
    std::from_chars(subject.data(), subject.data() + dot, index);
    std::from_chars(subject.data() + dot + 1, subject.data() + subject.size(),
                    generation);
    std::lock_guard guard{mtx_};
    if (phase_ == phase::done || index >= slots_.size())
      return;
    auto& s = slots_[index];
    if (!s.busy || s.generation != generation) {
      ++stats_.late;
      return;
    }
    s.busy = false;
    --busy_;
    if (phase_ == phase::measuring) {
      verify(s, data, size, stats_);
      stats_.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(received - s.sent)
          .count());
    }
    if (phase_ == phase::draining) {
      if (busy_ == 0)
        drained_.notify_one();
      return;
    }
    send(index);
  }

  const options& opts_;
  nats_ptr<natsConnection> nc_;
  nats_ptr<natsSubscription> sub_;
  std::string inbox_;
  std::mutex mtx_;
  std::condition_variable drained_;
  std::mt19937_64 rng_;
  std::vector<slot> slots_;
  size_t busy_ = 0;
  phase phase_ = phase::warming;
  clock_type::time_point window_start_;
  clock_type::time_point window_end_;
  load_stats stats_;
};

void run_load(const options& opts) {
  load_generator gen{opts};
  gen.wait_ready();
  gen.run();
  gen.print();
}

} // namespace

int run(int argc, char** argv) {
  auto opts = parse_options(argc, argv);
  int rc = 0;
  try {
    if (opts.mode == "echo")
      run_echo(opts);
    else
      run_load(opts);
  } catch (const bench_failure& e) {
    std::fprintf(stderr, "ecr_cdtp_bench %s: %s\n", opts.mode.c_str(),
                 e.what());
    rc = 1;
  }
  // Lets cnats end its threads before the process exits.
  nats_CloseAndWait(2000);
  return rc;
}

} // namespace ecr::test

int main(int argc, char** argv) {
  return ecr::test::run(argc, argv);
}
