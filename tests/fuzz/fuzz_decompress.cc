// Fuzz target: any bytes as a compressed file, read as `cost-ops decompress` and the streaming
// readers of `price` and `ingest` read one (codec told by the first bytes). Checks: no crash, no
// sanitizer report, and the stream reads what the whole-buffer decompressor gives when that
// succeeds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "costops/compression/codec.h"
#include "fuzz_util.h"

using namespace costops;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto whole = compression::decompress(bytes);
  auto in = fuzz::reading(bytes);
  auto stream = compression::open_decompressed(in.get());
  if (!stream) return 0;
  std::string read;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, stream->get())) > 0) read.append(buf, got);
  const bool failed = std::ferror(stream->get()) != 0;
  if (whole && !failed && read != *whole) std::abort();
  return 0;
}
