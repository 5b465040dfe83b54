#pragma once
// Texts to unit vectors through an EmbeddingEngine, waiting for the result: what search uses to
// embed passages (`tachyon index embed`) and queries (dense and hybrid retrieval), tokenized
// exactly as POST /v1/embeddings tokenizes texts, so the two always land in the same space.
#include <span>
#include <string>
#include <vector>

#include "engine/embedding_engine.h"
#include "tokenizer/tokenizer.h"
#include "util/result.h"

namespace tachyon {

// A text's token ids for an embedding model: special tokens added ([CLS] ... [SEP], or BOS) and
// special-token text parsed, as llama.cpp's server does.
std::vector<int32_t> embedding_tokens(const Tokenizer& tokenizer, const std::string& text);

// Cuts an input longer than n_ctx to its first n_ctx - 1 tokens and its last one ([SEP] for an
// encoder's texts); shorter inputs are left alone.
void truncate_embedding_input(std::vector<int32_t>& input, int64_t n_ctx);

// One unit vector per text, in order, each text cut to the model's context. Blocks the calling
// thread (never an I/O thread) until the engine has run them. Errors: the engine's.
Result<std::vector<std::vector<float>>> embed_texts(EmbeddingEngine& engine, std::span<const std::string> texts);
// The same for one text.
Result<std::vector<float>> embed_text(EmbeddingEngine& engine, const std::string& text);

}  // namespace tachyon
