#pragma once

#include "core/records.hpp"

#include <caf/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecr {

struct component_health;
struct status_page;
struct status_query;

/// Fully validates `text` as one JSON value of any type (UTF-8 checked) and
/// returns it without insignificant whitespace; everything else, numbers
/// included, stays byte-identical. Fails with `ec::invalid_argument`.
caf::expected<std::string> minify_json(std::string_view text);

/// A batch body: one configuration (E5, A16) or one patch (B2) for many
/// endpoints.
struct batch_request {
  /// The payload member, minified, byte-identical otherwise.
  std::string payload;
  /// (appVersionName, endpointId) pairs, in body order.
  std::vector<std::pair<std::string, std::string>> targets;
};

/// Parses `{"<payload_member>": <any JSON>, "endpoints":
/// {"<appVersionName>": ["<endpointId>", …], …}}`: the payload required,
/// `endpoints` a non-empty object of non-empty arrays of strings.
/// Identifiers are checked by the caller. Fails with `ec::invalid_argument`
/// naming the problem.
caf::expected<batch_request>
parse_batch(std::string_view body,
            std::string_view payload_member = "configPayload");

/// A system configuration body (S1, S5, A17).
struct system_config_input {
  std::optional<std::string> name;
  std::optional<std::string> display_name;
  /// `config`, minified JSON text.
  std::string content;
};

/// Parses `{"name": …, "displayName": …, "config": …}`: `config` required,
/// either a string holding JSON (as Kaa's client sends it) or a JSON value;
/// `name` and `displayName` strings or absent (null counts as absent). Names
/// are checked by the caller. Fails with `ec::invalid_argument`.
caf::expected<system_config_input> parse_system_config(std::string_view body);

/// True for `application/json` and `application/*+json`, any parameters.
bool is_json_media_type(std::string_view content_type);

/// The EndpointConfiguration shape: configId, name, config (as a JSON
/// string), createdDate, updatedDate.
std::string render_config(const config_record& record);

/// A JSON array of EndpointConfiguration objects.
std::string render_config_list(const std::vector<config_record>& records);

/// A version of a configuration (B1): configId, revision, name, config,
/// createdDate, updatedDate, supersededDate, deleted, origin, actor; a
/// tombstone's configId and config, a current version's supersededDate and
/// an unknown actor are null.
std::string render_version(const config_version& version);

/// A Spring Data page of versions: page `number` of `size`, newest first.
std::string render_version_page(const version_page& page, int64_t number,
                                int64_t size);

/// The error body `{"message": "<message>"}`.
std::string render_message(std::string_view message);

/// A Spring Data page of ConfigurationStatus items (spec 5.3) for `query`.
std::string render_status_page(const status_page& page,
                               const status_query& query);

/// The SystemConfiguration shape: configId, name, displayName, config (as a
/// JSON string), createdAt, updatedAt.
std::string render_system_config(const system_config_record& record);

/// A Spring Data page of SystemConfiguration items: page `number` (0-based)
/// of `size` out of all `records`.
std::string render_system_config_page(
  const std::vector<system_config_record>& records, int64_t number,
  int64_t size);

/// The health body: `{"status": "UP"|"DEGRADED"|"DOWN", "components":
/// {name: {status, details?}}}`; components may be empty (liveness). Up
/// with a degraded part is DEGRADED.
std::string render_health(bool up, const std::vector<component_health>& parts);

} // namespace ecr
