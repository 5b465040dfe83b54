#pragma once
// A redis-server of a test's own: started from PATH on a free port bound to 127.0.0.1, in a
// fresh temporary directory, with no persistence; stopped when the object goes. Tests that need
// one skip (GTEST_SKIP with unavailable_reason()) where redis-server is not installed.
// scripts/redis_test_server.sh does the same for tests outside C++.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "platform/redis_client.h"
#include "platform/temp_dir.h"

namespace tachyon::platform::testing {

class RedisTestServer {
 public:
  // redis-server's path on PATH, or nullopt.
  static std::optional<std::filesystem::path> executable() {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const std::filesystem::path candidate = std::filesystem::path(dir) / "redis-server";
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
  }

  // Why no server can be started here, or nullopt when one can.
  static std::optional<std::string> unavailable_reason() {
    if (executable()) return std::nullopt;
    return "redis-server is not on PATH (Debian: apt-get install redis-server; scripts/install_deps.sh installs it)";
  }

  // A port nothing listens on now (the kernel's pick of a free one).
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  // Starts the server; running() says whether it answered.
  RedisTestServer() : port_(free_port()) {
    // A write to a connection the stopped server closed must be an error, not the test's end.
    std::signal(SIGPIPE, SIG_IGN);
    start();
  }
  ~RedisTestServer() { stop(); }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  // (Re)starts the server on the same port, empty; waits up to 5 s until it answers PING.
  bool start() {
    if (pid_ > 0) return true;
    const auto exe = executable();
    if (!exe) return false;
    const std::string port = std::to_string(port_);
    const std::string log = (dir_.path() / "redis.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(exe->c_str(), "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--dir", dir_.path().c_str(), "--logfile", log.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    RedisClientOptions quick;
    quick.reconnect_backoff = std::chrono::milliseconds(0);
    RedisClient client(address(), quick);
    const std::vector<std::string> ping{"PING"};
    for (int i = 0; i < 500; ++i) {
      if (auto reply = client.command(ping); reply.ok() && reply->text == "PONG") return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, or a bad option
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
  }

  // Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  RedisAddress address() const { return RedisAddress{"127.0.0.1", port_, 0, "", ""}; }

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tachyon::platform::testing
