#include "api/async_job_runner.h"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/endpoints.h"
#include "api/search_service.h"
#include "platform/api_key.h"
#include "platform/time_text.h"

namespace tachyon {
namespace {

constexpr std::chrono::milliseconds kPollInterval{1000};

// The answer of a chat completion run for a job, kept instead of sent.
class CapturedResponse final : public ResponseWriter {
 public:
  asio::awaitable<bool> send(HttpResponse response) override {
    response_ = std::move(response);
    started_ = true;
    co_return true;
  }
  // Jobs run without streaming; a stream is refused.
  asio::awaitable<bool> start_sse(int, HttpHeaders) override { co_return false; }
  asio::awaitable<bool> send_event(std::string) override { co_return false; }
  asio::awaitable<bool> end_sse() override { co_return false; }
  bool client_gone() override { return false; }
  bool response_started() const override { return started_; }

  const HttpResponse& response() const { return response_; }

 private:
  HttpResponse response_;
  bool started_ = false;
};

// The message of an OpenAI-shaped error body, or the body itself.
std::string error_message_of(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].contains("message") &&
      body["error"]["message"].is_string())
    return body["error"]["message"].get<std::string>();
  return fmt::format("status {}: {}", response.status, response.body);
}

// "host/pid/random": names the runner in the jobs it holds, unique across replicas and restarts.
std::string make_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  auto random = platform::generate_job_id();
  return fmt::format("{}/{}/{}", host[0] ? host : "localhost", ::getpid(),
                     random ? random->substr(0, 8) : std::to_string(platform::system_now_ms()));
}

}  // namespace

struct AsyncJobRunner::LeaseRenewal {
  explicit LeaseRenewal(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  bool job_ended = false;  // set on the runner thread when the job's run is over
};

ServerContext::ServerContext() = default;
ServerContext::~ServerContext() = default;

AsyncJobRunner::AsyncJobRunner(ServerContext& ctx, AsyncJobRunnerOptions options)
    : ctx_(ctx), options_(options), holder_(make_holder()), timer_(io_) {
  if (options_.sole_user) {
    auto requeued = ctx_.platform.store->requeue_interrupted_jobs();
    if (requeued && *requeued > 0)
      fmt::print(stderr, "{} async jobs interrupted by the last stop will run again\n", *requeued);
  }
  asio::co_spawn(io_, loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

AsyncJobRunner::~AsyncJobRunner() {
  stop();
  thread_.join();
}

void AsyncJobRunner::notify() {
  asio::post(io_, [this] { timer_.cancel(); });
}

void AsyncJobRunner::stop() {
  stopping_ = true;
  notify();
}

asio::awaitable<void> AsyncJobRunner::loop() {
  while (!stopping_) {
    auto next = ctx_.platform.store->claim_next_job(holder_, platform::system_now_ms(), options_.lease.count());
    if (!next) fmt::print(stderr, "async jobs: {}\n", next.error().message);
    if (next && next->has_value()) {
      co_await run_job(std::move(**next));
      continue;
    }
    boost::system::error_code ec;
    timer_.expires_after(kPollInterval);
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> AsyncJobRunner::keep_lease(std::string job_id, std::shared_ptr<LeaseRenewal> renewal) {
  while (!renewal->job_ended) {
    renewal->timer.expires_after(options_.lease / 3);
    boost::system::error_code ec;
    co_await renewal->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (renewal->job_ended) break;
    const int64_t until_ms = platform::system_now_ms() + options_.lease.count();
    Status renewed = ctx_.platform.store->renew_job_lease(job_id, holder_, until_ms);
    if (renewed) continue;
    fmt::print(stderr, "async job {}: lease not renewed: {}\n", job_id, renewed.error().message);
    // Held by another now: its answer, not this one, will be kept. Other errors may pass.
    if (renewed.error().kind == ErrorKind::NotFound) break;
  }
}

asio::awaitable<void> AsyncJobRunner::run_job(platform::AsyncJob job) {
  auto renewal = std::make_shared<LeaseRenewal>(io_);
  asio::co_spawn(io_, keep_lease(job.id, renewal), asio::detached);
  struct EndRenewal {
    LeaseRenewal& renewal;
    ~EndRenewal() {
      renewal.job_ended = true;
      renewal.timer.cancel();
    }
  } end_renewal{*renewal};

  platform::Store& store = *ctx_.platform.store;
  Caller caller;
  if (!job.key_id.empty()) {
    auto key = ctx_.platform.keys->find(job.key_id);
    if (!key) {
      (void)store.fail_job(job.id, holder_, platform::system_now_ms(), key.error().message);
      co_return;
    }
    caller.key = std::move(*key);
  }
  HttpRequest request;
  request.method = "POST";
  request.path = "/async/chat/completions";
  request.target = request.path;
  request.body = job.request_json;
  request.request_id = job.id;
  CapturedResponse captured;
  while (true) {
    captured = CapturedResponse{};
    caller.rate.reset();
    co_await endpoints::chat_completions(ctx_, caller, request, captured);
    // Over the key's limits: wait as an SDK would, then try again.
    if (captured.response().status != 429 || stopping_) break;
    const auto wait_ms = captured.response().headers.get("retry-after-ms");
    timer_.expires_after(std::chrono::milliseconds(wait_ms ? std::stoll(*wait_ms) : 1000));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const HttpResponse& response = captured.response();
  const int64_t now = platform::system_now_ms();
  Status ended;
  if (response.status == 200) ended = store.complete_job(job.id, holder_, now, response.body);
  else if (ctx_.draining || stopping_) ended = store.release_job(job.id, holder_);  // cut short: runs again
  else ended = store.fail_job(job.id, holder_, now, error_message_of(response));
  if (!ended) fmt::print(stderr, "async job {}: {}\n", job.id, ended.error().message);
}

}  // namespace tachyon
