#include "core/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ecr {

namespace {

using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;

double seconds(service_metrics::duration took) {
  return std::chrono::duration<double>(took).count();
}

/// Latency buckets from 0.1 ms (a cached read) to 10 s (a request timeout).
const Histogram::BucketBoundaries& latency_buckets() {
  static const Histogram::BucketBoundaries buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5, 10};
  return buckets;
}

/// The members of one family by label values, looked up once and then kept:
/// Family::Add hashes a label map under a lock on every call.
template <class T>
class labeled {
public:
  using factory
    = std::function<T&(prometheus::Family<T>&, const prometheus::Labels&)>;

  labeled(prometheus::Family<T>& family, std::vector<std::string> names,
          factory make)
    : family_(family), names_(std::move(names)), make_(std::move(make)) {
    // nop
  }

  T& at(std::initializer_list<std::string_view> values) {
    std::string key;
    for (auto value : values) {
      key.append(value);
      key.push_back('\x1f');
    }
    std::lock_guard<std::mutex> guard{mutex_};
    if (auto i = members_.find(key); i != members_.end())
      return *i->second;
    prometheus::Labels labels;
    auto name = names_.begin();
    for (auto value : values)
      labels.emplace(*name++, std::string{value});
    auto& member = make_(family_, labels);
    members_.emplace(std::move(key), &member);
    return member;
  }

private:
  prometheus::Family<T>& family_;
  const std::vector<std::string> names_;
  const factory make_;
  std::mutex mutex_;
  std::unordered_map<std::string, T*> members_;
};

template <class T>
T& add_plain(prometheus::Family<T>& family, const prometheus::Labels& labels) {
  return family.Add(labels);
}

Histogram& add_timer(prometheus::Family<Histogram>& family,
                     const prometheus::Labels& labels) {
  return family.Add(labels, latency_buckets());
}

/// Keeps client-chosen methods out of the label values (unbounded series).
std::string_view known_method(std::string_view method) {
  for (std::string_view known :
       {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"})
    if (method == known)
      return known;
  return "OTHER";
}

} // namespace

struct service_metrics::impl {
  std::shared_ptr<prometheus::Registry> registry
    = std::make_shared<prometheus::Registry>();

  labeled<Histogram> http{
    prometheus::BuildHistogram()
      .Name("http_server_requests_seconds")
      .Help("HTTP requests by route template, method and status")
      .Register(*registry),
    {"uri", "method", "status"}, add_timer};

  labeled<Histogram> cdtp{
    prometheus::BuildHistogram()
      .Name("ecr_cdtp_requests_seconds")
      .Help("CDTP configuration requests answered, by status code, from "
            "receipt to reply")
      .Register(*registry),
    {"status"}, add_timer};

  labeled<Counter> dropped{
    prometheus::BuildCounter()
      .Name("ecr_messages_dropped_total")
      .Help("NATS messages dropped unprocessed, by subject and reason")
      .Register(*registry),
    {"subject", "reason"}, add_plain<Counter>};

  labeled<Counter> published{
    prometheus::BuildCounter()
      .Name("ecr_events_published_total")
      .Help("Events published to NATS, by type")
      .Register(*registry),
    {"type"}, add_plain<Counter>};

  labeled<Counter> consumed{
    prometheus::BuildCounter()
      .Name("ecr_events_consumed_total")
      .Help("Events received from NATS and handled, by type")
      .Register(*registry),
    {"type"}, add_plain<Counter>};

  labeled<Histogram> store{
    prometheus::BuildHistogram()
      .Name("ecr_store_operation_seconds")
      .Help("Store operations, by operation")
      .Register(*registry),
    {"operation"}, add_timer};

  labeled<Counter> store_errors{
    prometheus::BuildCounter()
      .Name("ecr_store_errors_total")
      .Help("Store operations that failed, by operation")
      .Register(*registry),
    {"operation"}, add_plain<Counter>};

  labeled<Counter> writes_refused{
    prometheus::BuildCounter()
      .Name("ecr_store_writes_refused_total")
      .Help("Writes the store refused, by reason (no_space: the store was out "
            "of space)")
      .Register(*registry),
    {"reason"}, add_plain<Counter>};

  Gauge& nats_connected = prometheus::BuildGauge()
                            .Name("ecr_nats_connected")
                            .Help("1 while the NATS connection is up")
                            .Register(*registry)
                            .Add({});

  Counter& nats_reconnects = prometheus::BuildCounter()
                               .Name("ecr_nats_reconnects_total")
                               .Help("NATS connections regained after a loss")
                               .Register(*registry)
                               .Add({});

  std::mutex nats_mutex;
  bool nats_ever_connected = false;

  prometheus::Family<Gauge>& license_days = prometheus::BuildGauge()
    .Name("ecr_license_days_left")
    .Help("Whole days until the license certificate ends (absent without one)")
    .Register(*registry);

  /// The outbound pool's series, set from `pool_probe` at each scrape.
  struct pool_gauges {
    Gauge* leased = nullptr;
    Gauge* available = nullptr;
    Gauge* pending = nullptr;
    Gauge* max = nullptr;
    Gauge* half_leased_routes = nullptr;
    Gauge* max_leased_routes = nullptr;
    Gauge* pending_routes = nullptr;
  };
  std::mutex pool_mutex;
  std::function<service_metrics::pool_snapshot()> pool_probe;
  pool_gauges pool;

  Gauge& license_usable = prometheus::BuildGauge()
                            .Name("ecr_license_valid")
                            .Help("1 while the license is valid")
                            .Register(*registry)
                            .Add({});
};

service_metrics::service_metrics(std::string_view version)
  : impl_(std::make_unique<impl>()) {
  prometheus::BuildGauge()
    .Name("ecr_build_info")
    .Help("The running build; always 1")
    .Register(*impl_->registry)
    .Add({{"version", std::string{version}}})
    .Set(1);
  // Shown at 0 from the start, so that an alert on its increase has a series.
  impl_->writes_refused.at({"no_space"});
}

service_metrics::~service_metrics() = default;

void service_metrics::http_request(std::string_view uri,
                                   std::string_view method, int status,
                                   duration took) {
  auto code = std::to_string(status);
  impl_->http.at({uri, known_method(method), code}).Observe(seconds(took));
}

void service_metrics::cdtp_request(int status, duration took) {
  impl_->cdtp.at({std::to_string(status)}).Observe(seconds(took));
}

void service_metrics::message_dropped(std::string_view subject,
                                      std::string_view reason) {
  impl_->dropped.at({subject, reason}).Increment();
}

void service_metrics::event_published(std::string_view type) {
  impl_->published.at({type}).Increment();
}

void service_metrics::event_consumed(std::string_view type) {
  impl_->consumed.at({type}).Increment();
}

void service_metrics::nats_state(bool connected) {
  std::lock_guard<std::mutex> guard{impl_->nats_mutex};
  impl_->nats_connected.Set(connected ? 1 : 0);
  if (!connected)
    return;
  if (impl_->nats_ever_connected)
    impl_->nats_reconnects.Increment();
  impl_->nats_ever_connected = true;
}

void service_metrics::store_operation(std::string_view operation,
                                      duration took, bool failed) {
  impl_->store.at({operation}).Observe(seconds(took));
  if (failed)
    impl_->store_errors.at({operation}).Increment();
}

void service_metrics::store_writes_refused(std::string_view reason,
                                           uint64_t count) {
  impl_->writes_refused.at({reason}).Increment(static_cast<double>(count));
}

void service_metrics::license(std::optional<int64_t> days_left, bool usable) {
  impl_->license_usable.Set(usable ? 1 : 0);
  auto& days = impl_->license_days;
  if (days_left)
    days.Add({}).Set(static_cast<double>(*days_left));
  else if (days.Has({}))
    days.Remove(&days.Add({}));
}

void service_metrics::watch_outbound_pool(std::string service,
                                          std::function<pool_snapshot()> probe) {
  // The names and labels of the Java service's Apache HttpClient metrics.
  const std::string pool_name = "rest-client-connection-pool";
  auto gauge = [&](const char* name, const char* help,
                   prometheus::Labels labels) -> Gauge& {
    labels.emplace("service", service);
    return prometheus::BuildGauge().Name(name).Help(help).Register(
      *impl_->registry).Add(labels);
  };
  std::lock_guard<std::mutex> guard{impl_->pool_mutex};
  auto& pool = impl_->pool;
  const char* connections = "httpcomponents_httpclient_pool_total_connections";
  const char* connections_help
    = "Outbound HTTP connections of the pool, by state";
  pool.leased = &gauge(connections, connections_help,
                       {{"httpclient", pool_name}, {"state", "leased"}});
  pool.available = &gauge(connections, connections_help,
                          {{"httpclient", pool_name}, {"state", "available"}});
  pool.pending = &gauge("httpcomponents_httpclient_pool_total_pending",
                        "Outbound HTTP requests waiting for a connection",
                        {{"httpclient", pool_name}});
  pool.max = &gauge("httpclient_pool_total_max",
                    "Most outbound HTTP connections of the pool",
                    {{"httpclient", pool_name}});
  pool.half_leased_routes
    = &gauge("httpclient_pool_routes_with_half_leased_connections",
             "Routes with at least half of their connections leased", {});
  pool.max_leased_routes
    = &gauge("httpclient_pool_routes_with_max_leased_connections",
             "Routes with all of their connections leased", {});
  pool.pending_routes
    = &gauge("httpclient_pool_routes_with_pending_connections",
             "Routes with requests waiting for a connection", {});
  impl_->pool_probe = std::move(probe);
}

std::string service_metrics::render() const {
  {
    std::lock_guard<std::mutex> guard{impl_->pool_mutex};
    if (impl_->pool_probe) {
      auto now = impl_->pool_probe();
      auto& pool = impl_->pool;
      auto set = [](Gauge* g, double value) { g->Set(value); };
      set(pool.leased, static_cast<double>(now.leased));
      set(pool.available, static_cast<double>(now.available));
      set(pool.pending, static_cast<double>(now.pending));
      set(pool.max, static_cast<double>(now.max));
      set(pool.half_leased_routes,
          now.max > 0 && now.leased * 2 >= now.max && now.leased > 0);
      set(pool.max_leased_routes, now.max > 0 && now.leased >= now.max);
      set(pool.pending_routes, now.pending > 0);
    }
  }
  return prometheus::TextSerializer{}.Serialize(impl_->registry->Collect());
}

} // namespace ecr
