// Metrics in Prometheus' text exposition format (version 0.0.4), as Prometheus scrapes them and as
// node_exporter's textfile collector and a Pushgateway read them: spend and budgets as gauges, for
// dashboards and alert rules.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/domain/status.h"

namespace costops::report {

/// A sample's labels: name and value, in the order written.
using PrometheusLabels = std::vector<std::pair<std::string, std::string>>;

/// `s` as a Prometheus label name: each byte outside [A-Za-z0-9_] becomes `_` ("tag:team" is
/// "tag_team"), and a name that would be empty, start with a digit or start with `__` (reserved
/// for Prometheus' own labels) gets the prefix `l_`.
std::string prometheus_label_name(std::string_view s);

/// prometheus_label_name of each of `names` (group keys such as "provider" or "tag:team", which
/// becomes "tag_team"). Errors (kInvalidArgument) when two of them, or one and one of `reserved`
/// (labels the caller adds, such as "currency"), come to the same label name.
Result<std::vector<std::string>> prometheus_label_names(std::span<const std::string> names,
                                                        std::span<const std::string> reserved);

/// Labels given as NAME=VALUE (a command line's --label): each NAME a valid label name as it is
/// ([a-zA-Z_][a-zA-Z0-9_]*, not beginning with `__`), given once, and none of `taken` (the labels
/// the samples have already). Errors (kInvalidArgument) quote the text at fault.
Result<PrometheusLabels> parse_prometheus_labels(std::span<const std::string> texts,
                                                 std::span<const std::string> taken);

/// Gauges gathered by metric family and written in the text exposition format: each family's
/// `# HELP` and `# TYPE` lines once, then its samples, families in the order first added and
/// samples in the order added. Label values and help texts are escaped as the format requires.
class PrometheusText {
 public:
  /// `constant`: labels every sample has, first (a file's period=month-to-date, so that two files
  /// of the same gauges are told apart).
  explicit PrometheusText(PrometheusLabels constant = {}) : constant_(std::move(constant)) {}
  /// Adds a sample of the gauge `name` (REQUIRES: a valid metric name, [a-zA-Z_:][a-zA-Z0-9_:]*,
  /// and label names as prometheus_label_name gives; the same `help` each time for a name).
  /// `value` is the sample's number as text, written as given: an exact decimal stays exact.
  void gauge(std::string_view name, std::string_view help, const PrometheusLabels& labels,
             std::string_view value);
  /// The exposition, ending with a line break; "" without samples.
  std::string str() const;

 private:
  struct Family {
    std::string name, help, samples;
  };
  PrometheusLabels constant_;
  std::vector<Family> families_;
};

}  // namespace costops::report
