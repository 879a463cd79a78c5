#include "tests/e2e/nats_helpers.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace ecr::test {

namespace {

/// Decoding limit for what ecr sends us; far above any test payload.
constexpr size_t max_decoded_payload = 64 * 1024 * 1024;

/// How long a batch of events stays open after its barrier (see
/// config_events).
constexpr auto straggler_grace = 150ms;

const std::regex iso_utc_millis(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");

/// Finds `name` in `v` when it has type `is`; records a failure otherwise.
const rapidjson::Value* member(const rapidjson::Value& v, const char* name,
                               bool (rapidjson::Value::*is)() const, const char* type) {
  if (!v.IsObject()) {
    ADD_FAILURE() << "not a JSON object where \"" << name << "\" was expected";
    return nullptr;
  }
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) {
    ADD_FAILURE() << "missing member \"" << name << "\"";
    return nullptr;
  }
  if (!(it->value.*is)()) {
    ADD_FAILURE() << "member \"" << name << "\" is not " << type;
    return nullptr;
  }
  return &it->value;
}

int64_t int_member(const rapidjson::Value& v, const char* name) {
  auto m = member(v, name, &rapidjson::Value::IsInt64, "an integer");
  return m ? m->GetInt64() : -1;
}

bool bool_member(const rapidjson::Value& v, const char* name) {
  auto m = member(v, name, &rapidjson::Value::IsBool, "a boolean");
  return m && m->GetBool();
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  auto m = member(v, name, &rapidjson::Value::IsString, "a string");
  return m ? std::string(m->GetString(), m->GetStringLength()) : std::string{};
}

/// A member that is null or a string.
std::optional<std::string> nullable_string(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) {
    ADD_FAILURE() << "missing member \"" << name << "\"";
    return std::nullopt;
  }
  if (it->value.IsNull())
    return std::nullopt;
  if (!it->value.IsString()) {
    ADD_FAILURE() << "member \"" << name << "\" is neither null nor a string";
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> nullable_date(const rapidjson::Value& v, const char* name) {
  auto date = nullable_string(v, name);
  if (date) {
    EXPECT_TRUE(std::regex_match(*date, iso_utc_millis)) << name << ": " << *date;
  }
  return date;
}

/// Spring's sort object; the service always sorts (by default on
/// lastDispatchedDate), so it is always "sorted".
void expect_sorted(const rapidjson::Value& v) {
  EXPECT_TRUE(bool_member(v, "sorted"));
  EXPECT_FALSE(bool_member(v, "unsorted"));
  EXPECT_FALSE(bool_member(v, "empty"));
}

status_record to_status_record(const rapidjson::Value& v) {
  status_record r;
  if (!v.IsObject()) {
    ADD_FAILURE() << "status record is not a JSON object";
    return r;
  }
  EXPECT_EQ(v.MemberCount(), 9u) << "expected exactly the nine fields of section 5.3";
  r.config_id = string_member(v, "configId");
  r.endpoint_id = string_member(v, "endpointId");
  r.app_version_name = string_member(v, "appVersionName");
  r.status = string_member(v, "status");
  EXPECT_TRUE(r.status == "DISPATCHED" || r.status == "CONFIRMED" || r.status == "FAILED")
    << "status: " << r.status;
  r.config = string_member(v, "config");
  r.last_dispatched_date = nullable_date(v, "lastDispatchedDate");
  r.last_confirmed_date = nullable_date(v, "lastConfirmedDate");
  auto code = v.FindMember("confirmationStatusCode");
  if (code == v.MemberEnd())
    ADD_FAILURE() << "missing member \"confirmationStatusCode\"";
  else if (code->value.IsInt())
    r.confirmation_status_code = code->value.GetInt();
  else if (!code->value.IsNull())
    ADD_FAILURE() << "confirmationStatusCode is neither null nor an integer";
  r.confirmation_reason_phrase = nullable_string(v, "confirmationReasonPhrase");
  return r;
}

std::string describe(const status_page& page) {
  std::ostringstream out;
  out << "page " << page.number << " of " << page.total_pages << " (" << page.total_elements
      << " records):";
  for (const auto& r : page.content)
    out << "\n  " << r;
  return out.str();
}

} // namespace

// -- subjects -----------------------------------------------------------------

std::string cdtp_request_subject(const std::string& instance) {
  return "kaa.v1.service." + instance + ".cdtp.request";
}

std::string config_updated_subject(const std::string& name, const std::string& instance) {
  auto base = "kaa.v1.events." + instance + ".endpoint.config.updated";
  return name == "default" ? base : base + "." + name;
}

std::string config_events_wildcard(const std::string& instance) {
  return "kaa.v1.events." + instance + ".endpoint.config.>";
}

std::string config_applied_subject(const std::string& consumer) {
  return "kaa.v1.events." + consumer + ".endpoint.config.applied";
}

std::string endpoint_unregistered_subject(const std::string& epr) {
  return "kaa.v1.events." + epr + ".endpoint.lifecycle.unregistered";
}

std::string tenant_unregistered_subject(const std::string& tenant_manager) {
  return "kaa.v1.events." + tenant_manager + ".tenant.lifecycle.unregistered";
}

std::string tenant_updated_subject(const std::string& tenant_manager) {
  return "kaa.v1.events." + tenant_manager + ".tenant.lifecycle.updated";
}

std::vector<std::string> consumed_subjects(const ecr_names& names) {
  return {cdtp_request_subject(names.instance), config_applied_subject(names.consumer),
          endpoint_unregistered_subject(names.epr),
          tenant_unregistered_subject(names.tenant_manager)};
}

bool wait_for_ecr_subscriptions(nats_server& server, size_t replicas, const ecr_names& names) {
  auto subjects = consumed_subjects(names);
  std::vector<nats_connection_info> seen;
  auto ready = poll_until([&] {
    seen = server.connections();
    return std::all_of(subjects.begin(), subjects.end(), [&](const std::string& subject) {
      size_t count = 0;
      for (const auto& c : seen)
        count += std::count_if(c.subscriptions.begin(), c.subscriptions.end(),
                               [&](const auto& s) { return s.subject == subject; });
      return count >= replicas;
    });
  });
  if (ready)
    return true;
  std::ostringstream out;
  for (const auto& c : seen) {
    out << "\n  connection \"" << c.name << "\":";
    for (const auto& s : c.subscriptions)
      out << " " << s.subject << (s.queue_group.empty() ? "" : " [" + s.queue_group + "]");
  }
  ADD_FAILURE() << "ecr never subscribed " << replicas << "x to each of its subjects; "
                << "the server sees:" << out.str();
  return false;
}

bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  // A check that fails an assertion would fail it on every round.
  auto failures = [] {
    return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
  };
  auto failures_before = failures();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done())
      return true;
    if (failures() > failures_before)
      return false;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
}

int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string new_correlation_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream out;
  out << std::hex << rng() << rng();
  return out.str();
}

// -- REST ---------------------------------------------------------------------

readiness get_readiness(http_client& c) {
  auto r = c.get("/health/ready");
  readiness result{r.status, {}, {}, r.body};
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("components")
      || !doc["components"].IsObject())
    return result;
  auto component = [&](const char* name) -> std::string {
    const auto& components = doc["components"];
    auto it = components.FindMember(name);
    if (it == components.MemberEnd() || !it->value.IsObject())
      return {};
    auto status = it->value.FindMember("status");
    return status != it->value.MemberEnd() && status->value.IsString()
             ? status->value.GetString()
             : "";
  };
  result.storage = component("storage");
  result.nats = component("nats");
  return result;
}

readiness wait_for_readiness(http_client& c, int http_status) {
  readiness last;
  if (!poll_until([&] {
        last = get_readiness(c);
        return last.http_status == http_status;
      }))
    ADD_FAILURE() << "/health/ready never answered " << http_status << "; last: "
                  << last.http_status << " " << last.body;
  return last;
}

// -- CDTP ---------------------------------------------------------------------

avro::config_request make_config_request(const std::string& endpoint,
                                         const std::string& app_version,
                                         std::optional<std::string> config_id,
                                         std::optional<std::string> config_name) {
  avro::config_request r;
  r.correlation_id = new_correlation_id();
  r.timestamp = now_millis();
  r.app_version_name = app_version;
  r.endpoint_id = endpoint;
  r.config_id = std::move(config_id);
  r.config_name = std::move(config_name);
  return r;
}

std::optional<avro::config_response> decode_config_response(const std::string& bytes) {
  auto decoded = avro::decode<avro::config_response>(bytes, max_decoded_payload);
  if (!decoded) {
    ADD_FAILURE() << "reply is not a ConfigResponse: " << error_message(decoded.error());
    return std::nullopt;
  }
  return std::move(*decoded);
}

void expect_echo(const avro::config_response& response, const avro::config_request& request,
                 int64_t sent_ms, int64_t received_ms) {
  EXPECT_EQ(response.correlation_id, request.correlation_id);
  EXPECT_EQ(response.app_version_name, request.app_version_name);
  EXPECT_EQ(response.endpoint_id, request.endpoint_id);
  EXPECT_EQ(response.timeout, 0);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_GE(response.timestamp, sent_ms) << "the reply's timestamp is not 'now'";
  EXPECT_LE(response.timestamp, received_ms) << "the reply's timestamp is not 'now'";
}

std::optional<avro::config_response> cdtp(nats_test_client& client,
                                          const avro::config_request& request,
                                          std::chrono::milliseconds timeout,
                                          const std::string& instance) {
  auto sent = now_millis();
  auto bytes = client.request(cdtp_request_subject(instance), avro::encode(request), timeout);
  auto received = now_millis();
  if (!bytes)
    return std::nullopt;
  auto response = decode_config_response(*bytes);
  if (response)
    expect_echo(*response, request, sent, received);
  return response;
}

void expect_config_sent(const std::optional<avro::config_response>& response,
                        const std::string& config_id, const std::string& content) {
  ASSERT_TRUE(response) << "no CDTP reply";
  EXPECT_EQ(response->status_code, 200);
  EXPECT_EQ(response->reason_phrase.value_or("<null>"), "OK");
  EXPECT_EQ(response->config_id.value_or("<null>"), config_id);
  EXPECT_EQ(response->content.value_or("<null>"), content);
}

void expect_no_config(const std::optional<avro::config_response>& response, int status,
                      const std::string& reason) {
  ASSERT_TRUE(response) << "no CDTP reply";
  EXPECT_EQ(response->status_code, status);
  EXPECT_EQ(response->reason_phrase.value_or("<null>"), reason);
  EXPECT_FALSE(response->config_id) << *response->config_id;
  EXPECT_FALSE(response->content) << *response->content;
}

// -- statuses -----------------------------------------------------------------

std::ostream& operator<<(std::ostream& out, const status_record& r) {
  return out << "{" << r.endpoint_id << "/" << r.app_version_name << "/" << r.config_id << " "
             << r.status << " dispatched=" << r.last_dispatched_date.value_or("null")
             << " confirmed=" << r.last_confirmed_date.value_or("null") << " code="
             << (r.confirmation_status_code ? std::to_string(*r.confirmation_status_code)
                                            : "null")
             << " reason=" << r.confirmation_reason_phrase.value_or("null")
             << " config=" << r.config << "}";
}

std::optional<status_record> status_page::find(const std::string& config_id) const {
  for (const auto& r : content)
    if (r.config_id == config_id)
      return r;
  return std::nullopt;
}

status_page get_statuses(http_client& c, const std::string& query) {
  auto r = c.get(api + "/statuses?" + query);
  status_page page;
  EXPECT_EQ(r.status, 200) << query << ": " << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  if (r.status != 200)
    return page;
  auto doc = parse_json(r.body);
  if (!doc.IsObject()) {
    ADD_FAILURE() << "status page is not a JSON object: " << r.body;
    return page;
  }
  SCOPED_TRACE("GET /statuses?" + query + " -> " + r.body.substr(0, 2048));
  EXPECT_EQ(doc.MemberCount(), 11u) << "expected exactly the eleven fields of a Spring page";
  if (auto content = member(doc, "content", &rapidjson::Value::IsArray, "an array"))
    for (const auto& item : content->GetArray())
      page.content.push_back(to_status_record(item));
  page.total_elements = int_member(doc, "totalElements");
  page.total_pages = int_member(doc, "totalPages");
  page.size = int_member(doc, "size");
  page.number = int_member(doc, "number");
  page.number_of_elements = int_member(doc, "numberOfElements");
  page.first = bool_member(doc, "first");
  page.last = bool_member(doc, "last");
  page.empty = bool_member(doc, "empty");
  if (auto sort = member(doc, "sort", &rapidjson::Value::IsObject, "an object"))
    expect_sorted(*sort);
  if (auto pageable = member(doc, "pageable", &rapidjson::Value::IsObject, "an object")) {
    if (auto sort = member(*pageable, "sort", &rapidjson::Value::IsObject, "an object"))
      expect_sorted(*sort);
    EXPECT_EQ(int_member(*pageable, "offset"), page.number * page.size);
    EXPECT_EQ(int_member(*pageable, "pageNumber"), page.number);
    EXPECT_EQ(int_member(*pageable, "pageSize"), page.size);
    EXPECT_TRUE(bool_member(*pageable, "paged"));
    EXPECT_FALSE(bool_member(*pageable, "unpaged"));
  }
  EXPECT_EQ(page.number_of_elements, static_cast<int64_t>(page.content.size()));
  EXPECT_LE(page.number_of_elements, page.size);
  if (page.size > 0) {
    EXPECT_EQ(page.total_pages, (page.total_elements + page.size - 1) / page.size);
  }
  EXPECT_EQ(page.first, page.number == 0);
  EXPECT_EQ(page.last, page.number + 1 >= page.total_pages);
  EXPECT_EQ(page.empty, page.content.empty());
  return page;
}

status_page wait_for_statuses(http_client& c, const std::string& query,
                              const std::function<bool(const status_page&)>& done) {
  status_page page;
  if (!poll_until([&] {
        page = get_statuses(c, query);
        return done(page);
      }))
    ADD_FAILURE() << "GET /statuses?" << query << " never reached the expected state; last "
                  << describe(page);
  return page;
}

status_record wait_for_status(http_client& c, const std::string& endpoint,
                              const std::string& config_id, const std::string& status) {
  auto page = wait_for_statuses(c, "endpointId=" + endpoint + "&size=1000",
                                [&](const status_page& p) {
                                  auto r = p.find(config_id);
                                  return r && r->status == status;
                                });
  return page.find(config_id).value_or(status_record{});
}

// -- publishing ---------------------------------------------------------------

std::string config_applied_payload(const std::string& endpoint, const std::string& app_version,
                                   const std::string& config_id, int32_t status_code,
                                   std::optional<std::string> reason) {
  avro::config_applied e;
  e.correlation_id = new_correlation_id();
  e.timestamp = now_millis();
  e.app_version_name = app_version;
  e.endpoint_id = endpoint;
  e.config_id = config_id;
  e.originator_replica_id = "cmx-test";
  e.status_code = status_code;
  e.reason_phrase = std::move(reason);
  return avro::encode(e);
}

std::string endpoint_unregistered_payload(const std::string& endpoint,
                                          const std::string& app_version) {
  avro::endpoint_unregistered_event e;
  e.correlation_id = new_correlation_id();
  e.timestamp = now_millis();
  e.app_version_name = app_version;
  e.endpoint_id = endpoint;
  e.originator_replica_id = "epr-test";
  return avro::encode(e);
}

namespace {

/// 21/TLE events share their fields.
template <class TenantEvent>
std::string tenant_event_payload(const std::string& tenant) {
  TenantEvent e;
  e.correlation_id = new_correlation_id();
  e.timestamp = now_millis();
  e.tenant_id = tenant;
  e.originator_replica_id = "tm-test";
  return avro::encode(e);
}

} // namespace

std::string tenant_unregistered_payload(const std::string& tenant) {
  return tenant_event_payload<avro::tenant_unregistered_event>(tenant);
}

std::string tenant_updated_payload(const std::string& tenant) {
  return tenant_event_payload<avro::tenant_updated_event>(tenant);
}

// -- config.updated events ----------------------------------------------------

config_events::config_events(nats_test_client& client, http_client& http,
                             const std::string& instance)
  : http_(http), sub_(client.subscribe(config_events_wildcard(instance))) {
}

std::vector<config_event> config_events::next_batch() {
  static const std::string barrier_endpoint = "barrier-endpoint";
  // Unique content, so that even another client's barrier never makes this
  // PUT an unchanged (silent) one.
  auto barrier = put_config(http_, api, endpoint_key(barrier_endpoint, "barrier-app-version"),
                            "{\"barrier\":\"" + new_correlation_id() + "\"}");
  std::vector<config_event> batch;
  auto deadline = std::chrono::steady_clock::now() + nats_wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto msg = sub_->next(std::max(left, 0ms));
    if (!msg) {
      ADD_FAILURE() << "the barrier's config.updated event (configId " << barrier.config_id
                    << ") never arrived";
      return batch;
    }
    auto decoded = avro::decode<avro::config_updated>(msg->payload, max_decoded_payload);
    if (!decoded) {
      ADD_FAILURE() << "not a ConfigUpdated on " << msg->subject << ": "
                    << error_message(decoded.error());
      continue;
    }
    if (decoded->endpoint_id != barrier_endpoint)
      batch.push_back({msg->subject, std::move(*decoded)});
    else if (decoded->config_id == barrier.config_id)
      break;
  }
  for (auto& msg : sub_->take_for(straggler_grace)) {
    auto decoded = avro::decode<avro::config_updated>(msg.payload, max_decoded_payload);
    if (decoded && decoded->endpoint_id != barrier_endpoint)
      batch.push_back({msg.subject, std::move(*decoded)});
  }
  return batch;
}

std::ostream& operator<<(std::ostream& out, const config_event& e) {
  return out << "{" << e.subject << ": " << e.event.endpoint_id << "/"
             << e.event.app_version_name << " configId=" << e.event.config_id
             << " content=" << e.event.content << "}";
}

void expect_no_events(const std::vector<config_event>& batch, const std::string& why) {
  std::ostringstream out;
  for (const auto& e : batch)
    out << "\n  " << e;
  EXPECT_TRUE(batch.empty()) << why << "; got " << batch.size() << " events:" << out.str();
}

void config_events::expect_envelope(const config_event& e,
                                    const std::optional<std::string>& replica_id) {
  EXPECT_FALSE(e.event.correlation_id.empty());
  EXPECT_EQ(e.event.timeout, 0);
  EXPECT_GT(e.event.timestamp, 0);
  EXPECT_EQ(e.event.content_type, "application/json");
  if (replica_id) {
    EXPECT_EQ(e.event.originator_replica_id.value_or("<null>"), *replica_id);
  }
}

std::optional<config_event> only_event_for(const std::vector<config_event>& batch,
                                           const std::string& endpoint) {
  std::vector<config_event> matching;
  for (const auto& e : batch)
    if (e.event.endpoint_id == endpoint)
      matching.push_back(e);
  EXPECT_EQ(matching.size(), 1u) << "config.updated events for " << endpoint;
  if (matching.empty())
    return std::nullopt;
  return matching.front();
}

// -- fixture ------------------------------------------------------------------

void nats_e2e::SetUp() {
  auto options = ecr_binary(ecr_env());
  options.nats_urls = nats_.url();
  ecr_ = std::make_unique<ecr_process>(std::move(options));
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats_, 1, names()));
  client_ = std::make_unique<nats_test_client>(nats_.url());
}

void expect_each_answered_once(const std::vector<nats_received>& received,
                               const std::map<std::string, std::string>& endpoint_of,
                               const std::map<std::string, stored_config>& stored) {
  std::map<std::string, int> answers;
  for (const auto& msg : received) {
    auto response = decode_config_response(msg.payload);
    if (!response)
      continue;
    ++answers[response->correlation_id];
    auto endpoint = endpoint_of.find(response->correlation_id);
    if (endpoint == endpoint_of.end()) {
      ADD_FAILURE() << "reply with unknown correlationId " << response->correlation_id;
      continue;
    }
    EXPECT_EQ(response->endpoint_id, endpoint->second);
    const auto& expected = stored.at(endpoint->second);
    expect_config_sent(response, expected.config_id, expected.config);
  }
  EXPECT_EQ(answers.size(), endpoint_of.size()) << "requests without a reply";
  for (const auto& [id, count] : answers)
    EXPECT_EQ(count, 1) << "correlationId " << id << " answered " << count << " times";
}

} // namespace ecr::test
