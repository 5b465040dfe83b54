#include "platform/store.h"

namespace tachyon::platform {

const char* job_status_name(JobStatus status) {
  switch (status) {
    case JobStatus::Created: return "CREATED";
    case JobStatus::InProgress: return "IN_PROGRESS";
    case JobStatus::Completed: return "COMPLETED";
    case JobStatus::Failed: return "FAILED";
  }
  return "FAILED";
}

std::string join_model_list(const std::vector<std::string>& models) {
  std::string out;
  for (const auto& m : models) out += (out.empty() ? "" : ",") + m;
  return out;
}

std::vector<std::string> split_model_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

}  // namespace tachyon::platform
