#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/json_patch.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"

// B1: a configuration's versions, one of them, the difference of two, and
// rolling back to one.

namespace ecr {

namespace {

/// A query parameter naming a version (`from`, `to`) by its configId; empty
/// when absent.
caf::expected<std::string> version_param(std::string_view query,
                                         std::string_view name) {
  auto value = query_param(query, name);
  if (!value)
    return make_error(ec::invalid_argument,
                      std::string{name} + ": " + error_message(value.error()));
  if (!value->empty())
    if (auto err = check_identifier(*value, name))
      return err;
  return value;
}

/// `version_param` that must be given.
caf::expected<std::string> required_version_param(std::string_view query,
                                                  std::string_view name) {
  auto value = version_param(query, name);
  if (value && value->empty())
    return make_error(ec::invalid_argument,
                      "the " + std::string{name}
                        + " query parameter is required: a configId from "
                          "this configuration's history");
  return value;
}

/// Answers with `error`.
auto refuse(const http_reply& reply) {
  return [reply](caf::error& err) { reply(error_response(err)); };
}

} // namespace

void rest_handler::handle_history(const route_match& found,
                                  std::string_view query,
                                  const std::string& tenant,
                                  http_reply reply) const {
  auto key = key_of(found, query, tenant);
  if (!key)
    return reply(error_response(key.error()));
  auto page = query_param(query, "page");
  auto size = query_param(query, "size");
  if (!page || !size)
    return reply(error_response(!page ? page.error() : size.error()));
  int64_t number = 0;
  int64_t page_size = 20;
  if (auto err = parse_paging(*page, *size, number, page_size))
    return reply(error_response(err));
  ask<version_page>(
    cfg_.config_manager, std::move(reply),
    [number, page_size](version_page& versions) {
      if (versions.total == 0)
        return error_response(404, "this configuration has no versions");
      return json_response(200,
                           render_version_page(versions, number, page_size));
    },
    atom::history_v, std::move(*key), number, page_size);
}

void rest_handler::handle_version(const route_match& found,
                                  std::string_view query,
                                  const std::string& tenant,
                                  http_reply reply) const {
  auto key = key_of(found, query, tenant);
  if (!key)
    return reply(error_response(key.error()));
  auto config_id = path_identifier(found.params.back(), "configId");
  if (!config_id)
    return reply(error_response(config_id.error()));
  ask<config_version>(
    cfg_.config_manager, std::move(reply),
    [](config_version& version) {
      auto res = json_response(200, render_version(version));
      res.headers.emplace_back("ETag", etag(version.config_id));
      return res;
    },
    atom::get_v, std::move(*key), std::move(*config_id));
}

void rest_handler::handle_diff(const route_match& found, std::string_view query,
                               const std::string& tenant,
                               http_reply reply) const {
  auto key = key_of(found, query, tenant);
  if (!key)
    return reply(error_response(key.error()));
  auto from = required_version_param(query, "from");
  if (!from)
    return reply(error_response(from.error()));
  auto to = version_param(query, "to");
  if (!to)
    return reply(error_response(to.error()));
  run(std::move(reply), [manager = cfg_.config_manager, key = std::move(*key),
                         from = std::move(*from), to = std::move(*to)](
                          gateway_actor::pointer self, const http_reply& r) {
    self->request(manager, caf::infinite, atom::get_v, key, from)
      .then(
        [=](config_version& older) {
          auto answer = [r, older](const std::string& newer) {
            auto patch = json_diff(older.content, newer);
            if (!patch)
              return r(error_response(patch.error()));
            auto res = json_response(200, std::move(*patch));
            res.content_type = "application/json-patch+json";
            r(std::move(res));
          };
          // `to` defaults to the configuration in force now.
          if (to.empty())
            self->request(manager, caf::infinite, atom::get_v, key)
              .then([answer](config_record& now) { answer(now.content); },
                    refuse(r));
          else
            self->request(manager, caf::infinite, atom::get_v, key, to)
              .then([answer](config_version& newer) { answer(newer.content); },
                    refuse(r));
        },
        refuse(r));
  });
}

void rest_handler::handle_rollback(const http_request& req,
                                   const route_match& found,
                                   std::string_view query, const caller& who,
                                   http_reply reply) const {
  auto key = key_of(found, query, who.tenant);
  if (!key)
    return reply(error_response(key.error()));
  auto to = required_version_param(query, "to");
  if (!to)
    return reply(error_response(to.error()));
  run(std::move(reply),
      [manager = cfg_.config_manager, applications = cfg_.applications,
       key = std::move(*key), to = std::move(*to), pre = if_match(req),
       source = change_source{change_origin::rollback, who.actor}](
        gateway_actor::pointer self, const http_reply& r) {
        self->request(manager, caf::infinite, atom::get_v, key, to)
          .then(
            [=](config_version& target) {
              // Today's schema decides, not the one the version was saved
              // under.
              if (auto err = check_schema(
                    applications->current()->schema_for(key.app_version),
                    key.app_version, target.content))
                return r(error_response(err));
              // A new version with a new configId, as a PUT of that content.
              self
                ->request(manager, caf::infinite, atom::put_v, key,
                          target.content, pre, source)
                .then([r](put_result& result) {
                        r(config_response(result.record));
                      },
                      refuse(r));
            },
            refuse(r));
      });
}

} // namespace ecr
