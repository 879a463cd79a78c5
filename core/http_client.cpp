#include "core/http_client.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

// Plain function declarations: the type-checking macros would hide the
// names this file takes the addresses of.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <dlfcn.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace ecr {

namespace {

using clock_type = std::chrono::steady_clock;

/// libcurl, loaded on first use. Linking it would map some thirty libraries
/// (TLS, LDAP, RTMP, ...) into every process: 6 MiB of idle memory, while
/// only optional features (Tekton) make outbound calls.
struct curl_library {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_reset) easy_reset = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  /// Why libcurl is unusable; empty when loaded.
  std::string problem;
};

template <class Function>
bool bind(void* library, const char* name, Function& target) {
  target = reinterpret_cast<Function>(dlsym(library, name));
  return target != nullptr;
}

curl_library load_curl() {
  curl_library lib;
  auto* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    lib.problem = std::string{"libcurl (Debian package libcurl4) cannot be "
                              "loaded: "}
                  + dlerror();
    return lib;
  }
  bool complete = bind(library, "curl_global_init", lib.global_init)
                  && bind(library, "curl_easy_init", lib.easy_init)
                  && bind(library, "curl_easy_cleanup", lib.easy_cleanup)
                  && bind(library, "curl_easy_reset", lib.easy_reset)
                  && bind(library, "curl_easy_setopt", lib.easy_setopt)
                  && bind(library, "curl_easy_perform", lib.easy_perform)
                  && bind(library, "curl_easy_getinfo", lib.easy_getinfo)
                  && bind(library, "curl_easy_strerror", lib.easy_strerror)
                  && bind(library, "curl_slist_append", lib.slist_append)
                  && bind(library, "curl_slist_free_all", lib.slist_free_all);
  if (!complete) {
    lib.problem = "libcurl.so.4 lacks a function ECR needs";
    return lib;
  }
  if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    lib.problem = "libcurl failed to initialise";
  return lib;
}

/// The process's libcurl; loaded and initialised once, on first use.
const curl_library& curl() {
  static const curl_library lib = load_curl();
  return lib;
}

/// Collects a response body up to a bound.
struct body_sink {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto& sink = *static_cast<body_sink*>(user);
  auto bytes = size * count;
  if (sink.body.size() + bytes > sink.max_bytes) {
    sink.too_large = true;
    return 0; // libcurl stops with CURLE_WRITE_ERROR
  }
  sink.body.append(data, bytes);
  return bytes;
}

ec error_code_of(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ec::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return ec::unavailable;
    default:
      return ec::upstream_failure;
  }
}

/// Frees a header list however the request ends.
struct header_list {
  curl_slist* head = nullptr;
  ~header_list() {
    if (head)
      curl().slist_free_all(head);
  }
};

long milliseconds(clock_type::duration d) {
  return static_cast<long>(
    std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d)
                           .count()));
}

} // namespace

struct outbound_http_client::impl {
  outbound_http_options options;
  mutable std::mutex mutex;
  std::condition_variable handle_returned;
  std::vector<CURL*> idle;
  size_t created = 0;
  size_t leased = 0;
  size_t pending = 0;

  ~impl() {
    for (auto* handle : idle)
      curl().easy_cleanup(handle);
  }

  /// A handle, waiting until `deadline` for one when all are leased; null
  /// when none came in time.
  caf::expected<CURL*> lease(clock_type::time_point deadline) {
    std::unique_lock<std::mutex> guard{mutex};
    auto free = [this] {
      return !idle.empty() || created < options.max_handles;
    };
    if (!free()) {
      ++pending;
      auto got = handle_returned.wait_until(guard, deadline, free);
      --pending;
      if (!got)
        return make_error(ec::timeout, "no free HTTP connection within "
                                         + std::to_string(options.timeout.count())
                                         + " ms");
    }
    CURL* handle = nullptr;
    if (!idle.empty()) {
      handle = idle.back();
      idle.pop_back();
    } else {
      if (const auto& problem = curl().problem; !problem.empty())
        return make_error(ec::unavailable, problem);
      handle = curl().easy_init();
      if (!handle)
        return make_error(ec::upstream_failure, "cannot create a libcurl handle");
      ++created;
    }
    ++leased;
    return handle;
  }

  void give_back(CURL* handle) {
    {
      std::lock_guard<std::mutex> guard{mutex};
      idle.push_back(handle);
      --leased;
    }
    handle_returned.notify_one();
  }

  /// One request: a GET when `body` is null, else a POST of it.
  caf::expected<outbound_http_response>
  perform(const std::string& url, const std::string* body,
          const std::vector<std::string>& headers) {
    auto deadline = clock_type::now() + options.timeout;
    auto leased = lease(deadline);
    if (!leased)
      return leased.error();
    auto* handle = *leased;
    struct returner {
      impl& pool;
      CURL* handle;
      ~returner() {
        pool.give_back(handle);
      }
    } give_back_later{*this, handle};
    // A reset keeps the handle's open connections and DNS cache: that is
    // what makes the pool worth having.
    curl().easy_reset(handle);
    header_list list;
    for (const auto& header : headers)
      list.head = curl().slist_append(list.head, header.c_str());
    body_sink sink;
    sink.max_bytes = options.max_body_bytes;
    char reason[CURL_ERROR_SIZE] = {0};
    auto remaining = deadline - clock_type::now();
    curl().easy_setopt(handle, CURLOPT_URL, url.c_str());
    if (body) {
      // Sent from the caller's string, which outlives the transfer.
      curl().easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(body->size()));
      curl().easy_setopt(handle, CURLOPT_POSTFIELDS, body->data());
    } else {
      curl().easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    }
    // Timeouts must not use signals: other threads run in this process.
    curl().easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                       milliseconds(std::min<clock_type::duration>(
                         options.connect_timeout, remaining)));
    curl().easy_setopt(handle, CURLOPT_TIMEOUT_MS, milliseconds(remaining));
    curl().easy_setopt(handle, CURLOPT_HTTPHEADER, list.head);
    curl().easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
    curl().easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
    curl().easy_setopt(handle, CURLOPT_ERRORBUFFER, reason);
    auto code = curl().easy_perform(handle);
    auto what = (body ? "POST " : "GET ") + redact_url(url) + ": ";
    if (code != CURLE_OK) {
      if (sink.too_large)
        return make_error(ec::upstream_failure,
                          what + "response body over "
                            + std::to_string(options.max_body_bytes) + " bytes");
      return make_error(error_code_of(code),
                        what + (reason[0] ? reason : curl().easy_strerror(code)));
    }
    outbound_http_response response;
    curl().easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
    response.body = std::move(sink.body);
    return response;
  }
};

void outbound_http_client::global_init() {
  if (const auto& problem = curl().problem; !problem.empty())
    ECR_WARN("outbound HTTP: {}", problem);
}

outbound_http_client::outbound_http_client(outbound_http_options options)
  : impl_(std::make_unique<impl>()) {
  impl_->options = options;
  impl_->options.max_handles = std::max<size_t>(1, options.max_handles);
}

outbound_http_client::~outbound_http_client() = default;

caf::expected<outbound_http_response>
outbound_http_client::get(const std::string& url,
                          const std::vector<std::string>& headers) {
  return impl_->perform(url, nullptr, headers);
}

caf::expected<outbound_http_response>
outbound_http_client::post(const std::string& url, const std::string& body,
                           const std::string& content_type,
                           const std::vector<std::string>& headers) {
  auto all = headers;
  all.push_back("Content-Type: " + content_type);
  // libcurl would otherwise announce bodies over 1 MiB with "Expect:
  // 100-continue" and wait up to a second for servers that never answer it.
  all.emplace_back("Expect:");
  return impl_->perform(url, &body, all);
}

outbound_http_stats outbound_http_client::stats() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return {impl_->leased, impl_->idle.size(), impl_->options.max_handles,
          impl_->pending};
}

} // namespace ecr
