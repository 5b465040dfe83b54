#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tachyon::client::testing {

namespace {

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

void update_max(std::atomic<int>& max, int value) {
  int seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

ScriptedServer::ScriptedServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 1024) != 0) {
    throw std::runtime_error("scripted server: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedServer::~ScriptedServer() { stop(); }

void ScriptedServer::stop() {
  if (stopped_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ScriptedServer::wait_or_stopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !stop_cv_.wait_for(lock, d, [&] { return stopped_.load(); });
}

void ScriptedServer::accept_loop() {
  for (;;) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    if (stopped_) {
      ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int number = ++accepted_;
    update_max(max_open_, ++open_);
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd, number] { serve(fd, number); });
  }
}

void ScriptedServer::serve(int fd, int number) {
  std::string in;
  char buf[65536];
  for (;;) {
    // Read one request: head, then a Content-Length body.
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) goto done;
      in.append(buf, static_cast<std::size_t>(n));
    }
    ScriptedRequest request;
    request.connection = number;
    {
      std::string head = in.substr(0, head_end);
      std::size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      auto sp1 = first.find(' ');
      auto sp2 = first.find(' ', sp1 + 1);
      request.method = first.substr(0, sp1);
      request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        std::size_t end = head.find("\r\n", pos);
        if (end == std::string::npos) end = head.size();
        std::string line = head.substr(pos, end - pos);
        auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
        pos = end + 2;
      }
    }
    std::size_t length = request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
    in.erase(0, head_end + 4);
    while (in.size() < length) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) goto done;
      in.append(buf, static_cast<std::size_t>(n));
    }
    request.body = in.substr(0, length);
    in.erase(0, length);
    ++requests_;
    update_max(max_in_flight_, ++in_flight_);

    ScriptedReply reply = handler_(request);
    bool ok = true;
    if (reply.delay.count() > 0 && !wait_or_stopped(reply.delay)) ok = false;
    if (ok && reply.drop) ok = false;
    if (ok) {
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
      for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
      if (reply.events.empty()) {
        head += "Content-Type: application/json\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
        ok = send_all(fd, head + reply.body);
      } else {
        head += "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        ok = send_all(fd, head);
        for (std::size_t i = 0; ok && i < reply.events.size(); ++i) {
          if (i > 0 && reply.event_interval.count() > 0 && !wait_or_stopped(reply.event_interval)) ok = false;
          std::string event = "data: " + reply.events[i] + "\n\n";
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", event.size());
          if (ok) ok = send_all(fd, size + event + "\r\n");
          if (!ok) ++streams_cut_;
        }
        if (ok) ok = send_all(fd, "0\r\n\r\n");
      }
    }
    --in_flight_;
    if (!ok || reply.close_without_saying) break;
  }
done:
  --open_;
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  std::lock_guard lock(mutex_);
  std::erase(fds_, fd);
}

}  // namespace tachyon::client::testing
