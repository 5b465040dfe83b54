// The registry behind runtime model loading: names reserved while loading, failures kept and
// forgotten on a retry, removal that leaves holders their model, and the errors find_served
// gives for each state. No model files: registry entries without engines.
#include <gtest/gtest.h>

#include "api/api_error.h"
#include "api/model_registry.h"

namespace tachyon {
namespace {

ServedModel entry(const std::string& name) {
  ServedModel m;
  m.name = name;
  m.path = "/models/" + name + ".gguf";
  return m;
}

TEST(ModelRegistryTest, NamesAreUniqueAcrossReadyAndLoadingModels) {
  ModelRegistry models;
  ASSERT_TRUE(models.add(entry("a")).ok());
  Status again = models.add(entry("a"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(http_status(again.error()), 409);
  ASSERT_TRUE(models.begin_load("b", "/models/b.gguf", 100).ok());
  EXPECT_EQ(http_status(models.begin_load("b", "/models/b.gguf", 101).error()), 409);
  EXPECT_EQ(http_status(models.begin_load("a", "/models/a.gguf", 101).error()), 409);
  EXPECT_EQ(models.names(), (std::vector<std::string>{"a"}));
}

TEST(ModelRegistryTest, LoadingModelsAnswer503UntilReady) {
  ModelRegistry models;
  ASSERT_TRUE(models.begin_load("b", "/models/b.gguf", 100).ok());
  EXPECT_TRUE(models.is_loading("b"));
  auto early = find_served(models, "b");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(http_status(early.error()), 503);
  EXPECT_EQ(to_api_error(early.error()).code, "model_loading");
  models.finish_load("b", entry("b"));
  EXPECT_FALSE(models.is_loading("b"));
  EXPECT_TRUE(models.pending().empty());
  auto ready = find_served(models, "b");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ((*ready)->name, "b");
}

TEST(ModelRegistryTest, AFailedLoadIsReportedAndItsNameFreed) {
  ModelRegistry models;
  ASSERT_TRUE(models.begin_load("c", "/models/c.gguf", 100).ok());
  models.finish_load("c", make_error("/models/c.gguf: not a GGUF file"));
  const auto pending = models.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].error, "/models/c.gguf: not a GGUF file");
  EXPECT_FALSE(models.is_loading("c"));
  auto missing = find_served(models, "c");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(http_status(missing.error()), 404);
  ASSERT_TRUE(models.begin_load("c", "/models/c2.gguf", 101).ok());  // a retry forgets the failure
  ASSERT_EQ(models.pending().size(), 1u);
  EXPECT_TRUE(models.pending()[0].error.empty());
}

TEST(ModelRegistryTest, RemovedModelsStayAliveForTheirHolders) {
  ModelRegistry models;
  ASSERT_TRUE(models.add(entry("a")).ok());
  ASSERT_TRUE(models.add(entry("d")).ok());
  std::shared_ptr<ServedModel> held = models.find("a");
  std::shared_ptr<ServedModel> removed = models.remove("a");
  ASSERT_EQ(removed, held);
  EXPECT_EQ(models.find("a"), nullptr);
  EXPECT_EQ(models.remove("a"), nullptr);
  EXPECT_EQ(held->name, "a");  // still usable by the request that holds it
  auto gone = find_served(models, "a");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(http_status(gone.error()), 404);
  EXPECT_NE(gone.error().message.find("available: d"), std::string::npos) << gone.error().message;
  ASSERT_TRUE(models.add(entry("a")).ok());  // the name is free again
}

}  // namespace
}  // namespace tachyon
