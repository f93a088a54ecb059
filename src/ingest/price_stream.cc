#include "costops/ingest/price_stream.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/ingest.h"
#include "costops/ingest/record_json.h"
#include "util/encoding.h"
#include "util/peek.h"
#include "util/text.h"

namespace costops::ingest {
namespace {

using namespace std::string_view_literals;

constexpr size_t kChunk = 1 << 20;
constexpr size_t kFlushAt = 1 << 16;

void append_error(std::string& out, std::string_view source, uint64_t line, const Status& st) {
  out += '{';
  if (!source.empty()) {
    out += "\"source\":";
    append_json_string(out, source);
    out += ',';
  }
  out += "\"line\":";
  out += std::to_string(line);
  out += ",\"error\":{\"code\":";
  append_json_string(out, status_code_name(st.code()));
  out += ",\"message\":";
  append_json_string(out, st.message());
  out += "}}\n";
}

// A priced record's line (see price_jsonl); `price_version` (and the breakdown) with --detail.
void append_priced(std::string& o, std::string_view provider, std::string_view model,
                   const Usage& usage, const engine::PriceResult& pr, Currency currency,
                   const std::string* price_version, const std::vector<std::string>& warnings,
                   const std::optional<Decimal>& logged_cost, const AppliedDiscount* discount) {
  o += "{\"provider\":"sv;
  append_json_string(o, provider);
  o += ",\"model\":"sv;
  append_json_string(o, model);
  o += ",\"usage\":"sv;
  append_usage_json(o, usage);
  o += ",\"input_price\":\""sv;
  pr.input.append_to(o);
  o += "\",\"output_price\":\""sv;
  pr.output.append_to(o);
  o += "\",\"total_price\":\""sv;
  pr.total.append_to(o);
  o += '"';
  if (discount != nullptr) {
    o += ",\"discount\":{\"name\":"sv;
    append_json_string(o, discount->name);
    o += ",\"percent\":\""sv;
    discount->percent.append_to(o);
    o += "\",\"list_price\":\""sv;
    discount->list_total.amount.append_to(o);
    o += "\"}"sv;
  }
  if (currency != Currency::usd()) {
    o += ",\"currency\":\""sv;
    o += currency.code();
    o += '"';
  }
  if (logged_cost) {
    o += ",\"logged_cost\":\""sv;
    logged_cost->append_to(o);
    o += '"';
    if (engine::LoggedCosts::comparable(currency) &&
        engine::LoggedCosts::is_off(*logged_cost, engine::list_total(pr, discount)))
      o += ",\"logged_off\":true"sv;
  }
  if (price_version != nullptr) {
    o += ",\"price_version\":"sv;
    append_json_string(o, *price_version);
    o += ",\"breakdown\":["sv;
    for (int i = 0; i < pr.n_lines; ++i) {
      if (i) o += ',';
      o += "{\"unit\":\""sv;
      o += kUnits[pr.lines[i].unit].usage_key;
      o += "\",\"quantity\":" + std::to_string(pr.lines[i].quantity) + ",\"rate\":\"";
      pr.lines[i].rate.append_to(o);
      o += "\",\"per\":" + std::to_string(kUnits[pr.lines[i].unit].per) + ",\"cost\":\"";
      pr.lines[i].cost.append_to(o);
      o += "\"}"sv;
    }
    o += ']';
  }
  if (!warnings.empty()) {
    o += ",\"warnings\":["sv;
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i) o += ',';
      append_json_string(o, warnings[i]);
    }
    o += ']';
  }
  o += "}\n"sv;
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
    append_error(o, opt_.error_source, line_no_, st);
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
    if (rec->provider.empty() && !opt.default_provider.empty())
      rec->provider = opt.default_provider;
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
    const AppliedDiscount* applied = nullptr;  // the line's, in discount_
    if (const Discount* d = catalog.discount(*ref, at)) {
      if (Status st =
              engine::CostCalculator::apply_discount(*d, catalog.currency(), &pr_, &discount_);
          !st.is_ok())
        return fail(st, rec);
      applied = &*discount_;
    }
    ++stats_.priced;
    if (opt.on_priced) opt.on_priced(*rec, ref->provider->id, ref->model->id, pr_, applied);
    if (!opt.write_lines && !opt.on_warnings) return;  // (--summary)
    std::vector<std::string> warnings;
    if ((rec->usage.present & ~sel.prices->priced_mask()) != 0 || rec->batch ||
        !rec->service_tier.empty() || !rec->unread_counts.empty() ||
        !rec->unread_logged_cost.empty())
      warnings = engine::record_warnings(sel, *rec, ref->model->id);
    if (opt.on_warnings && !warnings.empty()) opt.on_warnings(line_no_, warnings);
    if (!opt.write_lines) return;
    std::string version;
    if (opt.detail) {
      version = sel.constraint->describe();
      if (!sel.variant.empty()) version = std::string(sel.variant) + ", " + version;
    }
    append_priced(o, ref->provider->id, ref->model->id, rec->usage, pr_, catalog.currency(),
                  opt.detail ? &version : nullptr, warnings, rec->logged_cost, applied);
  }

  const PriceStreamOptions& opt_;
  const pricing::Catalog& catalog_;
  engine::Normalizer normalizer_;
  RecordParser parser_;
  UsageRecord record_;
  engine::PriceResult pr_;
  std::optional<AppliedDiscount> discount_;  // the current line's, when it has one
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

// price_jsonl on `in`, text already decoded (util::open_utf8): a read error is `decode_error`
// when the decoder has one.
Result<PriceStreamStats> price_lines(std::FILE* in, std::FILE* out, const PriceStreamOptions& opt,
                                     const std::string& decode_error) {
  assert(opt.catalog != nullptr);
  // The callback is not required to be thread-safe: with one, a single worker runs.
  size_t threads = opt.threads;
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  threads = std::min(threads, kMaxPriceThreads);  // each holds its own buffers and parser
  if (opt.on_priced || opt.on_failed || opt.on_warnings) threads = 1;
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
      if (std::ferror(in))
        return io_error(decode_error.empty() ? "cannot read input" : decode_error);
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

// Prices the records of an input in another format than JSON Lines, as ingest reads them; a
// read error is `decode_error` when the decoder of `in` has one.
Result<PriceStreamStats> price_read_records(std::FILE* in, std::string_view source,
                                            InputFormat format, std::FILE* out,
                                            const PriceStreamOptions& opt,
                                            std::shared_ptr<const std::string> decode_error) {
  const pricing::Catalog& catalog = *opt.catalog;
  IngestOptions io;
  io.read_error_detail = std::move(decode_error);
  io.encoding = TextEncoding::kUtf8;  // decoded by price_input
  io.catalog = &catalog;
  io.format = format;
  io.default_time = opt.as_of;
  io.default_provider = opt.default_provider;
  io.overlap_sink = false;
  io.take_streaming = true;  // nothing is stored: a message so far prices as it is so far
  PriceStreamStats stats;
  std::string o;
  Status write_error;
  auto write = [&] {
    if (opt.write_lines && !o.empty() && write_error.is_ok() &&
        std::fwrite(o.data(), 1, o.size(), out) != o.size())
      write_error = io_error("cannot write output");
    o.clear();
  };
  // A usage report's bucket reports its unreadable rows before its others, and a Claude Code
  // message comes at its last line (or the end): their lines are held and put in order at the
  // end (reports are small: one row per model and bucket; transcripts a record per message).
  const bool hold = format == InputFormat::kUsageReport || format == InputFormat::kClaudeCode;
  std::vector<std::pair<uint64_t, std::string>> held;
  std::string line_text;
  auto emit = [&](uint64_t line) {
    if (hold) {
      held.emplace_back(line, std::move(line_text));
    } else {
      o += line_text;
      if (o.size() >= kFlushAt) write();
    }
    line_text.clear();
  };
  auto failed = [&](uint64_t line, const Status& st, const UsageRecord* rec) {
    ++stats.lines;
    ++stats.failed;
    append_error(line_text, opt.error_source, line, st);
    emit(line);
    if (opt.on_failed) opt.on_failed(line, st, rec);
  };
  engine::PriceResult pr;
  const bool agent = is_agent_log(format);
  io.on_record = [&](const PricedRecord& r, uint64_t line) {
    if (agent && opt.agent_calls != nullptr && !r.usage.id.empty() &&
        !opt.agent_calls->insert(r.usage.id).second) {
      ++stats.duplicates;  // a copy of a call priced already (a resumed session's file)
      return;
    }
    if (!r.cost) return failed(line, not_found(r.unpriced_reason), &r.usage);
    const CostRecord& c = *r.cost;
    ++stats.lines;
    ++stats.priced;
    pr.input = c.input_cost.amount;
    pr.output = c.output_cost.amount;
    pr.total = c.total_cost.amount;
    pr.n_lines = 0;
    for (const UnitCost& u : c.breakdown) {
      if (pr.n_lines == engine::PriceResult::kMaxLines) break;
      pr.lines[pr.n_lines++] = {u.unit, u.quantity, u.rate, u.cost};
    }
    if (opt.on_priced)
      opt.on_priced(r.usage, c.provider, c.model, pr, c.discount ? &*c.discount : nullptr);
    if (opt.on_warnings && !c.warnings.empty()) opt.on_warnings(line, c.warnings);
    if (!opt.write_lines) return;
    append_priced(line_text, c.provider, c.model, r.usage.usage, pr, catalog.currency(),
                  opt.detail ? &c.price_version : nullptr, c.warnings, r.usage.logged_cost,
                  c.discount ? &*c.discount : nullptr);
    emit(line);
  };
  auto stored = ingest_stream(
      in, source, io,
      [](std::span<const PricedRecord> batch) -> Result<BatchResult> {
        return BatchResult{batch.size(), 0, 0};  // priced as read (on_record): nothing to keep
      },
      [&](const Reject& r) { failed(r.line, invalid_argument(r.reason), nullptr); });
  std::stable_sort(held.begin(), held.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [line, text] : held) o += text;
  write();
  if (!stored) return stored.status();
  if (!write_error.is_ok()) return write_error;
  if (!stored->input_error.empty()) return io_error(stored->input_error);
  if (std::fflush(out) != 0) return io_error("cannot write output");
  stats.unread_columns = std::move(stored->unread_columns);
  return stats;
}

}  // namespace

Result<PriceStreamStats> price_jsonl(std::FILE* in, std::FILE* out, const PriceStreamOptions& opt) {
  // UTF-16 input (a byte order mark tells it), or input of the encoding named, is read as UTF-8.
  auto decode_error = std::make_shared<std::string>();
  auto text = util::open_utf8(in, decode_error, opt.encoding);
  if (!text) return text.status();
  return price_lines(text->get(), out, opt, *decode_error);
}

Result<PriceStreamStats> price_input(std::FILE* in, std::string_view source, InputFormat format,
                                     std::FILE* out, const PriceStreamOptions& opt) {
  // UTF-16 input (a byte order mark tells it), or input of the encoding named, is read as
  // UTF-8, decoded once here.
  auto decode_error = std::make_shared<std::string>();
  auto text = util::open_utf8(in, decode_error, opt.encoding);
  if (!text) return text.status().with_context(source);
  in = text->get();
  std::optional<util::FilePtr> again;
  if (format == InputFormat::kAuto) {
    // The first block of the text tells the format; the input is read from its start again.
    std::string head;
    auto peeked = util::peek(in, kChunk, &head);
    if (!peeked) {
      return (decode_error->empty() ? peeked.status() : io_error(*decode_error))
          .with_context(source);
    }
    std::string_view first = head;
    first.remove_prefix(util::utf8_bom_length(first));
    COSTOPS_RETURN_IF_ERROR(check_text_input(source, first));
    format = detect_input_format(source, first);
    again = std::move(*peeked);
    in = again->get();
  }
  if (format != InputFormat::kJsonl)
    return price_read_records(in, source, format, out, opt, decode_error);
  auto stats = price_lines(in, out, opt, *decode_error);
  if (!stats) return stats.status().with_context(source);
  return stats;
}

}  // namespace costops::ingest
