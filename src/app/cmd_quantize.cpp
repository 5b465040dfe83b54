// `tachyon quantize IN OUT TYPE`.
#include <fmt/format.h>

#include "app/commands.h"
#include "gguf/model_quantizer.h"

namespace tachyon::app {

void add_quantize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Convert a GGUF model's weights to another type");
  struct Opts {
    std::string in, out, type;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("input", o->in, "Input GGUF")->required();
  cmd->add_option("output", o->out, "Output GGUF")->required();
  cmd->add_option("type", o->type, "q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K f16 bf16 f32")->required();
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  cmd->callback([o] {
    const auto type = ggml_type_from_name(o->type);
    if (!type) fail(fmt::format("unknown type '{}'", o->type));
    Status s = quantize_model(o->in, o->out, *type, o->threads);
    if (!s) fail(s.error().message);
    fmt::print("wrote {}\n", o->out);
  });
}

}  // namespace tachyon::app
