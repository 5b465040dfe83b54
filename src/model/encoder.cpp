#include "model/encoder.h"

#include <cmath>

#include <fmt/format.h>

#include "model/bert_model.h"

namespace tachyon {

namespace {

using EncoderLoader = Result<std::unique_ptr<Encoder>> (*)(std::shared_ptr<const GgufFile>);

template <typename Model>
Result<std::unique_ptr<Encoder>> load_as(std::shared_ptr<const GgufFile> file) {
  auto model = Model::load(std::move(file));
  if (!model) return model.error();
  return std::unique_ptr<Encoder>(std::move(*model));
}

struct EncoderArchitecture {
  const char* name;
  EncoderLoader load;
};

constexpr EncoderArchitecture kEncoders[] = {
    {"bert", &load_as<BertModel>},
};

}  // namespace

std::string_view pooling_name(Pooling pooling) {
  switch (pooling) {
    case Pooling::none: return "none";
    case Pooling::mean: return "mean";
    case Pooling::cls: return "cls";
    case Pooling::last: return "last";
  }
  return "unknown";
}

std::vector<float> pool_hidden_states(const float* hidden, int64_t n_tokens, int64_t n_embd, Pooling pooling) {
  std::vector<float> out(size_t(n_embd), 0.0f);
  if (n_tokens <= 0) return out;
  switch (pooling) {
    case Pooling::mean: {
      std::vector<double> sum(size_t(n_embd), 0.0);
      for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t i = 0; i < n_embd; ++i) sum[size_t(i)] += hidden[t * n_embd + i];
      for (int64_t i = 0; i < n_embd; ++i) out[size_t(i)] = float(sum[size_t(i)] / double(n_tokens));
      break;
    }
    case Pooling::cls: out.assign(hidden, hidden + n_embd); break;
    case Pooling::last: out.assign(hidden + (n_tokens - 1) * n_embd, hidden + n_tokens * n_embd); break;
    case Pooling::none: break;
  }
  return out;
}

Status check_encoder_inputs(std::span<const std::vector<int32_t>> inputs, int64_t n_ctx, int64_t n_vocab) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<int32_t>& input = inputs[i];
    if (input.empty()) return make_error("input {} has no tokens", i);
    if (int64_t(input.size()) > n_ctx)
      return make_error("input {} has {} tokens but the model's context is {}", i, input.size(), n_ctx);
    for (int32_t id : input)
      if (id < 0 || id >= n_vocab)
        return make_error("input {}: token id {} is not in the vocabulary ({} tokens)", i, id, n_vocab);
  }
  return Status::success();
}

void l2_normalize(std::span<float> v) {
  double sum = 0;
  for (float x : v) sum += double(x) * double(x);
  if (sum <= 0) return;
  const float scale = float(1.0 / std::sqrt(sum));
  for (float& x : v) x *= scale;
}

std::vector<std::string> supported_encoder_architectures() {
  std::vector<std::string> names;
  for (const EncoderArchitecture& a : kEncoders) names.emplace_back(a.name);
  return names;
}

bool is_encoder_architecture(std::string_view architecture) {
  for (const EncoderArchitecture& a : kEncoders)
    if (architecture == a.name) return true;
  return false;
}

Result<std::unique_ptr<Encoder>> load_encoder(std::shared_ptr<const GgufFile> file) {
  const auto arch = file->get_string("general.architecture");
  if (!arch) return make_error("{}: no general.architecture in metadata", file->path());
  for (const EncoderArchitecture& a : kEncoders)
    if (*arch == a.name) return a.load(std::move(file));
  return make_error("{}: '{}' is not an encoder architecture (supported: {})", file->path(), *arch,
                    fmt::join(supported_encoder_architectures(), ", "));
}

}  // namespace tachyon
