// The admin API's models: GET /admin/models (served, loading and failed), POST /admin/models
// (load a GGUF file under --models-dir, under a name, without a restart) and
// DELETE /admin/models/{name} (drain, then unload). Admin key only. Loads and drains run on the
// server's model-jobs thread, never on an I/O thread.
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/json_fields.h"
#include "http/async_queue.h"

namespace tachyon::endpoints {
namespace {

using ordered_json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// How long DELETE lets the model's in-flight requests finish before cancelling them.
constexpr std::chrono::seconds kDrainGrace{30};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct LoadRequest {
  std::string name;
  fs::path file;  // inside the models directory, existing
};

// {"name": "...", "path": "file.gguf"}: the name clients will use, and a .gguf file relative to
// the models directory that must not lead out of it.
Result<LoadRequest> parse_load_request(std::string_view body, const fs::path& models_dir) {
  auto json = parse_json_object(body);
  if (!json) return json.error();
  LoadRequest out;
  std::string path;
  if (Status s = read_string(*json, "name", out.name); !s) return s.error();
  if (Status s = read_string(*json, "path", path); !s) return s.error();
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
  if (!std::regex_match(out.name, kName))
    return invalid_param("name", "'name' must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a "
                         "letter or digit");
  if (path.empty()) return invalid_param("path", "'path' is required: a .gguf file under the models directory");
  if (models_dir.empty())
    return Error{"this server has no models directory: start it with --models-dir DIR to load models at runtime",
                 ErrorKind::PermissionDenied, "path"};
  // Containment is checked on the names (symbolic links the operator put in the folder are
  // followed when the file is opened).
  std::error_code ec;
  const fs::path root = fs::absolute(models_dir, ec).lexically_normal();
  const fs::path file = (root / fs::path(path)).lexically_normal();
  const auto [end, _] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (ec || fs::path(path).is_absolute() || (end != root.end() && !end->empty()) || file == root)
    return invalid_param("path", "'path' must name a file inside the models directory, relative to it");
  if (file.extension() != ".gguf") return invalid_param("path", "'path' must name a .gguf file");
  if (!fs::is_regular_file(file, ec))
    return Error{fmt::format("no file '{}' in the models directory", path), ErrorKind::NotFound, "path"};
  out.file = file;
  return out;
}

ordered_json ready_json(const ServedModel& m) {
  ordered_json j = ordered_json::object();
  j["id"] = m.name;
  j["object"] = "model";
  j["status"] = "ready";
  j["created"] = m.created;
  j["path"] = m.path;
  j["architecture"] = m.bundle->hparams().architecture;
  j["kind"] = m.engine ? "generation" : "embeddings";
  j["embeddings"] = m.embedder != nullptr;
  return j;
}

ordered_json pending_json(const PendingModel& p) {
  ordered_json j = ordered_json::object();
  j["id"] = p.name;
  j["object"] = "model";
  j["status"] = p.error.empty() ? "loading" : "failed";
  j["created"] = p.since;
  j["path"] = p.path;
  if (!p.error.empty()) j["error"] = p.error;
  return j;
}

}  // namespace

asio::awaitable<void> admin_list_models(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  if (Status allowed = authorize_admin(ctx, req); !allowed) co_return co_await send_error(writer, allowed.error());
  ordered_json data = ordered_json::array();
  for (const auto& m : ctx.models.all()) data.push_back(ready_json(*m));
  for (const auto& p : ctx.models.pending()) data.push_back(pending_json(p));
  // Bodies are built before co_await: GCC 12 mishandles braced temporaries inside it.
  ordered_json body = ordered_json::object();
  body["object"] = "list";
  body["data"] = std::move(data);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> admin_load_model(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  if (Status allowed = authorize_admin(ctx, req); !allowed) co_return co_await send_error(writer, allowed.error());
  if (!ctx.load_model || !ctx.model_jobs)
    co_return co_await send_error(writer, make_error(ErrorKind::Unavailable, "this server cannot load models"));
  auto request = parse_load_request(req.body, ctx.models_dir);
  if (!request) co_return co_await send_error(writer, request.error());
  const std::string path = request->file.string();
  if (Status reserved = ctx.models.begin_load(request->name, path, unix_now()); !reserved)
    co_return co_await send_error(writer, reserved.error());
  // Requests naming the model get 503 model_loading (with Retry-After) until it is ready.
  asio::post(*ctx.model_jobs, [&ctx, name = request->name, path] {
    ctx.models.finish_load(name, ctx.load_model(name, path));
  });
  const ordered_json body = pending_json(PendingModel{request->name, path, unix_now(), {}});
  co_await send_json(writer, 202, body);
}

asio::awaitable<void> admin_unload_model(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  if (Status allowed = authorize_admin(ctx, req); !allowed) co_return co_await send_error(writer, allowed.error());
  const std::string name(req.path_param("name"));
  if (ctx.models.is_loading(name))
    co_return co_await send_error(
        writer, Error{fmt::format("the model '{}' is still loading", name), ErrorKind::Conflict, "name"});
  std::shared_ptr<ServedModel> model = ctx.models.remove(name);
  if (!model) co_return co_await send_error(writer, model_not_found(name));
  if (!ctx.model_jobs) co_return co_await send_error(writer, make_error(ErrorKind::Internal, "no model-jobs thread"));
  // New requests no longer find it; drain the ones it is running, off the I/O thread.
  auto drained = std::make_shared<AsyncQueue<bool>>(co_await asio::this_coro::executor);
  asio::post(*ctx.model_jobs, [drained, model] {
    model->shutdown(std::chrono::steady_clock::now() + kDrainGrace);
    drained->push(true);
  });
  (void)co_await drained->pop();
  // The memory goes when the last request holding the model ends (now, unless one is still
  // sending its final bytes).
  model.reset();
  ordered_json body = ordered_json::object();
  body["id"] = name;
  body["object"] = "model";
  body["deleted"] = true;
  co_await send_json(writer, 200, body);
}

}  // namespace tachyon::endpoints
