#include "model/load_model.h"

#include <fmt/format.h>

#include "model/encoder.h"
#include "model/gemma2_model.h"
#include "model/llama_model.h"
#include "model/mpt_model.h"
#include "model/phi3_model.h"
#include "model/qwen2_model.h"

namespace tachyon {
namespace {

using Loader = Result<std::unique_ptr<CpuModel>> (*)(std::shared_ptr<const GgufFile>);

template <typename Model>
Result<std::unique_ptr<CpuModel>> load_as(std::shared_ptr<const GgufFile> file) {
  auto model = Model::load(std::move(file));
  if (!model) return model.error();
  return std::unique_ptr<CpuModel>(std::move(*model));
}

struct Architecture {
  const char* name;
  Loader load;
};

constexpr Architecture kArchitectures[] = {
    {"llama", &load_as<LlamaModel>},
    {"mpt", &load_as<MptModel>},
    {"gemma2", &load_as<Gemma2Model>},
    {"qwen2", &load_as<Qwen2Model>},
    {"phi3", &load_as<Phi3Model>},
};

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const Architecture& a : kArchitectures) names.emplace_back(a.name);
  return names;
}

Result<std::unique_ptr<CpuModel>> load_model(std::shared_ptr<const GgufFile> file) {
  const auto arch = file->get_string("general.architecture");
  if (!arch) return make_error("{}: no general.architecture in metadata", file->path());
  for (const Architecture& a : kArchitectures)
    if (*arch == a.name) return a.load(std::move(file));
  if (is_encoder_architecture(*arch))
    return make_error("{}: '{}' is an embedding model (an encoder), not a text generator", file->path(), *arch);
  return make_error("{}: unsupported architecture '{}' (supported: {})", file->path(), *arch,
                    fmt::join(supported_architectures(), ", "));
}

}  // namespace tachyon
