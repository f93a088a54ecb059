// CSV fields (RFC 4180), shared by ingest and series files. Private to the library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace costops::util {

// Splits CSV records into fields, a line at a time (RFC 4180: quoted fields hold doubled quotes,
// commas and line breaks; a record whose quoted field is open at the end of a line goes on with
// the next).
class CsvSplitter {
 public:
  // The field separator: ',' unless set (a header's, see csv_separator).
  void set_separator(char c) { separator_ = c; }
  // Starts a record with its first line.
  void start(std::string_view line) {
    drop();
    add(line);
  }
  // Goes on with the next line of an open record: the line break belongs to the quoted field.
  void resume(std::string_view line) {
    field_.push_back('\n');
    add(line);
  }
  // Whether a quoted field is still open: the record goes on with the next line.
  bool open() const { return quoted_; }
  // Drops the record read so far (one whose quote does not close).
  void drop() {
    fields_.clear();
    field_.clear();
    quoted_ = was_quoted_ = false;
  }
  // Closes the record; an open quote is dropped (the record is then unterminated).
  std::vector<std::string>& fields() {
    fields_.push_back(std::move(field_));
    field_.clear();
    quoted_ = false;
    return fields_;
  }

 private:
  void add(std::string_view line) {
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted_) {
        if (c != '"') {
          field_.push_back(c);
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field_.push_back('"');
          ++i;
        } else {
          quoted_ = false;
        }
      } else if (c == '"' && field_.empty() && !was_quoted_) {
        quoted_ = was_quoted_ = true;
      } else if (c == separator_) {
        fields_.push_back(std::move(field_));
        field_.clear();
        was_quoted_ = false;
      } else if (c != '\r' || i + 1 != line.size()) {
        field_.push_back(c);
      }
    }
  }

  std::vector<std::string> fields_;
  std::string field_;
  bool quoted_ = false, was_quoted_ = false;
  char separator_ = ',';
};

// The separator of a CSV file, from its header line: ',' when the header has one outside quotes,
// else a tab, else ';' (spreadsheets in locales whose decimal mark is a comma write ';').
inline char csv_separator(std::string_view header) {
  bool quoted = false, tab = false, semicolon = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == ',') return ',';
    tab |= c == '\t';
    semicolon |= c == ';';
  }
  return tab ? '\t' : semicolon ? ';' : ',';
}

// The fields of one CSV line (RFC 4180 quoting: "1,000" is one field) split at `separator`, each
// trimmed of spaces; nullopt when a quote does not close.
inline std::optional<std::vector<std::string>> split_csv_line(std::string_view line,
                                                              char separator) {
  CsvSplitter csv;
  csv.set_separator(separator);
  csv.start(line);
  if (csv.open()) return std::nullopt;
  std::vector<std::string> cells = std::move(csv.fields());
  for (auto& c : cells) {
    const size_t first = c.find_first_not_of(" \t\r");
    c.erase(0, first == std::string::npos ? c.size() : first);
    c.erase(c.find_last_not_of(" \t\r") + 1);
  }
  return cells;
}

// A number written with a decimal comma ("0,92", "-1234,5"), as spreadsheets in locales whose
// decimal mark is a comma write into a ';'- or tab-separated file, with its comma made a point;
// anything else as it is (in a ','-separated file a comma is never a decimal mark).
inline std::string decimal_point(std::string_view cell, char separator) {
  std::string out(cell);
  if (separator == ',') return out;
  const size_t comma = out.find(',');
  if (comma == std::string::npos) return out;
  const size_t digits = out[0] == '-' || out[0] == '+' ? 1 : 0;
  auto all_digits = [&](size_t from, size_t to) {
    if (from >= to) return false;
    for (size_t i = from; i < to; ++i) {
      if (out[i] < '0' || out[i] > '9') return false;
    }
    return true;
  };
  if (all_digits(digits, comma) && all_digits(comma + 1, out.size())) out[comma] = '.';
  return out;
}

}  // namespace costops::util
