#include "api/metering.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "api/run_to_end.h"

#include "api/async_job_runner.h"
#include "api/endpoints.h"
#include "platform/sqlite_store.h"
#include "platform/temp_dir.h"

namespace tachyon {
namespace {

using tachyon::testing::run_to_end;

using platform::testing::TempDir;

// Keeps the response, and the usage rows of its request that were committed when it was sent.
class RecordingWriter final : public ResponseWriter {
 public:
  RecordingWriter(platform::Store& store, std::string request_id) : store_(store), request_id_(std::move(request_id)) {}

  asio::awaitable<bool> send(HttpResponse response) override {
    auto rows = store_.usage_of_request(request_id_);
    if (rows) rows_at_send = std::move(*rows);
    response_ = std::move(response);
    started_ = true;
    co_return true;
  }
  asio::awaitable<bool> start_sse(int, HttpHeaders) override { co_return false; }
  asio::awaitable<bool> send_event(std::string) override { co_return false; }
  asio::awaitable<bool> end_sse() override { co_return false; }
  bool client_gone() override { return false; }
  bool response_started() const override { return started_; }

  const HttpResponse& response() const { return response_; }
  std::vector<platform::UsageRecord> rows_at_send;

 private:
  platform::Store& store_;
  std::string request_id_;
  HttpResponse response_;
  bool started_ = false;
};

// A metered server context with no models: every generation request is refused before the
// engine.
class MeteringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = platform::open_sqlite_store(tmp_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    ctx_.platform.store = std::move(*store);
    ctx_.platform.usage = std::make_unique<platform::UsageRecorder>(*ctx_.platform.store);
    key_.id = "key_test";
    key_.name = "test";
  }

  // Runs `handler` for a POST of `body` to `path` as the caller; returns the writer.
  std::unique_ptr<RecordingWriter> post(KeyedHandler handler, std::string path, std::string body, Caller caller) {
    HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.target = path;
    req.body = std::move(body);
    req.request_id = "req-" + std::to_string(++n_requests_);
    auto writer = std::make_unique<RecordingWriter>(*ctx_.platform.store, req.request_id);
    run_to_end(handler(ctx_, caller, req, *writer), ctx_.platform.usage.get());
    return writer;
  }

  Caller keyed() const { return Caller{key_, std::nullopt}; }

  // Checks the one refusal row the writer saw committed before its response.
  void expect_refusal(const RecordingWriter& writer, int status, const std::string& key_id, const std::string& model,
                      const std::string& endpoint) {
    EXPECT_EQ(writer.response().status, status) << writer.response().body;
    ASSERT_EQ(writer.rows_at_send.size(), 1u) << "no row committed before the response was sent";
    const platform::UsageRecord& row = writer.rows_at_send.front();
    EXPECT_EQ(row.status, status);
    EXPECT_EQ(row.key_id, key_id);
    EXPECT_EQ(row.model, model);
    EXPECT_EQ(row.endpoint, endpoint);
    EXPECT_EQ(row.prompt_tokens, 0);
    EXPECT_EQ(row.completion_tokens, 0);
    EXPECT_EQ(row.cost.total(), 0);
    EXPECT_GT(row.created_ms, 0);
  }

  TempDir tmp_;
  ServerContext ctx_;
  platform::AuthenticatedKey key_;
  int n_requests_ = 0;
};

TEST(Metering, RequestedModelReadsWhatTheBodyNames) {
  EXPECT_EQ(requested_model(R"({"model":"m","temperature":5})"), "m");
  EXPECT_EQ(requested_model(R"({"model":7})"), "");
  EXPECT_EQ(requested_model(R"({"messages":[]})"), "");
  EXPECT_EQ(requested_model("not json"), "");
  EXPECT_EQ(requested_model(R"(["model"])"), "");
  EXPECT_EQ(requested_model(R"({"request":{"model":"inner"},"model":"outer"})", "request"), "inner");
  EXPECT_EQ(requested_model(R"({"request":"m"})", "request"), "");
  EXPECT_EQ(requested_model(R"({"model":"outer"})", "request"), "");
}

TEST(Metering, ARefusalRowHasTheStatusAndNoTokensOrCost) {
  HttpRequest req;
  req.path = "/v1/completions";
  req.request_id = "abc";
  platform::AuthenticatedKey key;
  key.id = "key_1";
  const platform::UsageRecord row = refusal_usage_row(Caller{key, std::nullopt}, req, "m", 404);
  EXPECT_EQ(row.request_id, "abc");
  EXPECT_EQ(row.key_id, "key_1");
  EXPECT_EQ(row.model, "m");
  EXPECT_EQ(row.endpoint, "/v1/completions");
  EXPECT_EQ(row.status, 404);
  EXPECT_EQ(row.prompt_tokens + row.completion_tokens + row.cached_tokens, 0);
  EXPECT_EQ(row.cost.total(), 0);
  EXPECT_EQ(row.queue_ms + row.ttft_ms + row.total_ms, 0);
  EXPECT_FALSE(row.log);
  EXPECT_EQ(refusal_usage_row(Caller{}, req, "", 400).key_id, "");  // open mode
}

TEST_F(MeteringTest, AnInvalidChatRequestIsRecordedBeforeThe400) {
  auto w = post(endpoints::chat_completions, "/v1/chat/completions",
                R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":5})", keyed());
  expect_refusal(*w, 400, "key_test", "m", "/v1/chat/completions");
  auto malformed = post(endpoints::chat_completions, "/v1/chat/completions", "{not json", keyed());
  expect_refusal(*malformed, 400, "key_test", "", "/v1/chat/completions");
}

TEST_F(MeteringTest, AModelTheKeyMayNotUseIsRecordedBeforeThe403) {
  key_.models = {"other"};
  auto w = post(endpoints::chat_completions, "/chat/completions",
                R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", keyed());
  expect_refusal(*w, 403, "key_test", "m", "/chat/completions");
}

TEST_F(MeteringTest, AnUnknownModelIsRecordedBeforeThe404) {
  auto w = post(endpoints::completions, "/v1/completions", R"({"model":"nope","prompt":"hi"})", keyed());
  expect_refusal(*w, 404, "key_test", "nope", "/v1/completions");
}

TEST_F(MeteringTest, OpenModeRefusalsAreRecordedWithoutAKey) {
  auto w = post(endpoints::completions, "/v1/completions", R"({"model":"nope","prompt":"hi"})", Caller{});
  expect_refusal(*w, 404, "", "nope", "/v1/completions");
}

TEST_F(MeteringTest, RefusedAsyncSubmissionsAreRecorded) {
  ctx_.async_jobs = std::make_unique<AsyncJobRunner>(ctx_);
  auto invalid = post(endpoints::async_create, "/async/chat/completions",
                      R"({"request":{"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":7}})", keyed());
  expect_refusal(*invalid, 400, "key_test", "m", "/async/chat/completions");
  auto unknown = post(endpoints::async_create, "/async/chat/completions",
                      R"({"request":{"model":"nope","messages":[{"role":"user","content":"hi"}]}})", keyed());
  expect_refusal(*unknown, 404, "key_test", "nope", "/async/chat/completions");
  key_.no_retention = true;
  auto kept = post(endpoints::async_create, "/async/chat/completions",
                   R"({"request":{"model":"m","messages":[{"role":"user","content":"hi"}]}})", keyed());
  expect_refusal(*kept, 403, "key_test", "m", "/async/chat/completions");
  ctx_.async_jobs.reset();
}

TEST_F(MeteringTest, RefusalsAreNotCountedInTotals) {
  (void)post(endpoints::completions, "/v1/completions", R"({"model":"nope","prompt":"hi"})", keyed());
  auto report = ctx_.platform.store->query_usage({.request_id = "req-1"});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->totals.requests, 0);
  ASSERT_TRUE(report->requests);
  ASSERT_EQ(report->requests->size(), 1u);
  EXPECT_EQ(report->requests->front().status, 404);
}

TEST(MeteringWithoutAStore, RefusalsAreStillSent) {
  ServerContext ctx;
  HttpRequest req;
  req.path = "/v1/completions";
  req.body = R"({"model":"nope","prompt":"hi"})";
  Caller caller;
  class Sink final : public ResponseWriter {
   public:
    asio::awaitable<bool> send(HttpResponse response) override {
      status = response.status;
      co_return true;
    }
    asio::awaitable<bool> start_sse(int, HttpHeaders) override { co_return false; }
    asio::awaitable<bool> send_event(std::string) override { co_return false; }
    asio::awaitable<bool> end_sse() override { co_return false; }
    bool client_gone() override { return false; }
    bool response_started() const override { return status != 0; }
    int status = 0;
  } sink;
  run_to_end(endpoints::completions(ctx, caller, req, sink));
  EXPECT_EQ(sink.status, 404);
}

}  // namespace
}  // namespace tachyon
