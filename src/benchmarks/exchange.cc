// Results across repositories (bench aggregate) and in other tools' formats (bench export).
#include <filesystem>
#include <set>
#include <sstream>

#include "costops/benchmarks.h"

namespace costops::benchmarks {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* const kSharedKeys[] = {"operations_per_second", "avg_duration_ns", "p50_duration_ns",
                                   "p95_duration_ns",       "p99_duration_ns", "total_iterations",
                                   "throughput_mb_per_sec", "success_rate"};

std::string fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A value of another repository's results as table text, whatever its JSON type: a string as
// itself, anything else as JSON ("" when absent).
std::string cell_text(const json& o, const char* k) {
  const auto it = o.find(k);  // end() when o is not an object
  if (it == o.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json* detail_of(const BenchmarkResult& r) {
  const auto it = r.metrics.find("detail");
  return it != r.metrics.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

namespace aggregate {

Source parse_source(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq != std::string::npos && eq > 0 && arg.find('/') > eq) {
    return {arg.substr(0, eq), arg.substr(eq + 1)};
  }
  fs::path p = fs::weakly_canonical(fs::path(arg));
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename() == "output") {
    p = p.parent_path();
    if (p.filename() == "benchmarks") p = p.parent_path();
  }
  return {p.filename().string(), arg};
}

Result<json> combine(const std::vector<Source>& sources) {
  json repos = json::array();
  json results = json::object();
  std::set<std::string> names;
  for (const auto& s : sources) {
    if (s.repo.empty())
      return invalid_argument(s.dir + ": cannot name the repository; use NAME=DIR");
    if (!names.insert(s.repo).second) {
      return invalid_argument("repository \"" + s.repo + "\" given twice; name them with NAME=DIR");
    }
    auto all = io::read_all(s.dir);
    if (!all) return all.status().with_context(s.repo);
    json targets = json::array();
    for (const auto& r : *all) {
      json row{
          {"repo", s.repo}, {"target_id", r.target_id}, {"timestamp", r.to_json()["timestamp"]}};
      for (const char* k : kSharedKeys) {
        if (r.metrics.contains(k)) row[k] = r.metrics[k];
      }
      if (const json* d = detail_of(r); d && d->contains("environment")) {
        const json& env = (*d)["environment"];
        json e = json::object();
        for (const char* k : {"cpu_model", "cores", "build_type", "host"}) {
          if (env.contains(k)) e[k] = env[k];
        }
        row["environment"] = e;
      }
      if (const json* d = detail_of(r); d && d->contains("warnings"))
        row["warnings"] = (*d)["warnings"];
      results[s.repo + "/" + r.target_id] = row;
      targets.push_back(r.target_id);
    }
    repos.push_back({{"repo", s.repo}, {"dir", s.dir}, {"targets", targets}});
  }
  const Timestamp now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  return json{{"generated", format_timestamp(now)}, {"repositories", repos}, {"results", results}};
}

std::string to_markdown(const json& combined) {
  std::ostringstream s;
  s << "# Combined Benchmark Results\n\n";
  s << "Generated: " << cell_text(combined, "generated") << "\n\n";
  s << "Repositories: " << combined["repositories"].size()
    << ", targets: " << combined["results"].size() << "\n\n";
  s << "| Target | Operations/sec | Avg Duration (ns) | p99 (ns) | Machine | Notes |\n";
  s << "|---|---:|---:|---:|---|---|\n";
  for (const auto& [key, r] : combined["results"].items()) {
    // Other repositories' files may give any type; each is shown as it is.
    const auto ops = r.find("operations_per_second");
    std::string machine;
    if (const auto e = r.find("environment"); e != r.end()) {
      machine = cell_text(*e, "cpu_model");
      if (e->contains("cores")) machine += " x" + cell_text(*e, "cores");
      if (e->contains("build_type")) machine += " " + cell_text(*e, "build_type");
    }
    std::string notes;
    if (const auto w = r.find("warnings"); w != r.end() && w->is_array()) {
      for (const auto& note : *w)
        notes += (notes.empty() ? "" : ", ") +
                 (note.is_string() ? note.get<std::string>() : note.dump());
    }
    s << "| " << key << " | "
      << (ops == r.end()     ? ""
          : ops->is_number() ? fmt(ops->get<double>(), 2)
                             : ops->dump())
      << " | " << cell_text(r, "avg_duration_ns") << " | " << cell_text(r, "p99_duration_ns")
      << " | " << machine << " | " << notes << " |\n";
  }
  for (const auto& repo : combined["repositories"]) {
    s << "\n## " << cell_text(repo, "repo") << "\n\n";
    s << "Results: `" << cell_text(repo, "dir") << "`, " << repo["targets"].size() << " targets\n";
  }
  return s.str();
}

}  // namespace aggregate

namespace exporters {

json to_bmf(const std::vector<BenchmarkResult>& results) {
  json out = json::object();
  for (const auto& r : results) {
    json m = json::object();
    const auto median = r.get_metric_f64("p50_duration_ns");
    const auto avg = r.get_metric_f64("avg_duration_ns");
    if (median || avg) {
      json lat{{"value", median ? *median : *avg}};
      if (const json* d = detail_of(r); d && d->contains("statistics")) {
        const json& st = (*d)["statistics"];
        if (st.contains("median_ci95_ns") && st["median_ci95_ns"].size() == 2) {
          lat["lower_value"] = st["median_ci95_ns"][0];
          lat["upper_value"] = st["median_ci95_ns"][1];
        }
      }
      m["latency"] = lat;
    }
    if (auto ops = r.get_metric_f64("operations_per_second")) m["throughput"] = {{"value", *ops}};
    out[r.target_id] = m;
  }
  return out;
}

json to_github_smaller_is_better(const std::vector<BenchmarkResult>& results) {
  json out = json::array();
  for (const auto& r : results) {
    const auto avg = r.get_metric_f64("avg_duration_ns");
    if (!avg) continue;
    json e{{"name", r.target_id}, {"unit", "ns"}, {"value", *avg}};
    if (const json* d = detail_of(r); d && d->contains("statistics")) {
      const json& st = (*d)["statistics"];
      if (st.contains("stddev_ns")) e["range"] = "± " + fmt(st["stddev_ns"].get<double>(), 0);
    }
    if (auto p99 = r.get_metric_u64("p99_duration_ns")) {
      e["extra"] = "p99 " + std::to_string(*p99) + " ns";
    }
    out.push_back(e);
  }
  return out;
}

json to_github_bigger_is_better(const std::vector<BenchmarkResult>& results) {
  json out = json::array();
  for (const auto& r : results) {
    const auto ops = r.get_metric_f64("operations_per_second");
    if (!ops) continue;
    json e{{"name", r.target_id}, {"unit", "ops/s"}, {"value", *ops}};
    if (auto it = r.get_metric_u64("total_iterations")) {
      e["extra"] = std::to_string(*it) + " iterations";
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace exporters
}  // namespace costops::benchmarks
