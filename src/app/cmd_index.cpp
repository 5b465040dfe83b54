// `tachyon index add|embed|stats|remove`: builds and inspects the data directory's search index.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/local_embedder.h"
#include "engine/text_embedder.h"
#include "platform/sqlite_store.h"
#include "search/page_reader.h"
#include "search/search_index.h"

namespace tachyon::app {
namespace {

using Clock = std::chrono::steady_clock;

struct IndexOptions {
  std::string data_dir = platform::kDefaultDataDir;
  std::vector<std::string> paths;
  std::string url;
  bool json = false;
  bool quiet = false;
  // index embed
  std::string model;
  std::string name;
  std::string query_prefix, passage_prefix;
  bool replace = false;
  int batch = 64;
  int threads = 0;
};

std::unique_ptr<search::SearchIndex> open_or_fail(const std::string& data_dir, search::SearchIndex::Mode mode) {
  auto index = search::SearchIndex::open(search::index_file(data_dir), mode);
  if (!index) fail(index.error().message);
  return std::move(*index);
}

// Reads every path, indexes pages in batches of 500 and shows progress on stderr twice a
// second. Exit status 1 when any input failed (the others are indexed all the same).
void add_pages(const IndexOptions& o) {
  auto index = open_or_fail(o.data_dir, search::SearchIndex::Mode::ReadWrite);
  const Clock::time_point start = Clock::now();
  Clock::time_point last_progress = start;
  bool progress_shown = false;
  size_t n_pages = 0, n_passages = 0, n_errors = 0, n_files = 0, n_skipped = 0;
  std::vector<search::IndexedPage> batch;
  auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto end_progress_line = [&] {
    if (progress_shown) std::fputc('\n', stderr);
    progress_shown = false;
  };
  auto flush = [&] {
    if (batch.empty()) return;
    if (Status s = index->add(batch); !s) {
      end_progress_line();
      fail(s.error().message);
    }
    batch.clear();
    if (!o.quiet && Clock::now() - last_progress > std::chrono::milliseconds(500)) {
      last_progress = Clock::now();
      fmt::print(stderr, "\rindexing: {} pages, {} passages, {} errors ({:.0f} pages/s)", n_pages, n_passages,
                 n_errors, double(n_pages) / seconds());
      progress_shown = true;
    }
  };
  for (const std::string& path : o.paths) {
    const search::ReadCounts counts = search::read_pages(
        path,
        [&](search::Page&& page) {
          search::IndexedPage indexed = search::prepare_page(std::move(page));
          ++n_pages;
          n_passages += indexed.passages.size();
          batch.push_back(std::move(indexed));
          if (batch.size() >= 500) flush();
        },
        [&](search::IngestError&& error) {
          ++n_errors;
          end_progress_line();
          fmt::print(stderr, "ingest error: {}: {}\n", error.source, error.message);
        });
    n_files += counts.n_files;
    n_skipped += counts.n_skipped_files;
  }
  flush();
  end_progress_line();
  const double s = seconds();
  fmt::print(stderr,
             "indexed {} pages ({} passages) from {} files in {:.1f} s ({:.0f} pages/s, {:.0f} passages/s); "
             "{} errors, {} files of other types skipped\n",
             n_pages, n_passages, n_files, s, double(n_pages) / std::max(s, 1e-9),
             double(n_passages) / std::max(s, 1e-9), n_errors, n_skipped);
  if (n_errors > 0) std::exit(1);
}

// Embeds every passage that has no vector yet, in batches, showing progress on stderr twice a
// second; interrupted, it resumes where it stopped (each batch is committed).
void embed_passages(const IndexOptions& o) {
  auto index = open_or_fail(o.data_dir, search::SearchIndex::Mode::ReadWrite);
  LocalEmbedder embedder = open_embedder_or_fail(o.model, o.threads);
  const search::VectorSpace space{o.name.empty() ? embedder.name : o.name, embedder.engine->n_embd(), o.query_prefix,
                                  o.passage_prefix};
  if (Status s = index->set_vector_space(space, o.replace); !s) fail(s.error().message);
  auto coverage = index->vector_coverage();
  if (!coverage) fail(coverage.error().message);
  const auto [missing, total] = *coverage;
  fmt::print(stderr, "embedding {} of {} passages with '{}' ({} dimensions)\n", missing, total, space.model,
             space.dimensions);
  const Clock::time_point start = Clock::now();
  Clock::time_point last_progress = start;
  int64_t done = 0, after = -1;
  while (true) {
    auto passages = index->passages_without_vectors(after, size_t(std::max(o.batch, 1)));
    if (!passages) fail(passages.error().message);
    if (passages->empty()) break;
    std::vector<std::string> texts;
    std::vector<int64_t> ids;
    for (const search::PassageText& p : *passages) {
      texts.push_back(space.passage_prefix + p.title + "\n\n" + p.body);
      ids.push_back(p.id);
    }
    auto vectors = embed_texts(*embedder.engine, texts);
    if (!vectors) fail(vectors.error().message);
    if (Status s = index->put_vectors(ids, *vectors); !s) fail(s.error().message);
    after = ids.back();
    done += int64_t(ids.size());
    if (!o.quiet && Clock::now() - last_progress > std::chrono::milliseconds(500)) {
      last_progress = Clock::now();
      const double rate = double(done) / std::chrono::duration<double>(Clock::now() - start).count();
      fmt::print(stderr, "\rembedding: {} / {} passages ({:.0f}/s, {:.0f} s left)   ", done, missing, rate,
                 double(missing - done) / std::max(rate, 1e-9));
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print(stderr, "{}embedded {} passages in {:.1f} s ({:.0f} passages/s)\n", o.quiet ? "" : "\r", done, seconds,
             double(done) / std::max(seconds, 1e-9));
}

void print_stats(const IndexOptions& o) {
  auto index = open_or_fail(o.data_dir, search::SearchIndex::Mode::ReadOnly);
  auto stats = index->stats();
  if (!stats) fail(stats.error().message);
  auto space = index->vector_space();
  if (!space) fail(space.error().message);
  auto coverage = index->vector_coverage();
  if (!coverage) fail(coverage.error().message);
  const int64_t n_vectors = coverage->second - coverage->first;
  if (o.json) {
    nlohmann::ordered_json domains = nlohmann::ordered_json::object();
    for (const auto& [domain, n] : stats->top_domains) domains[domain] = n;
    nlohmann::ordered_json j = {{"file", search::index_file(o.data_dir).string()},
                                {"pages", stats->n_pages},
                                {"passages", stats->n_passages},
                                {"bytes", stats->n_bytes},
                                {"top_domains", domains},
                                {"vectors", n_vectors}};
    if (*space) j["vector_model"] = (*space)->model, j["vector_dimensions"] = (*space)->dimensions;
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("index     {}\npages     {}\npassages  {}\nsize      {:.1f} MiB\n", search::index_file(o.data_dir).string(),
             stats->n_pages, stats->n_passages, double(stats->n_bytes) / (1 << 20));
  if (*space)
    fmt::print("vectors   {} of {} passages, by '{}' ({} dimensions{}{})\n", n_vectors, stats->n_passages,
               (*space)->model, (*space)->dimensions,
               (*space)->query_prefix.empty() ? "" : fmt::format(", query prefix '{}'", (*space)->query_prefix),
               (*space)->passage_prefix.empty() ? "" : fmt::format(", passage prefix '{}'", (*space)->passage_prefix));
  else
    fmt::print("vectors   none (dense and hybrid retrieval need `tachyon index embed --model FILE`)\n");
  for (const auto& [domain, n] : stats->top_domains) fmt::print("  {:<30} {:>8} pages\n", domain.empty() ? "(no host)" : domain, n);
}

void remove_page(const IndexOptions& o) {
  auto index = open_or_fail(o.data_dir, search::SearchIndex::Mode::ReadWrite);
  auto removed = index->remove(o.url);
  if (!removed) fail(removed.error().message);
  if (!*removed) fail(fmt::format("no page with URL {} in the index", o.url));
  fmt::print("removed {}\n", o.url);
}

}  // namespace

void add_index_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("index", "Build and inspect the search index (DATA_DIR/search.db) that POST /search serves");
  cmd->require_subcommand(1);
  auto o = std::make_shared<IndexOptions>();
  auto data_dir = [o](CLI::App* sub) {
    sub->add_option("--data-dir", o->data_dir, "Folder holding the index (created 0700)")->capture_default_str();
  };

  auto* add = cmd->add_subcommand("add", "Index files and folders: .html/.htm, .md, .txt, .jsonl (a page per line); "
                                         "re-adding a URL replaces it");
  data_dir(add);
  add->add_option("paths", o->paths, "Files or folders (walked recursively)")->required();
  add->add_flag("-q,--quiet", o->quiet, "No progress line");
  add->callback([o] { add_pages(*o); });

  auto* embed = cmd->add_subcommand("embed", "Give every passage without one a vector from an embedding model, for "
                                             "dense and hybrid retrieval (serve --retrieval)");
  data_dir(embed);
  embed->add_option("-m,--model", o->model, "The embedding model's GGUF (a BERT encoder, or any text model)")
      ->required();
  embed->add_option("--name", o->name, "The model's name in the index: the served model that embeds queries "
                                       "(default: the file's stem)");
  embed->add_option("--query-prefix", o->query_prefix, "Put before each query's text (\"query: \" for E5 models)");
  embed->add_option("--passage-prefix", o->passage_prefix, "Put before each passage's text (\"passage: \" for E5)");
  embed->add_flag("--replace", o->replace, "Delete vectors of another model or prefixes, and embed everything again");
  embed->add_option("--batch", o->batch, "Passages per batch (each batch is committed)")->capture_default_str();
  embed->add_option("-t,--threads", o->threads, "Compute threads (0: all cores)")->capture_default_str();
  embed->add_flag("-q,--quiet", o->quiet, "No progress line");
  embed->callback([o] { embed_passages(*o); });

  auto* stats = cmd->add_subcommand("stats", "Pages, passages and size of the index");
  data_dir(stats);
  stats->add_flag("--json", o->json, "Print JSON");
  stats->callback([o] { print_stats(*o); });

  auto* remove = cmd->add_subcommand("remove", "Remove one page by its URL");
  data_dir(remove);
  remove->add_option("url", o->url, "The page's URL")->required();
  remove->callback([o] { remove_page(*o); });
}

}  // namespace tachyon::app
