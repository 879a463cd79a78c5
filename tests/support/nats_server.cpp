#include "tests/support/nats_server.hpp"

#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

namespace ecr::test {

namespace {

constexpr char nats_server_binary[] = "/usr/sbin/nats-server";
constexpr auto start_timeout = std::chrono::seconds(15);
constexpr auto stop_timeout = std::chrono::seconds(10);

bool accepts_connections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// The port of the first `scheme://127.0.0.1:PORT` URL in `key` of the
/// ports file, or 0.
uint16_t port_from(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Empty()
      || !it->value[0].IsString())
    return 0;
  static const std::regex url(R"(^[a-z]+://127\.0\.0\.1:([0-9]+)$)");
  std::smatch match;
  std::string text = it->value[0].GetString();
  if (!std::regex_match(text, match, url))
    return 0;
  return static_cast<uint16_t>(std::stoi(match[1].str()));
}

uint64_t uint_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

} // namespace

nats_server::nats_server(nats_server_options options) : options_(options) {
  start(0);
}

nats_server::~nats_server() = default;

bool nats_server::running() {
  return process_ && process_->running();
}

void nats_server::start(uint16_t port) {
  auto ports_dir = dir_.path() / "ports";
  std::filesystem::create_directories(ports_dir);
  std::vector<std::string> argv{nats_server_binary,
                                "-a", "127.0.0.1",
                                "-p", port == 0 ? "-1" : std::to_string(port),
                                "-m", "-1",
                                "--ports_file_dir", ports_dir.string()};
  if (options_.jetstream)
    argv.insert(argv.end(), {"-js", "-sd", (dir_.path() / "jetstream").string()});
  if (!options_.user.empty())
    argv.insert(argv.end(), {"--user", options_.user, "--pass", options_.password});
  auto log_path = dir_.file("nats-server-" + std::to_string(++runs_) + ".log");
  process_ = std::make_unique<process>(process_options{std::move(argv), {}, log_path});
  // The ports file appears once every listener is up; it is named after the
  // server's pid, so a restart never reads the previous run's file.
  auto ports_file = ports_dir / ("nats-server_" + std::to_string(process_->pid()) + ".ports");
  auto deadline = std::chrono::steady_clock::now() + start_timeout;
  for (;;) {
    rapidjson::Document doc;
    auto text = read_file(ports_file.string());
    doc.Parse(text.data(), text.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      port_ = port_from(doc, "nats");
      monitor_port_ = port_from(doc, "monitoring");
      if (port_ != 0 && monitor_port_ != 0 && accepts_connections(port_))
        break;
    }
    if (!process_->running())
      throw std::runtime_error("nats-server exited at start ("
                               + process_->wait_exit({})->describe() + "):\n"
                               + process_->log());
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("nats-server not serving after "
                               + std::to_string(start_timeout.count()) + " s:\n"
                               + process_->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  url_ = "nats://127.0.0.1:" + std::to_string(port_);
}

void nats_server::stop() {
  if (!running())
    return;
  process_->terminate();
  if (!process_->wait_exit(stop_timeout)) {
    process_->kill();
    process_->wait_exit(stop_timeout);
  }
}

void nats_server::restart() {
  stop();
  start(port_);
}

std::vector<nats_connection_info> nats_server::connections() {
  http_client monitor(monitor_port_);
  auto response = monitor.get("/connz?subs=detail&limit=100000");
  if (response.status != 200)
    throw std::runtime_error("nats-server /connz: " + response.describe());
  rapidjson::Document doc;
  doc.Parse(response.body.data(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("connections")
      || !doc["connections"].IsArray())
    throw std::runtime_error("nats-server /connz: unexpected body " + response.body);
  std::vector<nats_connection_info> result;
  for (const auto& c : doc["connections"].GetArray()) {
    nats_connection_info info{string_member(c, "name"), {}};
    auto subs = c.FindMember("subscriptions_list_detail");
    if (subs != c.MemberEnd() && subs->value.IsArray())
      for (const auto& s : subs->value.GetArray())
        info.subscriptions.push_back(
          {string_member(s, "subject"), string_member(s, "qgroup"), uint_member(s, "msgs")});
    result.push_back(std::move(info));
  }
  return result;
}

} // namespace ecr::test
