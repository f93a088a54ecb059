// Fuzz target: any bytes as usage input, read as `cost-ops ingest` and `cost-ops price` read it.
// The first byte picks the format (auto, JSON Lines, a JSON document, CSV, OpenTelemetry, usage
// reports), whether it is priced or ingested, and the text encoding named (auto, UTF-16 of either
// byte order, Windows-1252, UTF-8); the rest is the input. Checks: no crash, no sanitizer report,
// and ingest's counts add up (every record read is stored, a duplicate, or rejected, each reject
// reported once).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "costops/ingest/ingest.h"
#include "costops/ingest/price_stream.h"
#include "costops/pricing/catalog.h"
#include "fuzz_util.h"

using namespace costops;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = fuzz::input_format(data[0]);
  const bool price = (data[0] / 6) % 2 == 1;
  static constexpr TextEncoding kEncodings[] = {TextEncoding::kAuto, TextEncoding::kUtf16Le,
                                                TextEncoding::kUtf16Be, TextEncoding::kWindows1252,
                                                TextEncoding::kUtf8};
  const TextEncoding encoding = kEncodings[(data[0] / 12) % 5];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const pricing::Catalog& catalog = pricing::Catalog::builtin();

  auto in = fuzz::reading(text);
  if (price) {
    auto out = fuzz::discarding();
    ingest::PriceStreamOptions o;
    o.catalog = &catalog;
    o.threads = 1;
    o.encoding = encoding;
    auto stats = ingest::price_input(in.get(), "fuzz.input", format, out.get(), o);
    if (stats && stats->lines != stats->priced + stats->failed) std::abort();
    return 0;
  }
  ingest::IngestOptions o;
  o.catalog = &catalog;
  o.format = format;
  o.encoding = encoding;
  o.batch_size = 7;  // several batches from small inputs
  o.overlap_sink = false;
  uint64_t taken = 0, rejects = 0;
  auto sink = [&](std::span<const PricedRecord> batch) -> Result<ingest::BatchResult> {
    ingest::BatchResult r;
    for (const auto& rec : batch) {
      ++taken;
      ++r.stored;
      if (!rec.cost) ++r.unpriced;
    }
    return r;
  };
  auto stats = ingest::ingest_stream(in.get(), "fuzz.input", o, sink,
                                     [&](const ingest::Reject&) { ++rejects; });
  if (stats) {
    if (stats->read != stats->stored + stats->duplicates + stats->rejected) std::abort();
    if (stats->rejected != rejects || stats->stored != taken) std::abort();
  }
  return 0;
}
