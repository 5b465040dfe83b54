#pragma once
// The URL space of the server: which endpoint answers which method and path.
#include "api/server_context.h"
#include "http/router.h"

namespace tachyon {

// Registers every endpoint; handlers keep a reference to ctx, which must outlive the server.
Router make_router(ServerContext& ctx);

}  // namespace tachyon
