#include "costops/report/prometheus.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>

namespace costops::report {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

bool valid_label_name(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!name_char(s[i], i == 0)) return false;
  }
  return true;
}

// The format's escapes: a help text escapes backslashes and line breaks; a label value escapes
// double quotes too.
std::string escaped(std::string_view s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string prometheus_label_name(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) out += name_char(c, false) ? c : '_';
  if (out.empty() || (out[0] >= '0' && out[0] <= '9') || out.starts_with("__")) out = "l_" + out;
  return out;
}

Result<std::vector<std::string>> prometheus_label_names(std::span<const std::string> names,
                                                        std::span<const std::string> reserved) {
  std::map<std::string, std::string> taken;  // label name -> the group key it came from
  std::vector<std::string> out;
  for (const auto& n : names) {
    std::string label = prometheus_label_name(n);
    if (std::find(reserved.begin(), reserved.end(), label) != reserved.end()) {
      return invalid_argument(n + " would be the Prometheus label \"" + label +
                              "\", which cost-ops adds itself");
    }
    if (auto [it, fresh] = taken.emplace(label, n); !fresh) {
      return invalid_argument(it->second + " and " + n + " are both the Prometheus label \"" +
                              label + "\"; group by one of them");
    }
    out.push_back(std::move(label));
  }
  return out;
}

Result<PrometheusLabels> parse_prometheus_labels(std::span<const std::string> texts,
                                                 std::span<const std::string> taken) {
  PrometheusLabels out;
  for (const std::string& t : texts) {
    const size_t eq = t.find('=');
    const std::string name = t.substr(0, eq);
    if (eq == std::string::npos || name.empty()) {
      return invalid_argument("--label \"" + t + "\": expected NAME=VALUE, such as period=today");
    }
    if (!valid_label_name(name)) {
      return invalid_argument("--label \"" + t +
                              "\": a label name is letters, digits and underscores, not beginning "
                              "with a digit or with __");
    }
    const bool repeated =
        std::any_of(out.begin(), out.end(), [&](const auto& l) { return l.first == name; });
    if (repeated || std::find(taken.begin(), taken.end(), name) != taken.end()) {
      return invalid_argument("--label \"" + t + "\": the samples have a label " + name +
                              (repeated ? " already (given twice)" : " already"));
    }
    out.emplace_back(name, t.substr(eq + 1));
  }
  return out;
}

void PrometheusText::gauge(std::string_view name, std::string_view help,
                           const PrometheusLabels& labels, std::string_view value) {
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const Family& f) { return f.name == name; });
  if (it == families_.end()) {
    families_.push_back({std::string(name), std::string(help), {}});
    it = families_.end() - 1;
  }
  assert(it->help == help);
  std::string& s = it->samples;
  s += name;
  if (!labels.empty() || !constant_.empty()) {
    s += '{';
    bool first = true;
    for (const PrometheusLabels* set :
         std::array<const PrometheusLabels*, 2>{&constant_, &labels}) {
      for (const auto& [label, text] : *set) {
        assert(valid_label_name(label));
        if (!first) s += ',';
        first = false;
        s += label + "=\"" + escaped(text, true) + '"';
      }
    }
    s += '}';
  }
  s += ' ';
  s += value;
  s += '\n';
}

std::string PrometheusText::str() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + escaped(f.help, false) + "\n";
    out += "# TYPE " + f.name + " gauge\n";
    out += f.samples;
  }
  return out;
}

}  // namespace costops::report
