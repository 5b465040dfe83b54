#pragma once
// An embedding model loaded by a command (`tachyon index embed`, `tachyon search ... --model`):
// the same EmbeddingEngine the server runs, so vectors made here equal the server's.
#include <memory>
#include <string>

#include "engine/embedding_engine.h"
#include "search/retriever.h"

namespace tachyon::app {

struct LocalEmbedder {
  std::string name;  // the file's stem
  std::unique_ptr<EmbeddingEngine> engine;
};

// Loads the GGUF at path (an encoder, or a decoder's mean-pooled hidden states) with `threads`
// compute threads (0: all cores); exits with one line naming the problem.
LocalEmbedder open_embedder_or_fail(const std::string& path, int threads);

// Queries embedded by the local model (the Retriever refuses vectors of another size than the
// index's).
search::QueryEmbedder query_embedder(EmbeddingEngine& engine);

}  // namespace tachyon::app
