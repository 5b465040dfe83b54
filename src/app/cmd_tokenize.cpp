// `tachyon tokenize --model FILE (--text T | --text-file F) [--no-bos] [--json]`.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace tachyon::app {

void add_tokenize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  struct Opts {
    std::string model, text, text_file;
    bool no_bos = false, json = false, parse_special = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "GGUF model (default: the bundled model)");
  auto* text = cmd->add_option("--text", o->text, "Text to tokenize");
  auto* file = cmd->add_option("--text-file", o->text_file, "File whose bytes are tokenized");
  text->excludes(file);
  cmd->add_flag("--no-bos", o->no_bos, "Do not add BOS/EOS even if the model asks for them");
  cmd->add_flag("--parse-special", o->parse_special, "Turn special-token text such as <s> into its id");
  cmd->add_flag("--json", o->json, "Print {\"ids\":[...]}");
  cmd->callback([o, text, file] {
    if (!*text && !*file) fail("tokenize: one of --text or --text-file is required");
    std::string input = o->text;
    if (*file) {
      std::ifstream in(o->text_file, std::ios::binary);
      if (!in) fail(fmt::format("cannot read {}", o->text_file));
      std::stringstream ss;
      ss << in.rdbuf();
      input = ss.str();
    }
    // Only the tokenizer is needed: vocabulary-only files (no tensors) work too.
    const std::string path = o->model.empty() ? default_model_path() : o->model;
    auto file = GgufFile::open(path);
    if (!file) fail(file.error().message);
    auto tokenizer = Tokenizer::from_gguf(**file);
    if (!tokenizer) fail(fmt::format("{}: {}", path, tokenizer.error().message));
    const Tokenizer& tok = **tokenizer;
    const auto ids = tok.encode(input, !o->no_bos, o->parse_special);
    if (o->json) {
      fmt::print("{}\n", nlohmann::json{{"ids", ids}}.dump());
    } else {
      for (int32_t id : ids)
        fmt::print("{:>7} {}\n", id, nlohmann::json(tok.token_to_piece(id, true)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  });
}

}  // namespace tachyon::app
