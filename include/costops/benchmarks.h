// The benchmark interface shared by ~25 repositories: targets, a runner that measures them, and
// the result files (raw/<target_id>.json + summary.md). Field names and layout are a contract.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "costops/domain/status.h"
#include "costops/domain/time.h"

namespace costops::benchmarks {

/// One target's measurement. File form:
/// {"target_id": "...", "metrics": {...}, "timestamp": "2025-12-02T12:34:56.789Z"}.
/// metrics holds the shared flat keys (operations_per_second, avg_duration_ns,
/// p50/p95/p99_duration_ns, total_iterations, throughput_mb_per_sec, success_rate) and everything
/// else under "detail".
struct BenchmarkResult {
  std::string target_id;
  nlohmann::json metrics = nlohmann::json::object();
  Timestamp timestamp{};

  std::optional<double> get_metric_f64(const std::string& key) const;
  std::optional<uint64_t> get_metric_u64(const std::string& key) const;
  nlohmann::json to_json() const;
  /// Errors name what is missing or mistyped.
  static Result<BenchmarkResult> from_json(const nlohmann::json& j);
};

struct RunOptions {
  bool quick = false;         // fewer samples and shorter warm-up (for CI)
  double max_seconds = 10.0;  // per-target time cap for measuring
};

/// A thing to measure. id(): lowercase letters, digits and underscores; unique and stable.
class BenchTarget {
 public:
  virtual ~BenchTarget() = default;
  virtual std::string id() const = 0;
  virtual std::string description() const = 0;
  /// Warms up, measures and returns the metrics (see BenchmarkResult). Errors when the target
  /// cannot run (its inputs failed to load, ...).
  virtual Result<nlohmann::json> run(const RunOptions& options) = 0;
};

/// Every registered target, in a stable order.
std::vector<std::unique_ptr<BenchTarget>> all_targets();

namespace runner {
/// Runs one target and stamps the result (UTC, milliseconds).
Result<BenchmarkResult> execute(BenchTarget& target, const RunOptions& options = {});
/// Runs each target; a failing one does not stop the others.
std::vector<Result<BenchmarkResult>> execute_all(
    const std::vector<std::unique_ptr<BenchTarget>>& targets, const RunOptions& options = {});
/// execute_all(all_targets()).
std::vector<Result<BenchmarkResult>> run_all_benchmarks(const RunOptions& options = {});
/// Runs all targets and writes raw/<id>.json and summary.md under `output_dir`. Errors when a
/// target failed (after writing the others) or files cannot be written.
Status run_and_save(const std::string& output_dir, const RunOptions& options = {});
/// run_all_benchmarks on another thread.
std::future<std::vector<Result<BenchmarkResult>>> run_all_async(const RunOptions& options = {});
}  // namespace runner

namespace io {
/// Writes <dir>/raw/<target_id>.json.
Status write_json(const BenchmarkResult& result, const std::string& dir);
Result<BenchmarkResult> read_json(const std::string& target_id, const std::string& dir);
/// Every result under <dir>/raw, by target id.
Result<std::vector<BenchmarkResult>> read_all(const std::string& dir);
}  // namespace io

namespace markdown {
/// Title, generation time, count, the table | Target | Operations/sec | Avg Duration (ns) | Notes
/// |, failures, a section per target with its metrics as pretty JSON, and the cost-ops version.
std::string generate_summary(const std::vector<BenchmarkResult>& results,
                             const std::vector<std::pair<std::string, std::string>>& failures = {},
                             std::optional<Timestamp> generated_at = std::nullopt);
/// Writes generate_summary(...) to <dir>/summary.md.
Status write_summary(const std::vector<BenchmarkResult>& results, const std::string& dir,
                     const std::vector<std::pair<std::string, std::string>>& failures = {});
}  // namespace markdown

/// Measures `op` (called `batch` times per call; returns false on failure) with warm-up,
/// calibration and statistics, and returns the metrics object. `bytes_per_op` > 0 adds
/// throughput_mb_per_sec.
nlohmann::json measure(const std::function<bool(uint64_t batch)>& op, const RunOptions& options,
                       double bytes_per_op = 0, const std::string& unit = "operation");

namespace compare {
enum class Verdict { kRegressed, kImproved, kUnchanged, kIncomparable };
std::string_view verdict_name(Verdict v);

struct Comparison {
  std::string target_id;
  Verdict verdict = Verdict::kIncomparable;
  double ratio = 0;         // new median / base median (> 1: slower)
  double ratio_ci_low = 0;  // bootstrap 95% CI of the ratio
  double ratio_ci_high = 0;
  double p_value = 1;  // two-sided Mann-Whitney U on the per-sample times
  std::string reason;  // why incomparable, or what decided
};

/// Compares two results of the same target. A change is decided only when the Mann-Whitney U
/// test is significant (p < 0.05) AND the bootstrap 95% CI of the median ratio lies wholly
/// outside [1 - noise, 1 + noise]. Different machine fingerprints (CPU model, cores) or build
/// types, or missing samples, make the pair incomparable.
Comparison compare_results(const BenchmarkResult& base, const BenchmarkResult& candidate,
                           double noise = 0.02);

/// Compares every target present in both sets (targets only in one are incomparable).
std::vector<Comparison> compare_sets(const std::vector<BenchmarkResult>& base,
                                     const std::vector<BenchmarkResult>& candidate,
                                     double noise = 0.02);

std::string to_table(const std::vector<Comparison>& c);
nlohmann::json to_json(const std::vector<Comparison>& c);
std::string to_markdown(const std::vector<Comparison>& c);
}  // namespace compare

/// Results from several repositories following this interface, in one place.
namespace aggregate {
/// One repository's result directory (the one holding raw/).
struct Source {
  std::string repo;  // the key prefix
  std::string dir;
};
/// "NAME=DIR" names the repository; a bare DIR is named after the directory, skipping a trailing
/// "benchmarks/output" or "output" (so ~/src/cost-ops/benchmarks/output is "cost-ops").
Source parse_source(const std::string& arg);
/// Reads every source's raw/*.json. The result: {"generated", "repositories": [{"repo", "dir",
/// "targets"}], "results": {"<repo>/<target_id>": {"repo", "target_id", "timestamp",
/// "operations_per_second", "avg_duration_ns", ..., "environment": {cpu_model, cores,
/// build_type}}}}. Errors name the directory or file that could not be read, and repeated
/// repository names.
Result<nlohmann::json> combine(const std::vector<Source>& sources);
/// The combined results as Markdown: a table keyed <repo>/<target_id> and one per repository.
std::string to_markdown(const nlohmann::json& combined);
}  // namespace aggregate

/// Results in other tools' formats.
namespace exporters {
/// Bencher Metric Format: {"<target_id>": {"latency": {"value", "lower_value", "upper_value"}
/// (ns, the median and its 95% CI when known), "throughput": {"value"} (operations/s)}}.
nlohmann::json to_bmf(const std::vector<BenchmarkResult>& results);
/// github-action-benchmark's custom tools: {name, unit, value, range?, extra} arrays.
/// customSmallerIsBetter: average duration in ns; customBiggerIsBetter: operations per second.
nlohmann::json to_github_smaller_is_better(const std::vector<BenchmarkResult>& results);
nlohmann::json to_github_bigger_is_better(const std::vector<BenchmarkResult>& results);
}  // namespace exporters

/// The machine, build and load, as recorded in every result's detail.environment.
nlohmann::json environment();

}  // namespace costops::benchmarks
