#pragma once
// A chat message from its role and text, for tests that write conversations by hand.
#include <string>

#include "api/chat_request.h"

namespace tachyon::testing {

inline ChatRequestMessage chat_message(std::string role, std::string content) {
  ChatRequestMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

}  // namespace tachyon::testing
