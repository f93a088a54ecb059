#include "costops/ingest/price_stream.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/record_json.h"
#include "util/text.h"

namespace costops::ingest {
namespace {

using namespace std::string_view_literals;

constexpr size_t kChunk = 1 << 20;
constexpr size_t kFlushAt = 1 << 16;

void append_error(std::string& out, uint64_t line, const Status& st) {
  out += "{\"line\":";
  out += std::to_string(line);
  out += ",\"error\":{\"code\":";
  append_json_string(out, status_code_name(st.code()));
  out += ",\"message\":";
  append_json_string(out, st.message());
  out += "}}\n";
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// Prices lines into its own output buffer. One per thread.
class Worker {
 public:
  explicit Worker(const PriceStreamOptions& opt)
      : opt_(opt), catalog_(*opt.catalog), normalizer_(catalog_), parser_(normalizer_) {
    o.reserve(kFlushAt * 2);
  }

  /// Prices every line of `block` (complete lines; bytes after it stay readable for the parser's
  /// padding). `first_line` is the number of the line before the block.
  void run(std::string_view block, uint64_t first_line) {
    line_no_ = first_line;
    size_t start = 0;
    while (start < block.size()) {
      const void* nl = std::memchr(block.data() + start, '\n', block.size() - start);
      const size_t end =
          nl ? static_cast<size_t>(static_cast<const char*>(nl) - block.data()) : block.size();
      handle(block.substr(start, end - start));
      start = end + 1;
    }
  }

  std::string o;  // result lines not yet written
  PriceStreamStats stats_;

 private:
  // The current line failed: its error object, and the callback's call.
  void fail(const Status& st, const UsageRecord* rec) {
    ++stats_.failed;
    append_error(o, line_no_, st);
    if (opt_.on_failed) opt_.on_failed(line_no_, st, rec);
  }

  void handle(std::string_view line) {
    UsageRecord* const rec = &record_;
    const pricing::Catalog& catalog = catalog_;
    const PriceStreamOptions& opt = opt_;
    ++line_no_;
    if (blank(line)) return;
    ++stats_.lines;
    if (Status st = parser_.parse_padded_into(line, rec); !st.is_ok()) return fail(st, nullptr);
    auto ref = catalog.resolve(rec->provider, rec->model);
    if (!ref) return fail(ref.status(), rec);
    const Timestamp at = rec->has_timestamp ? rec->timestamp : opt.as_of;
    const auto sel = pricing::Catalog::select(*ref->model, at, rec->service_tier, rec->batch);
    if (sel.prices == nullptr) {
      return fail(not_found("model \"" + ref->model->id + "\" has no prices"), rec);
    }
    if (Status st =
            engine::CostCalculator::price(*sel.prices, rec->usage, rec->tier_input_tokens, &pr_);
        !st.is_ok()) {
      return fail(st, rec);
    }
    ++stats_.priced;
    o += "{\"provider\":"sv;
    append_json_string(o, ref->provider->id);
    o += ",\"model\":"sv;
    append_json_string(o, ref->model->id);
    o += ",\"usage\":"sv;
    append_usage_json(o, rec->usage);
    o += ",\"input_price\":\""sv;
    pr_.input.append_to(o);
    o += "\",\"output_price\":\""sv;
    pr_.output.append_to(o);
    o += "\",\"total_price\":\""sv;
    pr_.total.append_to(o);
    o += '"';
    if (catalog.currency() != Currency::usd()) {
      o += ",\"currency\":\""sv;
      o += catalog.currency().code();
      o += '"';
    }
    if (opt.detail) {
      o += ",\"price_version\":"sv;
      std::string pv = sel.constraint->describe();
      if (!sel.variant.empty()) pv = std::string(sel.variant) + ", " + pv;
      append_json_string(o, pv);
      o += ",\"breakdown\":["sv;
      for (int i = 0; i < pr_.n_lines; ++i) {
        if (i) o += ',';
        o += "{\"unit\":\""sv;
        o += kUnits[pr_.lines[i].unit].usage_key;
        o += "\",\"quantity\":" + std::to_string(pr_.lines[i].quantity) + ",\"rate\":\"";
        pr_.lines[i].rate.append_to(o);
        o += "\",\"per\":" + std::to_string(kUnits[pr_.lines[i].unit].per) + ",\"cost\":\"";
        pr_.lines[i].cost.append_to(o);
        o += "\"}"sv;
      }
      o += ']';
    }
    if ((rec->usage.present & ~sel.prices->priced_mask()) != 0 || rec->batch ||
        !rec->service_tier.empty()) {
      const auto warnings = engine::record_warnings(sel, *rec, ref->model->id);
      if (!warnings.empty()) {
        o += ",\"warnings\":["sv;
        for (size_t i = 0; i < warnings.size(); ++i) {
          if (i) o += ',';
          append_json_string(o, warnings[i]);
        }
        o += ']';
      }
    }
    if (opt.on_priced) opt.on_priced(*rec, *ref, pr_);
    o += "}\n"sv;
  }

  const PriceStreamOptions& opt_;
  const pricing::Catalog& catalog_;
  engine::Normalizer normalizer_;
  RecordParser parser_;
  UsageRecord record_;
  engine::PriceResult pr_;
  uint64_t line_no_ = 0;
};

// Splits `block` (complete lines) into `n` parts at line boundaries.
std::vector<std::string_view> split_lines(std::string_view block, size_t n) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 1; i < n && start < block.size(); ++i) {
    size_t cut = start + (block.size() - start) / (n - i + 1);
    const void* nl = std::memchr(block.data() + cut, '\n', block.size() - cut);
    if (nl == nullptr) break;
    cut = static_cast<size_t>(static_cast<const char*>(nl) - block.data()) + 1;
    parts.push_back(block.substr(start, cut - start));
    start = cut;
  }
  parts.push_back(block.substr(start));
  return parts;
}

uint64_t count_lines(std::string_view s) {
  uint64_t n = 0;
  for (const char* p = s.data();
       (p = static_cast<const char*>(std::memchr(p, '\n', s.data() + s.size() - p))); ++p)
    ++n;
  return n;
}

}  // namespace

Result<PriceStreamStats> price_jsonl(std::FILE* in, std::FILE* out, const PriceStreamOptions& opt) {
  assert(opt.catalog != nullptr);
  // The callback is not required to be thread-safe: with one, a single worker runs.
  size_t threads = opt.threads;
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (opt.on_priced || opt.on_failed) threads = 1;
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(opt));

  const size_t pad = RecordParser::padding();
  std::vector<char> buf(kChunk + pad);
  size_t have = 0;  // bytes of buf holding unprocessed input
  uint64_t line_no = 0;
  bool eof = false;
  bool at_start = true;  // a byte order mark before the first line is dropped
  PriceStreamStats stats;

  auto write_out = [&](Worker& w) -> Status {
    if (opt.write_lines && !w.o.empty() &&
        std::fwrite(w.o.data(), 1, w.o.size(), out) != w.o.size())
      return io_error("cannot write output");
    w.o.clear();
    stats.lines += std::exchange(w.stats_.lines, 0);
    stats.priced += std::exchange(w.stats_.priced, 0);
    stats.failed += std::exchange(w.stats_.failed, 0);
    return Status::ok();
  };

  while (!eof) {
    if (have == buf.size() - pad) buf.resize(buf.size() * 2);  // a line longer than the buffer
    const size_t n = std::fread(buf.data() + have, 1, buf.size() - pad - have, in);
    if (n == 0) {
      if (std::ferror(in)) return io_error("cannot read input");
      eof = true;
    }
    have += n;
    util::drop_leading_bom(buf.data(), &have, eof, &at_start);
    // The bytes after each line (the rest of the buffer, then the padding) stay readable.
    std::memset(buf.data() + have, ' ', pad);
    size_t complete = have;  // bytes of whole lines (all of them at the end of input)
    if (!eof) {
      const char* last = static_cast<const char*>(memrchr(buf.data(), '\n', have));
      complete = last ? static_cast<size_t>(last - buf.data()) + 1 : 0;
    }
    const std::string_view block(buf.data(), complete);
    // Small blocks are not worth a thread.
    const auto parts = split_lines(block, block.size() < (64u << 10) ? 1 : workers.size());
    std::vector<std::thread> pool;
    uint64_t first = line_no;
    for (size_t i = 1; i < parts.size(); ++i) {
      first += count_lines(parts[i - 1]);
      pool.emplace_back([&w = *workers[i], part = parts[i], first] { w.run(part, first); });
    }
    workers[0]->run(parts[0], line_no);
    for (auto& t : pool) t.join();
    line_no += count_lines(block);
    for (size_t i = 0; i < parts.size(); ++i) COSTOPS_RETURN_IF_ERROR(write_out(*workers[i]));
    std::memmove(buf.data(), buf.data() + complete, have - complete);
    have -= complete;
  }
  if (std::fflush(out) != 0) return io_error("cannot write output");
  return stats;
}

}  // namespace costops::ingest
