#pragma once

#include "tests/support/python_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ecr::test {

/// Who a credential is: `credential` is a bearer token (sent as
/// `Authorization: Bearer <credential>`) or an API key (sent as
/// `X-iamcore-API-Key`); `principal` is the IRN iamcore answers for it.
struct iamcore_identity {
  enum class kind { bearer, api_key };
  kind type = kind::bearer;
  std::string credential;
  std::string principal;
};

/// A policy entry: `principal` may do `action` on `resource`, an IRN that
/// may end with `*` (then a prefix of the IRNs it covers).
struct iamcore_grant {
  std::string principal;
  std::string action;
  std::string resource;
};

/// The stand-in's routes, for answers forced by `set_answer`.
enum class iamcore_route { principal, evaluate };

/// What the stand-in has answered so far.
struct iamcore_stats {
  /// `GET /api/v1/users/me/irn` answered from the credentials.
  size_t principal_lookups = 0;
  /// `POST /api/v1/evaluate` answered from the policy.
  size_t evaluations = 0;
  /// Requests answered 500 while failing.
  size_t failed = 0;
  /// Requests given the answer of `set_answer`.
  size_t forced_answers = 0;
  /// Each evaluation, oldest first: "<principal> <action> <IRN>[,<IRN>...]
  /// <outcome>", the outcome being allowed, denied or unknown (no principal
  /// for the credential; principal "-").
  std::vector<std::string> decisions;
  /// Requests of a shape iamcore does not take, answered 400:
  /// "<method> <path>: <why>".
  std::vector<std::string> rejected;
};

/// The iamcore routes ECR calls (principal look-up and evaluation), as a
/// small Python server (iamcore_stand_in.py) on 127.0.0.1. It checks that
/// requests have the shape iamcore takes. What it serves is re-read on every
/// request, so a test changes it mid-run. The constructor returns once the
/// server listens; the destructor stops it by PID. It starts with no
/// credentials and an empty policy.
class iamcore_stand_in {
public:
  iamcore_stand_in();

  iamcore_stand_in(const iamcore_stand_in&) = delete;
  iamcore_stand_in& operator=(const iamcore_stand_in&) = delete;

  uint16_t port() const noexcept {
    return server_.port();
  }

  /// `http://127.0.0.1:<port>`, the base URL of the API.
  std::string url() const;

  /// Replaces the known credentials.
  void set_credentials(const std::vector<iamcore_identity>& identities);

  /// Replaces the policy.
  void set_policy(const std::vector<iamcore_grant>& grants);

  /// Makes `route` answer every well-formed request with `status` and
  /// `body`; 0 goes back to normal.
  void set_answer(iamcore_route route, int status, const std::string& body = {});

  /// Answers every request with 500 while set.
  void set_failing(bool failing);

  iamcore_stats stats() const;

  /// SIGTERM by PID, then reaps: the port refuses connections afterwards.
  void stop();

private:
  /// Replaces file `name` of the served directory atomically.
  void write(const std::string& name, const std::string& content);

  temp_dir dir_{"ecr-iamcore"};
  python_stand_in server_;
};

} // namespace ecr::test
