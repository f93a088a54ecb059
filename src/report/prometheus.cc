#include "costops/report/prometheus.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace costops::report {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

[[maybe_unused]] bool valid_label_name(std::string_view s) {
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
  if (!labels.empty()) {
    s += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      assert(valid_label_name(labels[i].first));
      if (i) s += ',';
      s += labels[i].first + "=\"" + escaped(labels[i].second, true) + '"';
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
