#include "costops/ingest/price_stream.h"

#include <cstring>
#include <string>
#include <vector>

#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/record_json.h"

namespace costops::ingest {
namespace {

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

}  // namespace

Result<PriceStreamStats> price_jsonl(std::FILE* in, std::FILE* out, const PriceStreamOptions& opt) {
  assert(opt.catalog != nullptr);
  const pricing::Catalog& catalog = *opt.catalog;
  engine::Normalizer normalizer(catalog);
  RecordParser parser(normalizer);
  PriceStreamStats stats;
  const size_t pad = RecordParser::padding();
  std::vector<char> buf(kChunk + pad);
  size_t have = 0;  // bytes of buf holding unprocessed input
  uint64_t line_no = 0;
  std::string o;
  o.reserve(kFlushAt * 2);
  engine::PriceResult pr;
  bool eof = false;

  auto flush = [&]() -> Status {
    if (!opt.write_lines) o.clear();
    if (!o.empty() && std::fwrite(o.data(), 1, o.size(), out) != o.size())
      return io_error("cannot write output");
    o.clear();
    return Status::ok();
  };

  auto handle = [&](std::string_view line) {
    ++line_no;
    if (blank(line)) return;
    ++stats.lines;
    auto rec = parser.parse_padded(line);
    if (!rec) {
      ++stats.failed;
      append_error(o, line_no, rec.status());
      return;
    }
    auto ref = catalog.resolve(rec->provider, rec->model);
    if (!ref) {
      ++stats.failed;
      append_error(o, line_no, ref.status());
      return;
    }
    const Timestamp at = rec->has_timestamp ? rec->timestamp : opt.as_of;
    const auto sel = pricing::Catalog::select(*ref->model, at, rec->service_tier, rec->batch);
    if (sel.prices == nullptr) {
      ++stats.failed;
      append_error(o, line_no, not_found("model \"" + ref->model->id + "\" has no prices"));
      return;
    }
    if (Status st = engine::CostCalculator::price(*sel.prices, rec->usage, &pr); !st.is_ok()) {
      ++stats.failed;
      append_error(o, line_no, st);
      return;
    }
    ++stats.priced;
    o += "{\"provider\":";
    append_json_string(o, ref->provider->id);
    o += ",\"model\":";
    append_json_string(o, ref->model->id);
    o += ",\"usage\":";
    append_usage_json(o, rec->usage);
    o += ",\"input_price\":\"";
    pr.input.append_to(o);
    o += "\",\"output_price\":\"";
    pr.output.append_to(o);
    o += "\",\"total_price\":\"";
    pr.total.append_to(o);
    o += '"';
    if (catalog.currency() != Currency::usd()) {
      o += ",\"currency\":\"";
      o += catalog.currency().code();
      o += '"';
    }
    if (opt.detail) {
      o += ",\"price_version\":";
      std::string pv = sel.constraint->describe();
      if (!sel.variant.empty()) pv = std::string(sel.variant) + ", " + pv;
      append_json_string(o, pv);
      o += ",\"breakdown\":[";
      for (int i = 0; i < pr.n_lines; ++i) {
        if (i) o += ',';
        o += "{\"unit\":\"";
        o += kUnits[pr.lines[i].unit].usage_key;
        o += "\",\"quantity\":" + std::to_string(pr.lines[i].quantity) + ",\"rate\":\"";
        pr.lines[i].rate.append_to(o);
        o += "\",\"per\":" + std::to_string(kUnits[pr.lines[i].unit].per) + ",\"cost\":\"";
        pr.lines[i].cost.append_to(o);
        o += "\"}";
      }
      o += ']';
    }
    if ((rec->usage.present & ~sel.prices->priced_mask()) != 0 || rec->batch ||
        !rec->service_tier.empty()) {
      const auto warnings = engine::record_warnings(sel, *rec, ref->model->id);
      if (!warnings.empty()) {
        o += ",\"warnings\":[";
        for (size_t i = 0; i < warnings.size(); ++i) {
          if (i) o += ',';
          append_json_string(o, warnings[i]);
        }
        o += ']';
      }
    }
    if (opt.on_priced) opt.on_priced(*rec, *ref, pr);
    o += "}\n";
  };

  while (!eof || have > 0) {
    if (!eof) {
      if (have == buf.size() - pad) buf.resize(buf.size() * 2);  // a line longer than the buffer
      const size_t n = std::fread(buf.data() + have, 1, buf.size() - pad - have, in);
      if (n == 0) {
        if (std::ferror(in)) return io_error("cannot read input");
        eof = true;
      }
      have += n;
    }
    // The bytes after each line (the rest of the buffer, then the padding) stay readable.
    std::memset(buf.data() + have, ' ', pad);
    size_t start = 0;
    while (true) {
      const void* nl = std::memchr(buf.data() + start, '\n', have - start);
      if (nl == nullptr) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
      handle(std::string_view(buf.data() + start, end - start));
      start = end + 1;
      if (o.size() >= kFlushAt) COSTOPS_RETURN_IF_ERROR(flush());
    }
    if (eof && start < have) {  // last line without a newline
      handle(std::string_view(buf.data() + start, have - start));
      start = have;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
    if (eof) break;
  }
  COSTOPS_RETURN_IF_ERROR(flush());
  if (std::fflush(out) != 0) return io_error("cannot write output");
  return stats;
}

}  // namespace costops::ingest
