// A scripted HTTP/1.1 server on 127.0.0.1 for the client SDK's tests: a thread per connection,
// each request answered by the test's handler (an answer, a delay, an SSE stream, or a dropped
// connection), with counts of what the client did to it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tachyon::client::testing {

struct ScriptedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  int connection = 0;  // the connection's number, from 1 in accept order
};

struct ScriptedReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "{}";
  std::chrono::milliseconds delay{0};             // before anything is sent
  bool drop = false;                               // close the connection instead of answering
  bool close_without_saying = false;               // close after answering, without "Connection: close"
  std::vector<std::string> events;                 // non-empty: a chunked text/event-stream of these data lines
  std::chrono::milliseconds event_interval{0};
};

class ScriptedServer {
 public:
  using Handler = std::function<ScriptedReply(const ScriptedRequest&)>;
  explicit ScriptedServer(Handler handler);
  ~ScriptedServer();

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int connections_accepted() const { return accepted_.load(); }
  int max_open_connections() const { return max_open_.load(); }
  int requests() const { return requests_.load(); }
  int streams_cut_short() const { return streams_cut_.load(); }
  int max_in_flight() const { return max_in_flight_.load(); }
  // Closes the listener and every connection; later connects are refused.
  void stop();

 private:
  void accept_loop();
  void serve(int fd, int number);
  bool wait_or_stopped(std::chrono::milliseconds d);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<int> accepted_{0}, open_{0}, max_open_{0}, requests_{0}, streams_cut_{0}, in_flight_{0},
      max_in_flight_{0};
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace tachyon::client::testing
