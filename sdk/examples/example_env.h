// What every example shares: the model to ask for (TACHYON_MODEL, default tachyon-mini). The
// server and key come from TACHYON_BASE_URL and TACHYON_API_KEY, read by the client itself.
#pragma once

#include <cstdlib>
#include <string>

inline std::string example_model() {
  const char* model = std::getenv("TACHYON_MODEL");
  return model && *model ? model : "tachyon-mini";
}
