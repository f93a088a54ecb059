// A record in the JSON form that RecordParser reads, built member by member: the log readers'
// (agent_logs.cc, realtime.cc) records. Internal to ingest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "costops/domain/json_text.h"

namespace costops::ingest::detail {

// Empty texts and zero counts are left out. Counts (count()) make the record's "usage"; a reader
// that has a provider's usage object as it is gives it with json("usage", ...) instead.
class RecordText {
 public:
  void field(std::string_view key, const std::string& value) { add(fields_, key, value); }
  // A member whose value is JSON text already (a logged cost's number, a usage object).
  void json(std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (!fields_.empty()) fields_ += ',';
    append_json_string(fields_, key);
    fields_ += ':' + value;
  }
  void tag(std::string_view key, const std::string& value) { add(tags_, key, value); }
  // A usage count; `always` writes a zero too.
  void count(std::string_view key, uint64_t n, bool always = false) {
    if (n == 0 && !always) return;
    if (!usage_.empty()) usage_ += ',';
    append_json_string(usage_, key);
    usage_ += ':' + std::to_string(n);
  }
  std::string text() const {
    std::string r = "{" + fields_;
    if (!tags_.empty()) r += (r.size() > 1 ? ",\"tags\":{" : "\"tags\":{") + tags_ + "}";
    if (!usage_.empty()) r += (r.size() > 1 ? ",\"usage\":{" : "\"usage\":{") + usage_ + "}";
    return r + "}";
  }

 private:
  static void add(std::string& to, std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (!to.empty()) to += ',';
    append_json_string(to, key);
    to += ':';
    append_json_string(to, value);
  }
  std::string fields_, tags_, usage_;
};

}  // namespace costops::ingest::detail
