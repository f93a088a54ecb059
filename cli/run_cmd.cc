// cost-ops run: the standard benchmark interface (raw/<target_id>.json + summary.md).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "commands.h"
#include "common.h"
#include "costops/benchmarks.h"

namespace costops::cli {
namespace {

struct RunCmd {
  std::string baseline;
  bool fail_on_regression = false;
  double noise = 0.02;
  std::string output = "benchmarks/output";
  std::string summary = "true";
  std::string targets;
  bool quick = false;
  bool list = false;
};

int run_benchmarks(RunCmd& o) {
  auto all = benchmarks::all_targets();
  if (o.list) {
    for (const auto& t : all) std::printf("%-18s %s\n", t->id().c_str(), t->description().c_str());
    return kExitOk;
  }
  std::vector<std::unique_ptr<benchmarks::BenchTarget>> chosen;
  if (o.targets.empty()) {
    chosen = std::move(all);
  } else {
    size_t start = 0;
    while (start <= o.targets.size()) {
      size_t end = o.targets.find(',', start);
      if (end == std::string::npos) end = o.targets.size();
      const std::string name = o.targets.substr(start, end - start);
      start = end + 1;
      if (name.empty()) continue;
      auto it =
          std::find_if(all.begin(), all.end(), [&](const auto& t) { return t && t->id() == name; });
      if (it == all.end()) {
        std::string valid;
        for (const auto& t : benchmarks::all_targets())
          valid += (valid.empty() ? "" : ", ") + t->id();
        report(invalid_argument("unknown target \"" + name + "\"; valid targets: " + valid));
        return kExitUsage;
      }
      chosen.push_back(std::move(*it));
    }
  }
  benchmarks::RunOptions opt;
  opt.quick = o.quick;
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  std::vector<benchmarks::BenchmarkResult> ok;
  std::vector<std::pair<std::string, std::string>> failures;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (tty) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const double eta =
          i == 0 ? 0 : elapsed / static_cast<double>(i) * static_cast<double>(chosen.size() - i);
      std::fprintf(stderr, "\r[%zu/%zu] %-18s elapsed %.0fs, ETA %.0fs   ", i + 1, chosen.size(),
                   chosen[i]->id().c_str(), elapsed, eta);
    }
    auto r = benchmarks::runner::execute(*chosen[i], opt);
    if (!r) {
      failures.emplace_back(chosen[i]->id(), r.status().message());
      continue;
    }
    if (Status st = benchmarks::io::write_json(*r, o.output); !st.is_ok()) {
      report(st);
      return kExitFailure;
    }
    ok.push_back(std::move(*r));
  }
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  if (o.summary != "false") {
    if (Status st = benchmarks::markdown::write_summary(ok, o.output, failures); !st.is_ok()) {
      report(st);
      return kExitFailure;
    }
  }
  std::printf("%-18s %16s %14s %14s  %s\n", "target", "ops/s", "p50 (ns)", "p99 (ns)", "warnings");
  for (const auto& r : ok) {
    std::string w;
    for (const auto& x : r.metrics["detail"]["warnings"])
      w += (w.empty() ? "" : ",") + x.get<std::string>();
    std::printf("%-18s %16.1f %14llu %14llu  %s\n", r.target_id.c_str(),
                r.get_metric_f64("operations_per_second").value_or(0),
                static_cast<unsigned long long>(r.get_metric_u64("p50_duration_ns").value_or(0)),
                static_cast<unsigned long long>(r.get_metric_u64("p99_duration_ns").value_or(0)),
                w.c_str());
  }
  for (const auto& [id, why] : failures) std::printf("%-18s FAILED: %s\n", id.c_str(), why.c_str());
  std::printf("results: %s/raw/, summary: %s/summary.md\n", o.output.c_str(), o.output.c_str());
  if (!o.baseline.empty()) {
    auto base = benchmarks::io::read_all(o.baseline);
    if (!base) {
      report(base.status());
      return kExitFailure;
    }
    const auto cmp = benchmarks::compare::compare_sets(*base, ok, o.noise);
    std::printf("\nagainst %s:\n%s", o.baseline.c_str(),
                benchmarks::compare::to_table(cmp).c_str());
    const bool regressed = std::any_of(cmp.begin(), cmp.end(), [](const auto& c) {
      return c.verdict == benchmarks::compare::Verdict::kRegressed;
    });
    if (regressed && o.fail_on_regression) return kExitUsage;  // 2: a regression
  }
  return failures.empty() ? kExitOk : kExitFailure;
}

struct CompareCmd {
  std::string base, candidate, format = "table";
  double noise = 0.02;
  bool fail_on_regression = false;
};

int run_compare(CompareCmd& o) {
  auto a = benchmarks::io::read_all(o.base);
  if (!a) {
    report(a.status());
    return kExitFailure;
  }
  auto b = benchmarks::io::read_all(o.candidate);
  if (!b) {
    report(b.status());
    return kExitFailure;
  }
  const auto cmp = benchmarks::compare::compare_sets(*a, *b, o.noise);
  if (o.format == "json") {
    std::printf("%s\n", benchmarks::compare::to_json(cmp).dump(2).c_str());
  } else if (o.format == "markdown") {
    std::printf("%s", benchmarks::compare::to_markdown(cmp).c_str());
  } else {
    std::printf("%s", benchmarks::compare::to_table(cmp).c_str());
  }
  const bool regressed = std::any_of(cmp.begin(), cmp.end(), [](const auto& c) {
    return c.verdict == benchmarks::compare::Verdict::kRegressed;
  });
  return regressed && o.fail_on_regression ? kExitUsage : kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, int& rc) {
  auto o = std::make_shared<RunCmd>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run the benchmark targets: raw/<target_id>.json per target and summary.md");
  cmd->footer(R"(
Each target warms up, calibrates iterations per sample, takes at least 30 samples (10 with
--quick) and records mean, median, percentiles, a bootstrap CI of the median, outliers, the
environment and warnings. The file format is shared with other repositories: see
benchmarks/README.md. Exit status 1 when a target failed (the others are still written).
Examples:
  cost-ops run --list
  cost-ops run --quick --output /tmp/bench
  cost-ops run --targets cost_calculator,ingest)");
  cmd->add_option("--output", o->output, "Output directory (default benchmarks/output)")
      ->type_name("DIR");
  cmd->add_option("--summary", o->summary, "Write summary.md: true or false")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--targets", o->targets, "Comma-separated target ids (default: all)");
  cmd->add_flag("--quick", o->quick, "Fewer samples and shorter warm-up (CI)");
  cmd->add_flag("--list", o->list, "List the targets and exit");
  cmd->add_option("--baseline", o->baseline, "Compare with the results in this directory")
      ->type_name("DIR");
  cmd->add_flag("--fail-on-regression", o->fail_on_regression,
                "Exit 2 when a target regressed against --baseline");
  cmd->add_option("--noise", o->noise,
                  "Changes within this fraction of the median are noise (default 0.02)")
      ->check(number_in(0, 1));
  cmd->callback([o, &rc] { rc = run_benchmarks(*o); });
}

struct AggregateCmd {
  std::vector<std::string> dirs;
  std::string output = "benchmarks/aggregate";
};

Status write_file(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (ec || !out) return io_error(path.string() + ": cannot write");
  return Status::ok();
}

int run_aggregate(const AggregateCmd& o) {
  std::vector<benchmarks::aggregate::Source> sources;
  for (const auto& d : o.dirs) sources.push_back(benchmarks::aggregate::parse_source(d));
  auto combined = benchmarks::aggregate::combine(sources);
  if (!combined) {
    report(combined.status());
    return kExitFailure;
  }
  const std::string md = benchmarks::aggregate::to_markdown(*combined);
  const std::filesystem::path dir(o.output);
  for (const auto& st : {write_file(dir / "summary.md", md),
                         write_file(dir / "summary.json", combined->dump(2) + "\n")}) {
    if (!st.is_ok()) {
      report(st);
      return kExitFailure;
    }
  }
  std::printf("%s\nwritten: %s/summary.md, %s/summary.json\n", md.c_str(), o.output.c_str(),
              o.output.c_str());
  return kExitOk;
}

struct ExportCmd {
  std::string to, dir, output;
};

int run_export(const ExportCmd& o) {
  auto results = benchmarks::io::read_all(o.dir);
  if (!results) {
    report(results.status());
    return kExitFailure;
  }
  if (o.to == "bmf") {
    const std::string text = benchmarks::exporters::to_bmf(*results).dump(2) + "\n";
    if (o.output.empty()) {
      std::fputs(text.c_str(), stdout);
      return kExitOk;
    }
    if (auto st = write_file(o.output, text); !st.is_ok()) {
      report(st);
      return kExitFailure;
    }
    std::printf("written: %s\n", o.output.c_str());
    return kExitOk;
  }
  const std::filesystem::path dir(o.output.empty() ? o.dir : o.output);
  const auto smaller = dir / "github-action-benchmark-smaller-is-better.json";
  const auto bigger = dir / "github-action-benchmark-bigger-is-better.json";
  for (const auto& st :
       {write_file(smaller,
                   benchmarks::exporters::to_github_smaller_is_better(*results).dump(2) + "\n"),
        write_file(bigger,
                   benchmarks::exporters::to_github_bigger_is_better(*results).dump(2) + "\n")}) {
    if (!st.is_ok()) {
      report(st);
      return kExitFailure;
    }
  }
  std::printf(
      "written: %s (tool: customSmallerIsBetter)\nwritten: %s (tool: customBiggerIsBetter)\n",
      smaller.c_str(), bigger.c_str());
  return kExitOk;
}

void add_bench_command(CLI::App& app, int& rc) {
  CLI::App* cmd = app.add_subcommand("bench", "Work with benchmark results");
  cmd->require_subcommand(1);
  auto o = std::make_shared<CompareCmd>();
  CLI::App* cmp = cmd->add_subcommand("compare", "Compare two result directories target by target");
  cmp->footer(R"(
A target regressed (or improved) only when a Mann-Whitney U test on the per-sample times is
significant (p < 0.05) AND the bootstrap 95% CI of the median ratio lies wholly outside the
noise band; results from a different CPU, core count or build type are incomparable.
Exit status 2 on a regression with --fail-on-regression.)");
  cmp->add_option("base", o->base, "Baseline results directory")->required();
  cmp->add_option("new", o->candidate, "New results directory")->required();
  cmp->add_option("--noise", o->noise, "Noise band as a fraction of the median (default 0.02)")
      ->check(number_in(0, 1));
  cmp->add_option("--format", o->format, "table, json or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}));
  cmp->add_flag("--fail-on-regression", o->fail_on_regression, "Exit 2 when a target regressed");
  cmp->callback([o, &rc] { rc = run_compare(*o); });

  auto ag = std::make_shared<AggregateCmd>();
  CLI::App* agg = cmd->add_subcommand(
      "aggregate", "Combine result directories from several repositories into one summary");
  agg->footer(R"(
Each DIR is a results directory (holding raw/) of a repository following this interface, as
NAME=DIR or a bare DIR named after its repository (a trailing benchmarks/output is skipped).
Writes summary.md and summary.json keyed <repo>/<target_id>.
Example:
  cost-ops bench aggregate cost-ops=benchmarks/output ../other/benchmarks/output --output /tmp/all)");
  agg->add_option("dirs", ag->dirs, "Result directories")->required();
  agg->add_option("--output", ag->output, "Where to write (default benchmarks/aggregate)")
      ->type_name("DIR");
  agg->callback([ag, &rc] { rc = run_aggregate(*ag); });

  auto ex = std::make_shared<ExportCmd>();
  CLI::App* exp = cmd->add_subcommand("export", "Results in another tool's format");
  exp->footer(R"(
bmf: Bencher Metric Format (latency in ns with the median's 95% CI, throughput in ops/s), to
stdout or --output FILE (bencher run --adapter json --file FILE).
github-action-benchmark: two files for benchmark-action/github-action-benchmark, tools
customSmallerIsBetter (average ns) and customBiggerIsBetter (ops/s), into --output DIR
(default: the results directory).)");
  exp->add_option("--to", ex->to, "bmf or github-action-benchmark")
      ->required()
      ->check(CLI::IsMember({"bmf", "github-action-benchmark"}));
  exp->add_option("dir", ex->dir, "Results directory (holding raw/)")->required();
  exp->add_option("--output", ex->output, "Output file (bmf) or directory")->type_name("PATH");
  exp->callback([ex, &rc] { rc = run_export(*ex); });
}

}  // namespace costops::cli
