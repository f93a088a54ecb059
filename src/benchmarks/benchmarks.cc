#include "costops/benchmarks.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "costops/version.h"
#include "costops_git_commit.h"

namespace costops::benchmarks {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string l;
  std::getline(in, l);
  return l;
}

// RFC 3339 UTC with milliseconds: 2025-12-02T12:34:56.789Z.
std::string stamp(Timestamp t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  std::string s = format_timestamp(std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::floor<std::chrono::seconds>(ms)));
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03d",
                static_cast<int>((ms.time_since_epoch() % std::chrono::seconds(1)).count()));
  s.insert(s.size() - 1, buf);
  return s;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

int64_t ns(double v) { return std::isfinite(v) ? static_cast<int64_t>(std::llround(v)) : 0; }
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

// ---- BenchmarkResult --------------------------------------------------------------------------

std::optional<double> BenchmarkResult::get_metric_f64(const std::string& key) const {
  if (!metrics.is_object() || !metrics.contains(key) || !metrics[key].is_number())
    return std::nullopt;
  return metrics[key].get<double>();
}

std::optional<uint64_t> BenchmarkResult::get_metric_u64(const std::string& key) const {
  if (!metrics.is_object() || !metrics.contains(key)) return std::nullopt;
  const json& v = metrics[key];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

json BenchmarkResult::to_json() const {
  return json{{"target_id", target_id}, {"metrics", metrics}, {"timestamp", stamp(timestamp)}};
}

Result<BenchmarkResult> BenchmarkResult::from_json(const json& j) {
  if (!j.is_object()) return invalid_argument("benchmark result: expected an object");
  for (const char* k : {"target_id", "metrics", "timestamp"})
    if (!j.contains(k))
      return invalid_argument(std::string("benchmark result: missing \"") + k + "\"");
  if (!j["target_id"].is_string() || !j["metrics"].is_object() || !j["timestamp"].is_string())
    return invalid_argument(
        "benchmark result: target_id and timestamp must be strings, metrics an object");
  auto t = parse_timestamp(j["timestamp"].get<std::string>());
  if (!t) return t.status().with_context("benchmark result timestamp");
  BenchmarkResult r;
  r.target_id = j["target_id"].get<std::string>();
  r.metrics = j["metrics"];
  r.timestamp = *t;
  return r;
}

// ---- measurement ----------------------------------------------------------------------------

json environment() {
  json e;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  e["host"] = host;
  struct utsname u {};
  if (uname(&u) == 0) {
    e["os"] = u.sysname;
    e["kernel"] = u.release;
    e["arch"] = u.machine;
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string l; std::getline(cpuinfo, l);) {
    if (l.rfind("model name", 0) == 0) {
      e["cpu_model"] = l.substr(l.find(':') + 2);
      break;
    }
  }
  e["cores"] = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  json caches = json::object();
  for (int i = 0; i < 8; ++i) {
    const std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string size = read_first_line(base + "size");
    if (size.empty()) break;
    caches["L" + read_first_line(base + "level") + "_" + read_first_line(base + "type")] = size;
  }
  e["caches"] = caches;
  std::ifstream meminfo("/proc/meminfo");
  std::string l;
  std::getline(meminfo, l);
  e["memory"] =
      l.substr(l.find(':') + 1).erase(0, l.substr(l.find(':') + 1).find_first_not_of(' '));
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    e["load_average"] = {finite(load[0]), finite(load[1]), finite(load[2])};
  const std::string governor =
      read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  e["cpu_governor"] = governor.empty() ? "unknown" : governor;
#if defined(__clang__)
  e["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  e["compiler"] = std::string("gcc ") + __VERSION__;
#endif
  e["build_type"] = COSTOPS_BUILD_TYPE;
  e["compiler_flags"] = COSTOPS_CXX_FLAGS;
  e["costops_version"] = kVersion;
  e["git_commit"] = COSTOPS_GIT_COMMIT;
  return e;
}

json measure(const std::function<bool(uint64_t)>& op, const RunOptions& options,
             double bytes_per_op, const std::string& unit) {
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  // Warm-up: time-based.
  const double warmup = options.quick ? 0.05 : 0.5;
  uint64_t ok = 0, failed = 0;
  auto t0 = clock::now();
  uint64_t batch = 1;
  while (secs(clock::now() - t0) < warmup) {
    (op(batch) ? ok : failed) += batch;
    batch = std::min<uint64_t>(batch * 2, 1 << 20);
  }
  // Calibration: iterations per sample so that a sample lasts >= 2 ms (far above the clock's
  // resolution) or 20 ms in full runs.
  const double target_sample = options.quick ? 0.002 : 0.02;
  uint64_t iters = 1;
  while (true) {
    const auto s = clock::now();
    (op(iters) ? ok : failed) += iters;
    const double d = secs(clock::now() - s);
    if (d >= target_sample || iters >= (1ULL << 40)) break;
    iters = d <= 0
                ? iters * 10
                : std::max<uint64_t>(iters + 1, static_cast<uint64_t>(static_cast<double>(iters) *
                                                                      target_sample / d * 1.1));
  }
  const size_t want = options.quick ? 10 : 30;
  std::vector<double> per_op;  // ns per operation, one per sample
  const auto start = clock::now();
  ok = failed = 0;
  while (per_op.size() < want ||
         (per_op.size() < 100 && secs(clock::now() - start) < (options.quick ? 0.2 : 2.0))) {
    if (secs(clock::now() - start) > options.max_seconds && per_op.size() >= 3) break;
    const auto s = clock::now();
    (op(iters) ? ok : failed) += iters;
    per_op.push_back(secs(clock::now() - s) * 1e9 / static_cast<double>(iters));
  }
  std::vector<double> sorted = per_op;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : per_op) sum += v;
  const double mean = sum / static_cast<double>(per_op.size());
  double var = 0;
  for (double v : per_op) var += (v - mean) * (v - mean);
  const double stddev =
      per_op.size() > 1 ? std::sqrt(var / static_cast<double>(per_op.size() - 1)) : 0;
  const double median = percentile(sorted, 0.5);
  // Bootstrap 95% CI of the median (deterministic seed: runs are comparable).
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<size_t> pick(0, per_op.size() - 1);
  std::vector<double> medians;
  std::vector<double> resample(per_op.size());
  for (int b = 0; b < 1000; ++b) {
    for (auto& v : resample) v = per_op[pick(rng)];
    std::sort(resample.begin(), resample.end());
    medians.push_back(percentile(resample, 0.5));
  }
  std::sort(medians.begin(), medians.end());
  // Tukey fences.
  const double q1 = percentile(sorted, 0.25), q3 = percentile(sorted, 0.75), iqr = q3 - q1;
  int mild = 0, severe = 0;
  for (double v : per_op) {
    if (v < q1 - 3 * iqr || v > q3 + 3 * iqr) {
      ++severe;
    } else if (v < q1 - 1.5 * iqr || v > q3 + 1.5 * iqr) {
      ++mild;
    }
  }
  const double cv = mean > 0 ? stddev / mean : 0;
  const uint64_t total = ok + failed;
  json env = environment();
  json warnings = json::array();
  if (std::string(COSTOPS_BUILD_TYPE) == "Debug") warnings.push_back("debug_build");
  if (env["cpu_governor"] != "performance" && env["cpu_governor"] != "unknown")
    warnings.push_back("cpu_scaling_enabled");
  if (env.contains("load_average") &&
      env["load_average"][0].get<double>() > env["cores"].get<double>() * 0.75)
    warnings.push_back("high_load");
  if (cv > 0.1) warnings.push_back("high_cv");
  if (severe > 0) warnings.push_back("severe_outliers");
  if (per_op.size() < 30) warnings.push_back("few_samples");
  json samples = json::array();
  for (size_t i = 0; i < per_op.size() && i < 100; ++i) samples.push_back(finite(per_op[i]));
  json m;
  m["operations_per_second"] = median > 0 ? finite(1e9 / median) : 0.0;
  m["avg_duration_ns"] = ns(mean);
  m["p50_duration_ns"] = ns(median);
  m["p95_duration_ns"] = ns(percentile(sorted, 0.95));
  m["p99_duration_ns"] = ns(percentile(sorted, 0.99));
  m["total_iterations"] = total;
  m["success_rate"] =
      total > 0 ? finite(100.0 * static_cast<double>(ok) / static_cast<double>(total)) : 0.0;
  if (bytes_per_op > 0)
    m["throughput_mb_per_sec"] = median > 0 ? finite(bytes_per_op / median * 1e9 / 1e6) : 0.0;
  m["detail"] = {{"schema_version", 1},
                 {"unit", unit},
                 {"statistics",
                  {{"mean_ns", finite(mean)},
                   {"median_ns", finite(median)},
                   {"min_ns", finite(sorted.front())},
                   {"max_ns", finite(sorted.back())},
                   {"stddev_ns", finite(stddev)},
                   {"cv", finite(cv)},
                   {"median_ci95_ns",
                    {finite(percentile(medians, 0.025)), finite(percentile(medians, 0.975))}},
                   {"percentiles_from", "per-sample mean time per operation"},
                   {"outliers", {{"mild", mild}, {"severe", severe}}}}},
                 {"samples", per_op.size()},
                 {"iterations_per_sample", iters},
                 {"sample_ns", samples},
                 {"environment", env},
                 {"warnings", warnings}};
  if (bytes_per_op > 0) m["detail"]["bytes_per_operation"] = finite(bytes_per_op);
  return m;
}

// ---- runner ---------------------------------------------------------------------------------

namespace runner {

Result<BenchmarkResult> execute(BenchTarget& target, const RunOptions& options) {
  auto m = target.run(options);
  if (!m) return m.status().with_context(target.id());
  BenchmarkResult r;
  r.target_id = target.id();
  r.metrics = std::move(*m);
  r.timestamp =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  return r;
}

std::vector<Result<BenchmarkResult>> execute_all(
    const std::vector<std::unique_ptr<BenchTarget>>& targets, const RunOptions& options) {
  std::vector<Result<BenchmarkResult>> out;
  for (const auto& t : targets) out.push_back(execute(*t, options));
  return out;
}

std::vector<Result<BenchmarkResult>> run_all_benchmarks(const RunOptions& options) {
  return execute_all(all_targets(), options);
}

Status run_and_save(const std::string& dir, const RunOptions& options) {
  const auto targets = all_targets();
  const auto results = execute_all(targets, options);
  std::vector<BenchmarkResult> ok;
  std::vector<std::pair<std::string, std::string>> failures;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i]) {
      COSTOPS_RETURN_IF_ERROR(io::write_json(*results[i], dir));
      ok.push_back(*results[i]);
    } else {
      failures.emplace_back(targets[i]->id(), results[i].status().message());
    }
  }
  COSTOPS_RETURN_IF_ERROR(markdown::write_summary(ok, dir, failures));
  if (!failures.empty())
    return Status(StatusCode::kInternal, std::to_string(failures.size()) + " target(s) failed");
  return Status::ok();
}

std::future<std::vector<Result<BenchmarkResult>>> run_all_async(const RunOptions& options) {
  return std::async(std::launch::async, [options] { return run_all_benchmarks(options); });
}

}  // namespace runner

// ---- io -------------------------------------------------------------------------------------

namespace io {

Status write_json(const BenchmarkResult& r, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "raw", ec);
  if (ec) return io_error(dir + "/raw: " + ec.message());
  const fs::path p = fs::path(dir) / "raw" / (r.target_id + ".json");
  std::ofstream out(p);
  out << r.to_json().dump(2) << '\n';
  if (!out) return io_error(p.string() + ": cannot write");
  return Status::ok();
}

Result<BenchmarkResult> read_json(const std::string& target_id, const std::string& dir) {
  const fs::path p = fs::path(dir) / "raw" / (target_id + ".json");
  std::ifstream in(p);
  if (!in) return not_found(p.string() + ": no such result");
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return invalid_argument(p.string() + ": invalid JSON");
  auto r = BenchmarkResult::from_json(j);
  if (!r) return r.status().with_context(p.string());
  return r;
}

Result<std::vector<BenchmarkResult>> read_all(const std::string& dir) {
  std::vector<BenchmarkResult> out;
  std::error_code ec;
  std::vector<std::string> ids;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "raw", ec))
    if (e.path().extension() == ".json") ids.push_back(e.path().stem().string());
  if (ec) return io_error(dir + "/raw: " + ec.message());
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    auto r = read_json(id, dir);
    if (!r) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace io

// ---- markdown -------------------------------------------------------------------------------

namespace markdown {

std::string generate_summary(const std::vector<BenchmarkResult>& results,
                             const std::vector<std::pair<std::string, std::string>>& failures,
                             std::optional<Timestamp> generated_at) {
  const Timestamp when = generated_at.value_or(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
  std::ostringstream s;
  s << "# Benchmark Results\n\n";
  s << "Generated: " << stamp(when) << "\n\n";
  s << "Targets: " << results.size();
  if (!failures.empty()) s << " (" << failures.size() << " failed)";
  s << "\n\n";
  s << "| Target | Operations/sec | Avg Duration (ns) | Notes |\n";
  s << "|--------|----------------|-------------------|-------|\n";
  for (const auto& r : results) {
    char ops[64];
    std::snprintf(ops, sizeof ops, "%.2f", r.get_metric_f64("operations_per_second").value_or(0));
    std::string notes;
    if (r.metrics.contains("detail") && r.metrics["detail"].contains("warnings"))
      for (const auto& w : r.metrics["detail"]["warnings"])
        notes += (notes.empty() ? "" : ", ") + w.get<std::string>();
    s << "| " << r.target_id << " | " << ops << " | "
      << r.get_metric_u64("avg_duration_ns").value_or(0) << " | " << (notes.empty() ? "-" : notes)
      << " |\n";
  }
  for (const auto& [id, why] : failures) s << "| " << id << " | - | - | FAILED: " << why << " |\n";
  for (const auto& r : results)
    s << "\n## " << r.target_id << "\n\n```json\n" << r.metrics.dump(2) << "\n```\n";
  s << "\n---\nGenerated by cost-ops " << kVersion << "\n";
  return s.str();
}

Status write_summary(const std::vector<BenchmarkResult>& results, const std::string& dir,
                     const std::vector<std::pair<std::string, std::string>>& failures) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path p = fs::path(dir) / "summary.md";
  std::ofstream out(p);
  out << generate_summary(results, failures);
  if (!out) return io_error(p.string() + ": cannot write");
  return Status::ok();
}

}  // namespace markdown

}  // namespace costops::benchmarks
