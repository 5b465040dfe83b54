// run_serve_bench against a fake OpenAI-compatible server on loopback that streams a fixed
// number of chunks, each written separately, so the client's chunk timing and usage handling
// are exercised over a real socket.
#include "bench/serve_bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon::bench {
namespace {

class FakeStreamingServer {
 public:
  FakeStreamingServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      return;
    socklen_t len = sizeof(address);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &len);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeStreamingServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& t : handlers_) t.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  int requests_seen() const { return requests_seen_; }
  std::string last_model() const {
    std::lock_guard lock(mutex_);
    return last_model_;
  }
  size_t distinct_prompts() const {
    std::lock_guard lock(mutex_);
    return prompts_.size();
  }
  std::string last_path() const {
    std::lock_guard lock(mutex_);
    return last_path_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) handlers_.emplace_back([this, fd] { handle(fd); });
    }
  }

  // Reads one request (headers and Content-Length body), then streams max_tokens chunks.
  void handle(int fd) {
    std::string in;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    while (true) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      in.append(buf, size_t(n));
      if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
        const size_t at = in.find("Content-Length: ");
        if (at != std::string::npos) content_length = std::stoul(in.substr(at + 16));
      }
      if (header_end != std::string::npos && in.size() >= header_end + 4 + content_length) break;
    }
    if (header_end == std::string::npos) return (void)::close(fd);
    if (in.rfind("GET /v1/models ", 0) == 0) {
      const std::string models = R"({"object":"list","data":[{"id":"fake-model","object":"model"}]})";
      send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(models.size()) + "\r\nConnection: close\r\n\r\n" + models);
      return (void)::close(fd);
    }
    ++requests_seen_;
    {
      const size_t start = in.find(' ') + 1;
      std::lock_guard lock(mutex_);
      last_path_ = in.substr(start, in.find(' ', start) - start);
    }
    const auto body = nlohmann::json::parse(in.substr(header_end + 4), nullptr, false);
    if (!body.is_discarded() && body.contains("model")) {
      std::lock_guard lock(mutex_);
      last_model_ = body["model"].get<std::string>();
      if (body.contains("messages")) prompts_.insert(body["messages"].dump());
    }
    const int max_tokens = body.is_discarded() ? 1 : body.value("max_tokens", 1);
    send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
             "Connection: close\r\n\r\n");
    send_event(fd, R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null})");
    for (int i = 0; i < max_tokens; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      send_event(fd, R"({"choices":[{"index":0,"delta":{"content":" word"}}],"usage":null})");
    }
    send_event(fd, nlohmann::json{{"choices", nlohmann::json::array()},
                                  {"usage", {{"prompt_tokens", 7}, {"completion_tokens", max_tokens}}}}
                       .dump());
    send_event(fd, "[DONE]");
    send(fd, "0\r\n\r\n");
    ::close(fd);
  }

  static void send(int fd, const std::string& bytes) { (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // One SSE event as one HTTP chunk, split in two writes so the client sees partial events.
  static void send_event(int fd, const std::string& data) {
    const std::string event = "data: " + data + "\n\n";
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", event.size());
    send(fd, size + event.substr(0, event.size() / 2));
    send(fd, event.substr(event.size() / 2) + "\r\n");
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_seen_{0};
  mutable std::mutex mutex_;
  std::string last_path_;   // guarded by mutex_
  std::string last_model_;  // guarded by mutex_
  std::set<std::string> prompts_;  // distinct message lists seen; guarded by mutex_
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
};

TEST(ServeBenchTest, RunsEveryScenarioAgainstALoopbackServer) {
  FakeStreamingServer server;
  ASSERT_NE(server.port(), 0);
  ServeBenchOptions o;
  o.base_urls = {"http://127.0.0.1:" + std::to_string(server.port())};
  o.client.timeout = std::chrono::milliseconds(10'000);
  o.rates = {50};
  o.concurrency = {3};
  o.requests = 6;
  o.lengths.mean_prompt_tokens = 20;
  o.lengths.mean_output_tokens = 8;
  o.lengths.max_context = 64;
  auto points = run_serve_bench(o);
  ASSERT_TRUE(points) << points.error().message;
  ASSERT_EQ(points->size(), 3u);
  EXPECT_EQ((*points)[0].scenario, Scenario::Single);
  EXPECT_EQ((*points)[1].scenario, Scenario::Server);
  EXPECT_EQ((*points)[2].scenario, Scenario::Concurrency);
  EXPECT_EQ(server.requests_seen(), 18);
  EXPECT_EQ(server.last_path(), "/v1/chat/completions");
  EXPECT_EQ(server.last_model(), "fake-model");  // discovered through GET /v1/models
  // Each load point sends its own prompts, so none is a prefix-cache hit left by an earlier point.
  EXPECT_EQ(server.distinct_prompts(), 18u);
  for (const auto& p : *points) {
    ASSERT_EQ(p.records.size(), 6u);
    for (const auto& r : p.records) {
      EXPECT_TRUE(r.ok) << r.error;
      EXPECT_TRUE(r.done);
      EXPECT_TRUE(r.usage_reported);
      EXPECT_EQ(r.completion_tokens, r.requested_output_tokens);
      EXPECT_EQ(int32_t(r.chunk_times_s.size()), r.requested_output_tokens);
      EXPECT_EQ(r.prompt_tokens, 7);
    }
    const RunSummary s = summarize(p);
    EXPECT_EQ(s.n_ok, 6);
    EXPECT_GT(s.output_throughput, 0);
  }
}

TEST(ServeBenchTest, UnreachableTargetIsRecordedNotFatal) {
  // Bind and close a socket to get a port that nothing listens on.
  uint16_t port = 0;
  {
    FakeStreamingServer probe;
    port = probe.port();
  }
  ServeBenchOptions o;
  o.base_urls = {"http://127.0.0.1:" + std::to_string(port)};
  o.server = false;
  o.requests = 2;
  EXPECT_FALSE(run_serve_bench(o));  // no --model: asking the target for one fails up front
  o.client.model = "m";
  auto points = run_serve_bench(o);
  ASSERT_TRUE(points);
  ASSERT_EQ(points->size(), 1u);
  for (const auto& r : (*points)[0].records) EXPECT_FALSE(r.ok);
  EXPECT_EQ(summarize((*points)[0]).n_failed, 2);
}

TEST(ServeBenchTest, RejectsBadOptions) {
  ServeBenchOptions o;
  EXPECT_FALSE(run_serve_bench(o));  // no target
  o.base_urls = {"ftp://x"};
  EXPECT_FALSE(run_serve_bench(o));
  o.base_urls = {"http://127.0.0.1:1"};
  o.rates = {0};
  EXPECT_FALSE(run_serve_bench(o));
}

}  // namespace
}  // namespace tachyon::bench
