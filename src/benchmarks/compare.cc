// Comparing benchmark runs: regressions are claimed only when both a rank test and the size of
// the change (bootstrap CI of the median ratio against a noise band) agree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include "costops/benchmarks.h"

namespace costops::benchmarks::compare {

using json = nlohmann::json;

namespace {

std::vector<double> samples_of(const BenchmarkResult& r) {
  std::vector<double> out;
  if (!r.metrics.contains("detail") || !r.metrics["detail"].contains("sample_ns")) return out;
  for (const auto& v : r.metrics["detail"]["sample_ns"])
    if (v.is_number()) out.push_back(v.get<double>());
  return out;
}

std::string env_field(const BenchmarkResult& r, const char* key) {
  if (!r.metrics.contains("detail") || !r.metrics["detail"].contains("environment")) return "";
  const json& e = r.metrics["detail"]["environment"];
  return e.contains(key) ? e[key].dump() : "";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Two-sided Mann-Whitney U test, normal approximation with tie correction.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> all;
  for (double v : a) all.push_back({v, 0});
  for (double v : b) all.push_back({v, 1});
  std::sort(all.begin(), all.end());
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size()), n = n1 + n2;
  double rank_sum_a = 0, tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double avg_rank =
        (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // ranks are 1-based
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    for (size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_sum_a += avg_rank;
    i = j;
  }
  const double u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return 1;
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(var);
  return std::erfc(std::max(z, 0.0) / std::sqrt(2.0));
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kImproved:
      return "improved";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kIncomparable:
      return "incomparable";
  }
  return "";
}

Comparison compare_results(const BenchmarkResult& base, const BenchmarkResult& cand, double noise) {
  Comparison c;
  c.target_id = cand.target_id;
  for (const char* k : {"cpu_model", "cores", "build_type"}) {
    if (env_field(base, k) != env_field(cand, k)) {
      c.reason = std::string("different ") + k;
      return c;
    }
  }
  const auto a = samples_of(base), b = samples_of(cand);
  if (a.size() < 3 || b.size() < 3) {
    c.reason = "too few samples";
    return c;
  }
  const double ma = median(a), mb = median(b);
  if (ma <= 0) {
    c.reason = "zero baseline";
    return c;
  }
  c.ratio = mb / ma;
  // Bootstrap the ratio of medians (deterministic seed).
  std::mt19937_64 rng(7);
  std::vector<double> ratios, ra(a.size()), rb(b.size());
  for (int i = 0; i < 2000; ++i) {
    for (auto& v : ra) v = a[std::uniform_int_distribution<size_t>(0, a.size() - 1)(rng)];
    for (auto& v : rb) v = b[std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng)];
    const double m = median(ra);
    if (m > 0) ratios.push_back(median(rb) / m);
  }
  std::sort(ratios.begin(), ratios.end());
  c.ratio_ci_low = ratios[static_cast<size_t>(0.025 * static_cast<double>(ratios.size() - 1))];
  c.ratio_ci_high = ratios[static_cast<size_t>(0.975 * static_cast<double>(ratios.size() - 1))];
  c.p_value = mann_whitney_p(a, b);
  const bool significant = c.p_value < 0.05;
  if (significant && c.ratio_ci_low > 1 + noise) {
    c.verdict = Verdict::kRegressed;
  } else if (significant && c.ratio_ci_high < 1 - noise) {
    c.verdict = Verdict::kImproved;
  } else {
    c.verdict = Verdict::kUnchanged;
  }
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "p=%.3g, median ratio %.3f (95%% CI %.3f-%.3f), noise band +/-%.0f%%", c.p_value,
                c.ratio, c.ratio_ci_low, c.ratio_ci_high, noise * 100);
  c.reason = buf;
  return c;
}

std::vector<Comparison> compare_sets(const std::vector<BenchmarkResult>& base,
                                     const std::vector<BenchmarkResult>& cand, double noise) {
  std::map<std::string, const BenchmarkResult*> by_id;
  for (const auto& r : base) by_id[r.target_id] = &r;
  std::vector<Comparison> out;
  for (const auto& r : cand) {
    auto it = by_id.find(r.target_id);
    if (it == by_id.end()) {
      out.push_back({r.target_id, Verdict::kIncomparable, 0, 0, 0, 1, "not in the baseline"});
      continue;
    }
    out.push_back(compare_results(*it->second, r, noise));
    by_id.erase(it);
  }
  for (const auto& [id, r] : by_id)
    out.push_back({id, Verdict::kIncomparable, 0, 0, 0, 1, "not in the new run"});
  return out;
}

namespace {

// A comparison's ratio, 95% CI and p as text; "-" for an incomparable one, which has none.
struct Figures {
  char ratio[32] = "-", ci[48] = "-", p[32] = "-";
};
Figures figures_of(const Comparison& c) {
  Figures f;
  if (c.verdict != Verdict::kIncomparable) {
    std::snprintf(f.ratio, sizeof f.ratio, "%.3f", c.ratio);
    std::snprintf(f.ci, sizeof f.ci, "%.3f-%.3f", c.ratio_ci_low, c.ratio_ci_high);
    std::snprintf(f.p, sizeof f.p, "%.3g", c.p_value);
  }
  return f;
}

}  // namespace

std::string to_table(const std::vector<Comparison>& cs) {
  std::ostringstream s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-18s %-13s %8s %19s %9s\n", "target", "verdict", "ratio",
                "95% CI", "p");
  s << buf;
  for (const auto& c : cs) {
    const Figures f = figures_of(c);
    std::snprintf(buf, sizeof buf, "%-18s %-13s %8s %19s %9s  %s\n", c.target_id.c_str(),
                  std::string(verdict_name(c.verdict)).c_str(), f.ratio, f.ci, f.p,
                  c.verdict == Verdict::kIncomparable ? c.reason.c_str() : "");
    s << buf;
  }
  return s.str();
}

json to_json(const std::vector<Comparison>& cs) {
  json arr = json::array();
  for (const auto& c : cs) {
    const bool compared = c.verdict != Verdict::kIncomparable;  // else no figures: null
    arr.push_back({{"target_id", c.target_id},
                   {"verdict", verdict_name(c.verdict)},
                   {"ratio", compared ? json(c.ratio) : json(nullptr)},
                   {"ratio_ci95", compared ? json{c.ratio_ci_low, c.ratio_ci_high} : json(nullptr)},
                   {"p_value", compared ? json(c.p_value) : json(nullptr)},
                   {"reason", c.reason}});
  }
  return {{"comparisons", arr}};
}

std::string to_markdown(const std::vector<Comparison>& cs) {
  std::ostringstream s;
  s << "| Target | Verdict | Median ratio | 95% CI | p | Note "
       "|\n|--------|---------|--------------|--------|---|------|\n";
  for (const auto& c : cs) {
    const Figures f = figures_of(c);
    s << "| " << c.target_id << " | " << verdict_name(c.verdict) << " | " << f.ratio << " | "
      << f.ci << " | " << f.p << " | "
      << (c.verdict == Verdict::kIncomparable ? c.reason : std::string()) << " |\n";
  }
  return s.str();
}

}  // namespace costops::benchmarks::compare
