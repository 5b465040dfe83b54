#pragma once
// The CPU model for a GGUF file, by its general.architecture: one loader per architecture, each
// in its own files (llama_model.h, ...). Loading a file of any other architecture is one Error
// naming it and the supported ones.
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/cpu_model.h"
#include "util/result.h"

namespace tachyon {

// The decoder architectures this build runs, in the order they were added.
std::vector<std::string> supported_architectures();

Result<std::unique_ptr<CpuModel>> load_model(std::shared_ptr<const GgufFile> file);

}  // namespace tachyon
