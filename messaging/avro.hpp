#pragma once

#include <caf/expected.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

/// Plain Avro binary codecs of the Kaa RFC records ECR exchanges over NATS.
/// One NATS message is one record: its fields in schema order, with no object
/// container header and no single-object prefix. The field lists below mirror
/// our schema copies in tests/data/avro/schemas/, which are the wire contract.
///
/// Each record has a `fields(f, record)` list, used by encoding, decoding and
/// the tests alike. It calls `f(avro_field_name, member)` per field, where a
/// member is one of: `int64_t` (long), `int32_t` (int), `std::string`
/// (string), `std::optional<std::string>` (["null","string"]),
/// `bytes_field<...>` over either string type (bytes), or `string_lists`
/// (map of arrays of strings). Defaults of the C++ members are the schema's.
namespace ecr::avro {

/// Avro `{"type":"map","values":{"type":"array","items":"string"}}`.
using string_lists = std::map<std::string, std::vector<std::string>>;

/// Marks a `std::string` or `std::optional<std::string>` member as Avro
/// `bytes`: same wire form as `string`, but no UTF-8 requirement.
template <class T>
struct bytes_field {
  T& value;
};

template <class T>
bytes_field<T> as_bytes(T& x) {
  return {x};
}

/// `R` is `T` or `const T`, so one field list serves reading and writing.
template <class R, class T>
concept record_ref = std::same_as<std::remove_const_t<R>, T>;

// -- RFC 6 (CDTP): configuration data transport -------------------------------

struct config_request {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.cdtp.gen.v1.ConfigRequest";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::optional<std::string> config_id;
  std::optional<std::string> config_name;
  bool operator==(const config_request&) const = default;
};

template <class F, record_ref<config_request> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("configId", x.config_id);
  f("configName", x.config_name);
}

struct config_response {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.cdtp.gen.v1.ConfigResponse";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::optional<std::string> config_id;
  std::string content_type = "application/json";
  std::optional<std::string> content;
  int32_t status_code = 0;
  std::optional<std::string> reason_phrase;
  bool operator==(const config_response&) const = default;
};

template <class F, record_ref<config_response> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("configId", x.config_id);
  f("contentType", x.content_type);
  f("content", as_bytes(x.content));
  f("statusCode", x.status_code);
  f("reasonPhrase", x.reason_phrase);
}

struct config_updated {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.endpoint.config.ConfigUpdated";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::string config_id;
  std::string content_type = "application/json";
  std::string content;
  std::optional<std::string> originator_replica_id;
  bool operator==(const config_updated&) const = default;
};

template <class F, record_ref<config_updated> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("configId", x.config_id);
  f("contentType", x.content_type);
  f("content", as_bytes(x.content));
  f("originatorReplicaId", x.originator_replica_id);
}

struct config_applied {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.endpoint.config.ConfigApplied";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::string config_id;
  std::optional<std::string> originator_replica_id;
  int32_t status_code = 200;
  std::optional<std::string> reason_phrase;
  bool operator==(const config_applied&) const = default;
};

template <class F, record_ref<config_applied> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("configId", x.config_id);
  f("originatorReplicaId", x.originator_replica_id);
  f("statusCode", x.status_code);
  f("reasonPhrase", x.reason_phrase);
}

// -- RFC 9 (ELCE): endpoint lifecycle events ----------------------------------

struct endpoint_registered_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.endpoint.lifecycle.RegisteredEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::string originator_replica_id;
  bool operator==(const endpoint_registered_event&) const = default;
};

template <class F, record_ref<endpoint_registered_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("originatorReplicaId", x.originator_replica_id);
}

struct endpoint_unregistered_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.endpoint.lifecycle.UnregisteredEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string endpoint_id;
  std::string originator_replica_id;
  bool operator==(const endpoint_unregistered_event&) const = default;
};

template <class F, record_ref<endpoint_unregistered_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("endpointId", x.endpoint_id);
  f("originatorReplicaId", x.originator_replica_id);
}

struct endpoint_app_version_updated_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.endpoint.lifecycle."
      "AppVersionUpdatedEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string app_version_name;
  std::string previous_app_version_name;
  std::string endpoint_id;
  std::string originator_replica_id;
  bool operator==(const endpoint_app_version_updated_event&) const = default;
};

template <class F, record_ref<endpoint_app_version_updated_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("appVersionName", x.app_version_name);
  f("previousAppVersionName", x.previous_app_version_name);
  f("endpointId", x.endpoint_id);
  f("originatorReplicaId", x.originator_replica_id);
}

// -- RFC 17 (SCMP): service configuration updates -----------------------------

struct broadcast_configuration_update_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.scmp.event.gen.v1.service.configuration."
      "BroadcastConfigurationUpdateEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  std::string originator_replica_id;
  std::optional<std::string> tenant_id;
  std::optional<std::string> app_name;
  std::optional<std::string> app_version_name;
  bool operator==(const broadcast_configuration_update_event&) const = default;
};

template <class F, record_ref<broadcast_configuration_update_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("originatorReplicaId", x.originator_replica_id);
  f("tenantID", x.tenant_id);
  f("appName", x.app_name);
  f("appVerName", x.app_version_name);
}

struct service_specific_configuration_update_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.scmp.event.gen.v1.service.configuration."
      "ServiceSpecificConfigurationUpdateEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  std::string tenant_id;
  std::optional<std::string> app_name;
  std::optional<std::string> app_version_name;
  bool operator==(const service_specific_configuration_update_event&) const
    = default;
};

template <class F, record_ref<service_specific_configuration_update_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("tenantID", x.tenant_id);
  f("appName", x.app_name);
  f("appVerName", x.app_version_name);
}

// -- RFC 20 (EFMP): endpoint filter matching ----------------------------------

struct endpoint_list_by_filter_request {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.efmp.gen.v1.EndpointListByFilterRequest";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string filter_id;
  bool operator==(const endpoint_list_by_filter_request&) const = default;
};

template <class F, record_ref<endpoint_list_by_filter_request> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("filterId", x.filter_id);
}

struct endpoint_list_by_filter_response {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.efmp.gen.v1.EndpointListByFilterResponse";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string filter_id;
  /// Application version name -> IDs of its endpoints that match the filter.
  string_lists app_versions_to_endpoints;
  int32_t status_code = 0;
  std::optional<std::string> reason_phrase;
  bool operator==(const endpoint_list_by_filter_response&) const = default;
};

template <class F, record_ref<endpoint_list_by_filter_response> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("filterId", x.filter_id);
  f("appVersionsToEndpoints", x.app_versions_to_endpoints);
  f("statusCode", x.status_code);
  f("reasonPhrase", x.reason_phrase);
}

// -- RFC 21 (TLE): tenant lifecycle events ------------------------------------

struct tenant_unregistered_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.tenant.lifecycle.UnregisteredEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string tenant_id;
  std::string originator_replica_id;
  bool operator==(const tenant_unregistered_event&) const = default;
};

template <class F, record_ref<tenant_unregistered_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("tenantId", x.tenant_id);
  f("originatorReplicaId", x.originator_replica_id);
}

struct tenant_updated_event {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.tenant.lifecycle.UpdatedEvent";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string tenant_id;
  std::string originator_replica_id;
  bool operator==(const tenant_updated_event&) const = default;
};

template <class F, record_ref<tenant_updated_event> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("tenantId", x.tenant_id);
  f("originatorReplicaId", x.originator_replica_id);
}

// -- RFC 27 (SCMP): system configuration events -------------------------------

struct system_config_updated {
  static constexpr std::string_view avro_name
    = "org.kaaproject.ipc.event.gen.v1.system.config.SystemConfigUpdated";
  std::string correlation_id;
  int64_t timestamp = 0;
  int64_t timeout = 0;
  std::string tenant_id;
  std::string config_name;
  /// A plain Avro string in the schema (TENANT, APPLICATION, ...), not an enum.
  std::string config_level;
  std::string config_level_id;
  std::string content_type = "application/json";
  std::string content;
  std::optional<std::string> originator_replica_id;
  bool operator==(const system_config_updated&) const = default;
};

template <class F, record_ref<system_config_updated> R>
void fields(F& f, R& x) {
  f("correlationId", x.correlation_id);
  f("timestamp", x.timestamp);
  f("timeout", x.timeout);
  f("tenantId", x.tenant_id);
  f("configName", x.config_name);
  f("configLevel", x.config_level);
  f("configLevelId", x.config_level_id);
  f("contentType", x.content_type);
  f("content", as_bytes(x.content));
  f("originatorReplicaId", x.originator_replica_id);
}

// -- codec --------------------------------------------------------------------

// Encoding cannot fail. Strings must hold UTF-8: the decoders of other Kaa
// services reject anything else.
/// The plain Avro binary encoding of `x` (instantiated for every record
/// above).
template <class T>
std::string encode(const T& x);

/// Decodes one record of type `T` (instantiated for every record above).
/// Treats `bytes` as hostile: payloads over `max_payload_bytes`, malformed or
/// truncated encodings, non-UTF-8 strings and trailing bytes all yield
/// `ec::invalid_argument` with the record, field and reason. Memory use stays
/// proportional to the payload size.
template <class T>
caf::expected<T> decode(std::string_view bytes, size_t max_payload_bytes);

} // namespace ecr::avro
