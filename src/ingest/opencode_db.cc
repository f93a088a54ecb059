// OpenCode's database read as a stream of its messages (see ingest.h and agent_logs.h).
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "costops/domain/json_text.h"
#include "costops/ingest/ingest.h"
#include "util/text.h"

namespace costops::ingest {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

std::string_view column(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string_view();
}

// JSON text from a column as it is, on one line: a line break (which no well-formed JSON text
// holds inside a string, and OpenCode's compact text holds nowhere) becomes a blank, so that a
// broken value costs its own message alone. An empty value is null.
void append_raw(std::string& out, std::string_view json) {
  if (json.empty()) {
    out += "null";
    return;
  }
  const size_t from = out.size();
  out.append(json);
  for (size_t i = from; i < out.size(); ++i)
    if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
}

}  // namespace

bool is_sqlite_database(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  char head[16] = {};
  return f && std::fread(head, 1, sizeof head, f.get()) == sizeof head &&
         std::memcmp(head, "SQLite format 3", 16) == 0;  // (its 16th byte is the NUL)
}

Result<std::unique_ptr<std::FILE, int (*)(std::FILE*)>> open_opencode_database(
    const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2((util::sqlite_file_uri(path) + "?mode=ro").c_str(), &raw,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, CloseDb> db(raw);
  if (rc != SQLITE_OK) {
    return io_error(path + ": cannot open the SQLite database: " +
                    (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), 10000);  // (OpenCode may be writing it)
  const auto prepare = [&](const char* sql) -> Result<std::unique_ptr<sqlite3_stmt, Finalize>> {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr) != SQLITE_OK)
      return io_error(path + ": cannot read the database: " + sqlite3_errmsg(db.get()));
    return std::unique_ptr<sqlite3_stmt, Finalize>(s);
  };
  {
    auto tables = prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
        "name IN ('session', 'message', 'part')");
    if (!tables) return tables.status();
    if (sqlite3_step(tables->get()) != SQLITE_ROW || sqlite3_column_int(tables->get(), 0) != 3) {
      return invalid_argument(path +
                              ": a SQLite database, but not OpenCode's (it has no session, "
                              "message and part tables); the SQLite database cost-ops reads "
                              "as input is OpenCode's ~/.local/share/opencode/opencode.db");
    }
  }
  // Each message, in the order of its id (OpenCode's ids ascend with time), with the step-finish
  // parts that hold its calls' usage, and its session's directory and parent (a sub-agent's).
  auto rows = prepare(
      "SELECT m.id, m.session_id, m.data, s.directory, s.parent_id, p.data "
      "FROM message m LEFT JOIN session s ON s.id = m.session_id "
      "LEFT JOIN part p ON p.message_id = m.id AND instr(p.data, '\"step-finish\"') > 0 "
      "ORDER BY m.id, p.id");
  if (!rows) return rows.status();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::tmpfile(), &std::fclose);
  if (!out) return io_error(path + ": cannot make a temporary file: " + std::strerror(errno));
  // Kilo Code's (kilo.db) has OpenCode's schema: its records are Kilo's.
  const std::string app =
      std::filesystem::path(path).filename().string().starts_with("kilo") ? "kilo" : "opencode";
  std::string line, current;  // the open message's line and id
  bool open = false, first_step = true;
  const auto flush = [&]() -> bool {
    if (!open) return true;
    open = false;
    line += "]}}\n";
    const bool ok = std::fwrite(line.data(), 1, line.size(), out.get()) == line.size();
    line.clear();
    return ok;
  };
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(rows->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = rows->get();
    const std::string_view id = column(s, 0);
    if (!open || id != current) {
      if (!flush()) return io_error(path + ": cannot write a temporary file");
      open = true;
      current.assign(id);
      line += "{\"opencode\":{\"id\":";
      append_json_string(line, id);
      line += ",\"app\":\"" + app + "\"";
      line += ",\"session\":";
      append_json_string(line, column(s, 1));
      line += ",\"directory\":";
      append_json_string(line, column(s, 3));
      line += ",\"parent\":";
      append_json_string(line, column(s, 4));
      line += ",\"message\":";
      append_raw(line, column(s, 2));
      line += ",\"steps\":[";
      first_step = true;
    }
    if (sqlite3_column_type(s, 5) == SQLITE_NULL) continue;
    if (!first_step) line += ',';
    first_step = false;
    append_raw(line, column(s, 5));
  }
  if (step != SQLITE_DONE)
    return io_error(path + ": cannot read the database: " + sqlite3_errmsg(db.get()));
  if (!flush() || std::fflush(out.get()) != 0)
    return io_error(path + ": cannot write a temporary file");
  std::rewind(out.get());
  return out;
}

}  // namespace costops::ingest
