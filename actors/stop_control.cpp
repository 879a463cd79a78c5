#include "actors/stop_control.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace ecr {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

caf::error system_failure(const char* what) {
  return make_error(ec::unavailable,
                    std::string{what} + ": " + std::strerror(errno));
}

} // namespace

stop_control::descriptor::~descriptor() {
  if (fd_ >= 0)
    ::close(fd_);
}

caf::expected<std::unique_ptr<stop_control>>
stop_control::start(std::chrono::seconds grace) {
  auto set = stop_signals();
  // Before any other thread exists, so that every thread inherits the mask
  // and the signals reach only the signalfd.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  descriptor signal_fd{::signalfd(-1, &set, SFD_CLOEXEC)};
  if (signal_fd.get() < 0)
    return system_failure("cannot watch stop signals");
  descriptor wake_fd{::eventfd(0, EFD_CLOEXEC)};
  if (wake_fd.get() < 0)
    return system_failure("cannot watch stop signals");
  return std::unique_ptr<stop_control>{
    new stop_control(grace, std::move(signal_fd), std::move(wake_fd))};
}

stop_control::stop_control(std::chrono::seconds grace, descriptor signal_fd,
                           descriptor wake_fd)
  : grace_(grace),
    signal_fd_(std::move(signal_fd)),
    wake_fd_(std::move(wake_fd)) {
  watcher_ = std::thread{[this] { watch(); }};
}

stop_control::~stop_control() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    done_ = true;
  }
  wake();
  watcher_.join();
}

int stop_control::wait() {
  std::unique_lock<std::mutex> guard{mutex_};
  signalled_.wait(guard, [this] { return signal_ != 0; });
  return signal_;
}

void stop_control::stop_without_drain() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    arm(stop_allowance);
  }
  wake();
}

void stop_control::arm(clock::duration budget) {
  if (!deadline_)
    deadline_ = clock::now() + budget;
}

void stop_control::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_fd_.get(), &one, sizeof(one));
}

void stop_control::watch() {
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (done_)
        return;
      if (deadline_) {
        auto left = *deadline_ - clock::now();
        if (left <= clock::duration::zero()) {
          ECR_ERROR("stopping took longer than allowed ({} s of grace, {} s "
                    "to stop); exiting now",
                    grace_.count(), stop_allowance.count());
          spdlog::default_logger()->flush();
          ::_exit(1);
        }
        // Rounded up: waking early would only loop.
        timeout_ms = static_cast<int>(
          std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
    }
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) <= 0)
      continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        std::lock_guard<std::mutex> guard{mutex_};
        // A second signal changes nothing: the first one's deadline holds.
        if (signal_ == 0) {
          signal_ = static_cast<int>(info.ssi_signo);
          arm(grace_ + stop_allowance);
        }
        signalled_.notify_all();
      }
    }
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] auto ignored = ::read(wake_fd_.get(), &count,
                                             sizeof(count));
    }
  }
}

} // namespace ecr
