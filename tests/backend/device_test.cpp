// Device names parse, and a device this build or machine lacks is one clear error.
#include <filesystem>

#include <gtest/gtest.h>

#include "backend/device.h"
#include "model/load_model.h"
#include "model/random_model.h"

namespace tachyon {
namespace {

TEST(DeviceTest, ParsesNames) {
  EXPECT_EQ(*parse_device("cpu"), Device::Cpu);
  EXPECT_EQ(*parse_device("cuda"), Device::Cuda);
  auto bad = parse_device("tpu");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cpu, cuda"), std::string::npos);
}

TEST(DeviceTest, MissingAcceleratorIsAnError) {
  const auto path = std::filesystem::temp_directory_path() / "tachyon_device_test.gguf";
  RandomModelSpec spec = *random_model_shape("tiny");
  spec.n_embd = 64, spec.n_layer = 1, spec.n_head = 2, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
  ASSERT_TRUE(write_random_model(spec, path.string()).ok());
  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file.ok());
  auto model = load_model(*file);
  ASSERT_TRUE(model.ok());
  auto forward = make_device_forward(**model, Device::Cuda);
  // Without the CUDA backend or without a GPU: an error that says which; with both, a forward pass.
  if (!forward.ok())
    EXPECT_TRUE(forward.error().message.find("CUDA") != std::string::npos) << forward.error().message;
  else
    EXPECT_NE((*forward)->device_name().find("cuda"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tachyon
