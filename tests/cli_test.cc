// The cost-ops executable, run as a user would: stdout, stderr and exit code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "costops/forecasting/series.h"
#include "test_util.h"
#include "util/csv.h"

namespace costops {
namespace {

struct CliRun {
  int rc;
  std::string out, err;
};

CliRun run(const std::string& args, const std::string& input = "") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto in = dir / "in", out = dir / "out", err = dir / "err";
  std::ofstream(in) << input;
  const std::string cmd = std::string(COSTOPS_CLI) + " " + args + " <" + in.string() + " >" +
                          out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CliRun r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_file(out.string()),
           testing::read_file(err.string())};
  std::filesystem::remove_all(dir);
  return r;
}

// The number of times `needle` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A database path of a test's own, costops_NAME_PID.db in the temporary directory, without a
// database there yet.
std::string fresh_db(const std::string& name) {
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("costops_" + name + "_" + std::to_string(::getpid()) + ".db"))
                             .string();
  std::filesystem::remove(db);
  return db;
}

// Runs a command that succeeds and says `note` on stderr ("note: " + note).
void expect_note(const std::string& args, const std::string& note) {
  const CliRun r = run(args);
  EXPECT_EQ(r.rc, 0) << args << ": " << r.err;
  EXPECT_NE(r.err.find("note: " + note), std::string::npos) << args << ": " << r.err;
}

TEST(CliTest, PricesLinesInOrderAndReportsBadOnesWithoutStopping) {
  const std::string input =
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"cache_read_tokens":200,"output_tokens":50}})"
      "\n"
      "\n"
      "{not json\n"
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":-5}})"
      "\n"
      R"({"provider":"openai","model":"gpt-404","usage":{"input_tokens":5}})"
      "\n"
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":5,"cache_read_tokens":10}})"
      "\n"
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":5.5}})"
      "\n"
      R"({"provider":"anthropic","model":"claude-3-5-haiku","usage":{"input_tokens":10,"output_tokens":1}})";
  CliRun r = run("price --as-of 2026-08-21T12:00:00Z", input);
  EXPECT_EQ(r.rc, 1) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  EXPECT_EQ(
      lines[0],
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":50,"cache_read_tokens":200},"input_price":"0.00225","output_price":"0.0005","total_price":"0.00275"})");
  EXPECT_NE(
      lines[1].find(R"({"line":3,"error":{"code":"invalid_argument","message":"invalid JSON)"),
      std::string::npos)
      << lines[1];
  EXPECT_EQ(
      lines[2],
      R"({"line":4,"error":{"code":"invalid_argument","message":"field \"usage.input_tokens\": expected a non-negative integer, got -5"}})");
  EXPECT_NE(
      lines[3].find(
          R"("code":"not_found","message":"unknown model \"gpt-404\" for provider \"openai\")"),
      std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find(R"("code":"inconsistent_usage")"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("got 5.5"), std::string::npos) << lines[5];
  EXPECT_NE(lines[6].find(R"("total_price":"0.000012")"), std::string::npos) << lines[6];
}

TEST(CliTest, ExitsZeroWhenEveryLinePricesAndHonoursTimestamps) {
  const std::string input =
      R"({"provider":"deepseek","model":"deepseek-chat","timestamp":"2026-05-01T20:00:00Z","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"provider":"deepseek","model":"deepseek-chat","usage":{"input_tokens":1000000}})"
      "\n";
  CliRun r = run("price --as-of 2026-05-01T12:00:00Z -", input);
  EXPECT_EQ(r.rc, 0) << r.err;
  // A byte order mark (Windows tools write one) is not part of the first line.
  CliRun bom = run("price --as-of 2026-05-01T12:00:00Z -", "\xEF\xBB\xBF" + input);
  EXPECT_EQ(bom.rc, 0) << bom.out;
  EXPECT_EQ(bom.out, r.out);
  // So is UTF-16 (Windows PowerShell 5's `>` writes it): read as UTF-8.
  CliRun wide = run("price --as-of 2026-05-01T12:00:00Z -", testing::utf16(input));
  EXPECT_EQ(wide.rc, 0) << wide.out << wide.err;
  EXPECT_EQ(wide.out, r.out);
  // A unit that is no character ends the input: the lines before it are priced, then the error.
  CliRun broken = run("price --as-of 2026-05-01T12:00:00Z -",
                      testing::utf16(input) + std::string("\x3D\xD8", 2));
  EXPECT_EQ(broken.rc, 1);
  EXPECT_EQ(broken.out, r.out);
  EXPECT_NE(broken.err.find("stdin: line 3: invalid UTF-16: the text ends in a high surrogate"),
            std::string::npos)
      << broken.err;
  // UTF-16 without a byte order mark (.NET's Encoding.Unicode writes none): --encoding names it.
  CliRun unmarked = run("price --as-of 2026-05-01T12:00:00Z --encoding utf-16le -",
                        testing::utf16(input).substr(2));
  EXPECT_EQ(unmarked.rc, 0) << unmarked.out << unmarked.err;
  EXPECT_EQ(unmarked.out, r.out);
  CliRun unknown = run("price --encoding utf-7 -", input);
  EXPECT_EQ(unknown.rc, 2);
  EXPECT_NE(unknown.err.find("--encoding: unknown text encoding \"utf-7\""), std::string::npos)
      << unknown.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.135")"), std::string::npos)
      << r.out;  // off-peak at its own timestamp
  EXPECT_NE(r.out.find(R"("total_price":"0.27")"), std::string::npos)
      << r.out;  // --as-of for the other
}

// Excel's plain "CSV" is Windows-1252 in Western locales: its text is not UTF-8, and is rejected
// saying how to name the encoding; with --encoding windows-1252 it reads as its letters.
TEST(CliTest, IngestReadsTheEncodingNamed) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("costops_encoding_" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  const std::string csv = dir + "/excel.csv", db = dir + "/e.db";
  std::ofstream(csv, std::ios::binary) << "id;timestamp;provider;model;input_tokens;user\r\n"
                                          "e1;2026-09-01T10:00:00Z;openai;gpt-4o;1000;Ren\xE9"
                                          "e\r\n"
                                          "e2;2026-09-01T11:00:00Z;openai;gpt-4o;2000;\x80"
                                          " team\r\n";
  CliRun r = run("ingest --db " + db + " " + csv);
  EXPECT_EQ(r.rc, 3);  // records rejected
  EXPECT_NE(r.out.find("read 2, stored 0"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("excel.csv:2: field \"user\": not UTF-8 text (in another encoding? "
                       "--encoding names it, such as windows-1252)"),
            std::string::npos)
      << r.err;
  r = run("ingest --db " + db + " --encoding windows-1252 " + csv);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, stored 2"), std::string::npos) << r.out;
  r = run("query --db " + db + " --group-by user --period all --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\n\"Ren\xC3\xA9"
                       "e\","),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n\"\xE2\x82\xAC team\","), std::string::npos) << r.out;
  // A table's columns line up by characters, not bytes: every row as many characters long.
  r = run("query --db " + db + " --group-by user --period all");
  EXPECT_EQ(r.rc, 0) << r.err;
  std::set<size_t> widths;
  std::istringstream table(r.out);
  std::string header;
  std::getline(table, header);
  for (std::string line; std::getline(table, line);) {
    widths.insert(std::count_if(line.begin(), line.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
    }));
  }
  EXPECT_EQ(widths.size(), 1u) << r.out;
  // UTF-16 without a byte order mark is read as UTF-16; binary data is refused as such.
  const std::string u16 = dir + "/u16.jsonl", bin = dir + "/model.jsonl";
  std::ofstream(u16, std::ios::binary)
      << testing::utf16(
             R"({"id":"u1","provider":"openai","model":"gpt-4o","timestamp":"2026-09-02T10:00:00Z","usage":{"input_tokens":1000}})"
             "\n")
             .substr(2);
  r = run("ingest --db " + db + " " + u16);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 1, stored 1"), std::string::npos) << r.out;
  std::ofstream(bin, std::ios::binary) << std::string(
      "\x7F"
      "ELF\x02\x01\x01\0\0\0model,x\n",
      18);
  // An AWS event stream (Bedrock's streamed responses, binary) is named as such.
  const std::string aws = dir + "/bedrock.stream";
  std::ofstream(aws, std::ios::binary) << std::string(
      "\0\0\x01\x14\0\0\0\x4b\xda\x10\xa5\x96\x0b:event-type\x07\0\x05"
      "chunk",
      32);
  r = run("ingest --db " + db + " " + aws);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("bedrock.stream: an AWS event stream (Amazon Bedrock's "
                       "InvokeModelWithResponseStream or ConverseStream response, binary), which "
                       "is not read"),
            std::string::npos)
      << r.err;
  for (const std::string& command : {"ingest --db " + db, std::string("price")}) {
    r = run(command + " " + bin);
    EXPECT_EQ(r.rc, 1) << command;
    EXPECT_EQ(r.err, "error: " + bin +
                         ": binary data, not text (gzip, zstd and zlib files are read as what they "
                         "hold; UTF-16 text without a byte order mark needs --encoding utf-16le "
                         "or utf-16be)\n")
        << command;
  }
  std::filesystem::remove_all(dir);
}

TEST(CliTest, LiteLLMCatalogAndDetail) {
  COSTOPS_REQUIRE_SHARED_DATA();
  CliRun r = run(
      "price --detail --catalog " +
          testing::shared_path("data/pricing/litellm/model_prices_and_context_window.json"),
      R"({"provider":"openai","model":"gpt-4o","service_tier":"flex","usage":{"prompt_tokens":1000,"completion_tokens":10}})");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("warnings":["no flex prices for gpt-4o; standard prices used"])"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(
          R"("breakdown":[{"unit":"input_tokens","quantity":1000,"rate":"2.5","per":1000000,"cost":"0.0025"})"),
      std::string::npos)
      << r.out;
}

// Inputs other than JSON Lines are priced as ingest reads them: a CSV export, a JSON document;
// each record's line or its error, in order, naming the line the record begins on.
TEST(CliTest, PricesCsvAndJsonDocumentsAsIngestReadsThem) {
  const std::string csv =
      "provider,model,input_tokens,output_tokens\n"
      "openai,gpt-4o,1000,100\n"
      "openai,gpt-4q,1,1\n"
      "\n"
      "openai,gpt-4o,x,1\n";
  const std::string want_first =
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100},)"
      R"("input_price":"0.0025","output_price":"0.001","total_price":"0.0035"})"
      "\n";
  CliRun r = run("price -", csv);  // told by its content
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(r.out, want_first +
                       R"x({"line":3,"error":{"code":"not_found","message":"unknown model )x"
                       R"x(\"gpt-4q\" for provider \"openai\" in catalog built-in (did you mean )x"
                       R"x(gpt-4 or gpt-4o?)"}})x"
                       "\n"
                       R"({"line":5,"error":{"code":"invalid_argument","message":"field )"
                       R"(\"input_tokens\": expected a non-negative integer, got \"x\""}})"
                       "\n");
  r = run("price --summary --format csv -", csv);
  EXPECT_NE(r.out.find("3 records, 1 priced, 2 failed"), std::string::npos) << r.out;
  r = run("price --summary --output json -", csv);
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["records"], 3);
    EXPECT_EQ(j["failed"], 2);
    EXPECT_EQ(j["first_failures"][0],
              "stdin:3: unknown model \"gpt-4q\" for provider \"openai\" in catalog built-in "
              "(did you mean gpt-4 or gpt-4o?)");
    EXPECT_EQ(j["models"][0]["model"], "gpt-4o");
    EXPECT_EQ(j["total"]["total_cost"], "0.0035");
    EXPECT_EQ(j["total"]["input_cost"], "0.0025");
    EXPECT_EQ(j["total"]["cache_read_tokens"], 0);
  }
  // The sample's token parts, as a database that stores it sums them (query's test).
  r = run("price --summary --output json " + testing::source_path("data/samples/usage.jsonl"));
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["total"]["cache_read_tokens"], 2986717);
    EXPECT_EQ(j["total"]["cache_write_tokens"], 0);
    EXPECT_EQ(j["total"]["reasoning_tokens"], 245754);
  }
  r = run("price -",
          "[\n  {\"model\": \"gpt-4o\", \"usage\": {\"input_tokens\": 1000, \"output_tokens\": "
          "100}},\n  {\"model\": \"gpt-4o\", \"usage\": {\"input_tokens\": -1}}\n]\n");
  EXPECT_EQ(r.out.substr(0, want_first.size()), want_first);
  EXPECT_NE(r.out.find(R"({"line":3,"error":{"code":"invalid_argument")"), std::string::npos)
      << r.out;
  r = run("price --format jsonl -", csv);  // as told: each line is bad JSON
  EXPECT_NE(r.out.find(R"({"line":5,"error":{"code":"invalid_argument","message":"invalid JSON)"),
            std::string::npos)
      << r.out;
  // A usage report: its rows in order, the unreadable ones by the line they begin on.
  r = run("price " + testing::source_path("tests/testdata/usage_report_openai.json"));
  std::string kinds;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);)
    kinds += l.starts_with(R"({"line":)") ? l.substr(0, l.find(',')) + "} " : "priced ";
  EXPECT_EQ(kinds, R"(priced priced {"line":36} priced {"line":61} )") << r.out;
  // --provider: for records that name none, on either path; one the catalog lacks is an error.
  for (const char* input : {"model,input_tokens\ngpt-4o,1000000\n",
                            R"({"model":"gpt-4o","usage":{"input_tokens":1000000}})"}) {
    r = run("price --provider azure -", input);
    EXPECT_EQ(r.out.rfind(R"({"provider":"azure","model":"gpt-4o",)", 0), 0u) << r.out;
  }
  r = run("price --provider opnai -", csv);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--provider: unknown provider \"opnai\""), std::string::npos) << r.err;
  r = run("price -", "not json\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("stdin:1: the CSV header has no \"model\" (or \"body\") column"),
            std::string::npos)
      << r.err;
}

TEST(CliTest, SummaryOfTheBundledSample) {
  CliRun r = run("price --summary " + testing::source_path("data/samples/usage.jsonl"));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("3524 records, 3524 priced, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("claude-sonnet-4-5"), std::string::npos);
  // With no line per record, the first failures are on stderr.
  std::string bad;
  for (const char* model : {"gpt-4q", "gpt-4o", "x1", "x2", "x3"}) {
    bad += std::string(R"({"provider":"openai","model":")") + model +
           R"(","usage":{"input_tokens":10}})" + "\n";
  }
  r = run("price --summary -", bad);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("5 records, 1 priced, 4 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("failed: stdin:1: unknown model \"gpt-4q\" for provider \"openai\" in "
                       "catalog built-in (did you mean gpt-4 or gpt-4o?)\nfailed: stdin:3: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("failed: 1 more (without --summary, each record's error is output)"),
            std::string::npos)
      << r.err;
  // Several files, as `price logs/*.jsonl` gives them: each in turn, an error naming its file.
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("costops_price_files_" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/bad.jsonl") << bad;
  r = run("price --summary " + testing::source_path("data/samples/usage.jsonl") + " " + dir +
          "/bad.jsonl");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("3529 records, 3525 priced, 4 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("failed: " + dir + "/bad.jsonl:1: unknown model"), std::string::npos)
      << r.err;
  r = run("price " + dir + "/bad.jsonl -", bad);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("{\"source\":\"" + dir + "/bad.jsonl\",\"line\":3,\"error\":"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"source\":\"stdin\",\"line\":5,\"error\":"), std::string::npos) << r.out;
  r = run("price " + dir + "/bad.jsonl /nonexistent.jsonl");  // nothing read: the error alone
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "");
  std::filesystem::remove_all(dir);
}

TEST(CliTest, PriceAndIngestCompareTheCostsTheInputLogged) {
  // LiteLLM's spend logs: gpt-4o at 1000 + 120 tokens is exactly 0.0037 USD. The second's float
  // is a hundredth of a cent off (not off), the third 8% low; the fourth logged none.
  const std::string lines =
      R"({"request_id":"r1","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":120,"spend":0.0037}
{"request_id":"r2","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":120,"spend":0.00370001}
{"request_id":"r3","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":120,"spend":0.0034}
{"request_id":"r4","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":120}
{"request_id":"r5","model":"gpt-4o-mini","custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":120,"spend":0.000222}
)";
  CliRun r = run("price -", lines);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.0037","logged_cost":"0.0034","logged_off":true})"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(occurrences(r.out, "logged_cost"), 4u);
  EXPECT_EQ(occurrences(r.out, "logged_off"), 1u);
  r = run("price --summary -", lines);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("logged cost (as the input logged it) against the exact price, on the 4 "
                       "records that logged one:\n"
                       "provider model         records           logged            exact       "
                       "difference    diff_%  off_>1%\n"
                       "openai   gpt-4o              3         0.010800         0.011100        "
                       "-0.000300     -2.70        1\n"
                       "openai   gpt-4o-mini         1         0.000222         0.000222         "
                       "0.000000     +0.00        0\n"
                       "total    USD                 4         0.011022         0.011322        "
                       "-0.000300     -2.65        1\n"),
            std::string::npos)
      << r.out;
  r = run("price --summary --output json -", lines);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total"]["logged"].dump(),
            R"({"difference":"-0.00029999","difference_percent":-2.65,"exact_cost":"0.011322",)"
            R"("logged_cost":"0.01102201","records":4,"records_off":1})");
  EXPECT_EQ(j["models"][1]["logged"]["records_off"], 0);
  // Without logged costs the summary has no such table.
  EXPECT_EQ(run("price --summary " + testing::source_path("data/samples/usage.jsonl"))
                .out.find("logged cost"),
            std::string::npos);
  // A Langfuse CSV export: costDetails' total (Langfuse priced 1000 cached tokens at the input
  // rate).
  const std::string csv =
      "id,type,model,startTime,usageDetails,costDetails\n"
      "o1,GENERATION,gpt-4o,2026-03-01T10:00:00Z,\"{\"\"input\"\": 1000, "
      "\"\"input_cached_tokens\"\": "
      "1000, \"\"output\"\": 100}\",\"{\"\"total\"\": 0.006}\"\n";
  r = run("price --format csv -", csv);
  EXPECT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_NE(r.out.find(R"("total_price":"0.00475","logged_cost":"0.006","logged_off":true})"),
            std::string::npos)
      << r.out;
  // A spreadsheet's export separated by ';' writes a decimal comma; a logged cost that is no
  // number is a warning of its record, which --summary says on stderr and in JSON.
  const std::string semicolons =
      "model;prompt_tokens;completion_tokens;spend\n"
      "gpt-4o;1000;120;0,0034\n"
      "gpt-4o;1000;120;$0.0037\n";
  r = run("price --format csv -", semicolons);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.0037","logged_cost":"0.0034","logged_off":true})"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("warnings":["the logged cost \"$0.0037\" not read: not a decimal )"
                       R"(number; not compared with the price"]})"),
            std::string::npos)
      << r.out;
  r = run("price --summary --format csv -", semicolons);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("note: 1 record priced with a warning (without --summary, each record's "
                       "line has its warnings):\n  stdin:3: the logged cost \"$0.0037\" not "
                       "read: not a decimal number; not compared with the price\n"),
            std::string::npos)
      << r.err;
  r = run("price --summary --output json --format csv -", semicolons);
  EXPECT_EQ(nlohmann::json::parse(r.out)["warned"], 1) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["logged"]["records"], 1) << r.out;
  // ingest says so too, and --output json has it.
  const std::string db = fresh_db("logged");
  // A catalog in euros is not compared with costs logged in USD, and says so.
  const std::string eur = db + ".eur.json";
  std::ofstream(eur) << R"({"format": "cost-ops-catalog", "currency": "EUR", "providers": [
      {"id": "openai", "models": [{"id": "gpt-4o", "prices": {"input_mtok": "2.3"}},
      {"id": "gpt-4o-mini", "prices": {"input_mtok": "0.14"}}]}]})";
  r = run("price --summary --catalog " + eur + " -", lines);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("logged cost"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: 4 records logged a cost (in USD, as gateways log), not compared "
                       "with the catalog's EUR prices"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(eur);
  r = run("ingest --db " + db + " --as-of 2026-11-02T00:00:00Z -", lines);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("note: 4 records logged a cost of 0.011022 USD (as the gateway or tracer "
                       "priced them), against an exact 0.011322 USD (-2.65%); 1 of them more than "
                       "1% off (cost-ops query --logged --group-by model compares them per model)"),
            std::string::npos)
      << r.err;
  r = run("ingest --db " + db + " --as-of 2026-11-02T00:00:00Z --output json -", lines);
  EXPECT_EQ(nlohmann::json::parse(r.out)["logged"]["records_off"], 1) << r.out;
  // Stored with their records: query --logged compares them per group, in every format.
  r = run("query --db " + db + " --group-by model --logged --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "model,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
            "cache_read_tokens,cache_write_tokens,reasoning_tokens,logged_records,logged_cost,"
            "logged_exact_cost,logged_records_off\n"
            "\"gpt-4o\",USD,0.0148,4,0,4000,480,4,0,0,0,3,0.01080001,0.0111,1\n"
            "\"gpt-4o-mini\",USD,0.000222,1,0,1000,120,1,0,0,0,1,0.000222,0.000222,0\n");
  EXPECT_EQ(r.err, "");
  r = run("query --db " + db + " --group-by model --logged");
  EXPECT_NE(r.out.find("         logged   logged_exact    diff_%    off cost\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("       0.010800       0.011100     -2.70      1 0.014800 USD\n"),
            std::string::npos)
      << r.out;
  r = run("query --db " + db + " --logged --format json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][0]["logged"]["logged_cost"], "0.01102201");
  r = run("query --db " + db + " --logged --format prometheus");
  EXPECT_NE(r.out.find("\ncostops_logged_exact_cost{currency=\"USD\"} 0.011322\n"),
            std::string::npos)
      << r.out;
  std::filesystem::remove(db);
  // Records that logged nothing: a note says why there is nothing to compare.
  ASSERT_EQ(run("ingest --db " + db + " " + testing::source_path("data/samples/usage.jsonl")).rc,
            0);
  r = run("query --db " + db + " --logged --format markdown");
  EXPECT_NE(r.out.find("| - | - | - | - | 30.852365 USD |"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: none of the selected records logged a cost of its own"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(db);
}

// A CSV column named as a cache, an input or an output but no key a record reads (an export of
// a form not read yet) that holds a count is said, by price and ingest, rather than its counts
// going unpriced unremarked; the columns read (a gateway's cache_hit), a cache key and a text
// are not.
TEST(CliTest, CsvColumnsOfCountsNotReadAreSaid) {
  const std::string csv =
      "id,model,prompt_tokens,Cache Reads,cache_hit,cache_key,input,timestamp\n"
      "x1,gpt-4o,1000,0,false,k1,hello,2026-09-01T00:00:00Z\n"
      "x2,gpt-4o,1000,200,false,k2,2,2026-09-01T00:00:01Z\n";
  const std::string note =
      "note: stdin: CSV columns \"Cache Reads\", \"input\" are not read (no usage key names them): "
      "their counts are not priced\n";
  CliRun r = run("price --format csv -", csv);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.0025")"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, note);
  const std::string db = fresh_db("unread");
  r = run("ingest --format csv --db " + db + " -", csv);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find(note), std::string::npos) << r.err;
  r = run("ingest --format csv --output json --db " + db + " -", csv);  // duplicates now
  EXPECT_EQ(nlohmann::json::parse(r.out)["unread_columns"].dump(),
            R"([{"column":"Cache Reads","source":"stdin"},{"column":"input","source":"stdin"}])")
      << r.out;
  std::filesystem::remove(db);
}

// --format prometheus: query's rows and budget status as gauges, for a textfile collector or a
// Pushgateway; a group key that is no label name is made one, and two that make one are refused.
// Budget status as CSV too: a row per budget.
TEST(CliTest, PrometheusGauges) {
  const std::string db = fresh_db("prometheus");
  const std::string usage =
      R"({"id":"p1","provider":"openai","model":"gpt-4o","timestamp":"2026-11-01T10:00:00Z","tags":{"cost-center":"search \"core\""},"usage":{"input_tokens":1000,"output_tokens":100}}
{"id":"p2","provider":"anthropic","model":"claude-sonnet-4-5","timestamp":"2026-11-02T10:00:00Z","tags":{"cost-center":"ads"},"usage":{"input_tokens":2000,"cache_read_tokens":1000,"output_tokens":100}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  CliRun r = run("query --db " + db + " --group-by provider,tag:cost-center --format prometheus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find("# HELP costops_unpriced_records")),
            "# HELP costops_cost Exact cost of the selected stored records, in the currency the "
            "label names\n"
            "# TYPE costops_cost gauge\n"
            "costops_cost{provider=\"anthropic\",tag_cost_center=\"ads\",currency=\"USD\"} 0.0048\n"
            "costops_cost{provider=\"openai\",tag_cost_center=\"search \\\"core\\\"\",currency="
            "\"USD\"} 0.0035\n"
            "# HELP costops_records Selected stored records\n"
            "# TYPE costops_records gauge\n"
            "costops_records{provider=\"anthropic\",tag_cost_center=\"ads\"} 1\n"
            "costops_records{provider=\"openai\",tag_cost_center=\"search \\\"core\\\"\"} 1\n");
  EXPECT_NE(r.out.find("costops_cache_read_tokens{provider=\"anthropic\",tag_cost_center=\"ads\"} "
                       "1000\n"),
            std::string::npos)
      << r.out;
  // --label: a label every sample has, first (two files of the same gauges told apart); one the
  // samples have already, or without --format prometheus, is refused.
  r = run("query --db " + db + " --group-by provider --format prometheus --label period=2026-11");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\ncostops_records{period=\"2026-11\",provider=\"openai\"} 1\n"),
            std::string::npos)
      << r.out;
  r = run("budget status --db " + db +
          " --amount 1 --period 2026-11 --as-of 2026-11-03 --format prometheus --label env=prod");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\ncostops_budget_amount{env=\"prod\",budget=\"\",currency=\"USD\"} 1\n"),
            std::string::npos)
      << r.out;
  // summary: the period's total as query's without group keys, the period before's, and a
  // to-date period's projection (run rate: 0.0083 over 2 days, times 30).
  r = run("summary --db " + db +
          " --period month-to-date --as-of 2026-11-02T23:00:00Z --format prometheus --label "
          "env=prod");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* sample :
       {"\ncostops_cost{env=\"prod\",currency=\"USD\"} 0.0083\n",
        "\ncostops_records{env=\"prod\"} 2\n", "\ncostops_cache_read_tokens{env=\"prod\"} 1000\n",
        "\ncostops_previous_records{env=\"prod\"} 0\n",
        "\ncostops_run_rate_projected_cost{env=\"prod\",currency=\"USD\"} 0.1245\n",
        "\ncostops_projection_days_remaining{env=\"prod\"} 28\n",
        "\n# TYPE costops_projected_cost "
        "gauge\ncostops_projected_cost{env=\"prod\",currency=\"USD\"} ",
        "\ncostops_projected_cost_upper{env=\"prod\",currency=\"USD\",level=\"95\"} "}) {
    EXPECT_NE(r.out.find(sample), std::string::npos) << sample << " in\n" << r.out;
  }
  r = run("summary --db " + db + " --period 2026-11 --format prometheus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\ncostops_cost{currency=\"USD\"} 0.0083\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("costops_projected_cost"), std::string::npos) << r.out;  // not to date
  for (const std::string& args :
       {std::string("query --group-by provider --format prometheus --label provider=x"),
        std::string("query --label period=all"),
        std::string("summary --format prometheus --label level=x"),
        std::string("summary --label env=prod"),
        std::string("budget status --format prometheus --label budget=x")}) {
    r = run(args + " --db " + db);
    EXPECT_EQ(r.rc, 2) << args << ": " << r.err;
  }
  // Without group keys: one sample each, and zero records for a period without any.
  r = run("query --db " + db + " --format prometheus --period 2020-01");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\ncostops_records 0\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("costops_cost"), std::string::npos) << r.out;
  r = run("query --db " + db + " --format prometheus --group-by tag:a-b,tag:a.b");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--format prometheus: tag:a-b and tag:a.b are both the Prometheus label "
                       "\"tag_a_b\"; group by one of them"),
            std::string::npos)
      << r.err;
  // Unit costs: per request and per million tokens, rounded half-even to 9 decimals (0.0048 *
  // 1e6 / 2100 = 2.2857142857...); none for a row with an unpriced record.
  r = run("query --db " + db + " --group-by provider --unit-costs --format prometheus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("costops_cost_per_request{provider=\"anthropic\",currency=\"USD\"} 0.0048\n"
                       "costops_cost_per_request{provider=\"openai\",currency=\"USD\"} 0.0035\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("costops_cost_per_mtok{provider=\"anthropic\",currency=\"USD\"} "
                       "2.285714286\ncostops_cost_per_mtok{provider=\"openai\",currency=\"USD\"} "
                       "3.181818182\n"),
            std::string::npos)
      << r.out;
  ASSERT_EQ(
      run("ingest --db " + db + " -",
          R"({"id":"p3","provider":"openai","model":"no-such-model","timestamp":"2026-11-03T10:00:00Z","usage":{"input_tokens":5}})")
          .rc,
      0);
  r = run("query --db " + db + " --group-by provider --unit-costs --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "provider,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
            "cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_per_request,cost_per_mtok\n"
            "\"anthropic\",USD,0.0048,1,0,2000,100,1,1000,0,0,0.0048,2.285714286\n"
            "\"openai\",USD,0.0035,2,1,1005,100,2,0,0,0,,\n");
  r = run("query --db " + db + " --group-by provider --unit-costs");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("       0.0048   2.285714286 0.004800 USD\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("            -             - 0.003500 USD\n"), std::string::npos) << r.out;
  std::filesystem::remove(db);

  // A budget's status: the figures with a value, the thresholds crossed. 420 a day reaches
  // 12,000 on April 29th.
  const std::string series = db + ".csv";
  {
    std::ofstream f(series);
    f << "date,value\n";
    for (int d = 1; d <= 28; ++d) f << "2025-02-" << (d < 10 ? "0" : "") << d << ",420\n";
    for (int d = 1; d <= 31; ++d) f << "2025-03-" << (d < 10 ? "0" : "") << d << ",420\n";
    for (int d = 1; d <= 16; ++d) f << "2025-04-" << (d < 10 ? "0" : "") << d << ",420\n";
  }
  r = run("budget status --series " + series +
          " --amount 12000 --period 2025-04 --as-of 2025-04-16 --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "name,currency,period,period_start,period_end,as_of,amount,spent,projected_total,"
            "projected_lower,projected_upper,interval_level,probability_over,exhaustion_date,"
            "exhausted,run_rate_total,days_elapsed,days_remaining,model,thresholds_crossed\n"
            ",,2025-04,2025-04-01,2025-04-30,2025-04-16,12000.00,6720.00,12600.00,12600.00,"
            "12600.00,95,1,2025-04-29,false,12600.00,16,14,naive,50:actual:2025-04-15;"
            "80:forecast:2025-04-23;100:forecast:2025-04-29\n");
  r = run("budget status --series " + series +
          " --amount 12000 --period 2025-04 --as-of 2025-04-16 --format prometheus");
  std::filesystem::remove(series);
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* line :
       {"costops_budget_amount{budget=\"\"} 12000\n", "costops_budget_spent{budget=\"\"} 6720\n",
        "costops_budget_projected{budget=\"\"} 12600\n",
        "costops_budget_days_remaining{budget=\"\"} 14\n",
        "costops_budget_days_until_exhaustion{budget=\"\"} 13\n",
        "costops_budget_threshold_crossed{budget=\"\",threshold=\"50\",basis="
        "\"actual\"} 1\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
}

TEST(CliTest, ReconcileComparesProvidersBillsWithTheStoredSpend) {
  const std::string db = fresh_db("reconcile");
  // The responses name models as the API answered; the bills as the providers bill them.
  const std::string usage =
      R"({"id":"a1","provider":"openai","model":"gpt-4o-2024-08-06","timestamp":"2026-11-01T10:00:00Z","usage":{"input_tokens":100000,"output_tokens":50000}}
{"id":"a2","provider":"openai","model":"gpt-4o-mini","timestamp":"2026-11-01T11:00:00Z","usage":{"input_tokens":200000,"output_tokens":10000}}
{"id":"a3","provider":"openai","model":"gpt-4o-2024-08-06","timestamp":"2026-11-02T10:00:00Z","usage":{"input_tokens":100000,"output_tokens":50000}}
{"id":"a4","provider":"openai","model":"gpt-4o","timestamp":"2026-11-03T10:00:00Z","usage":{"input_tokens":1000}}
{"id":"b1","provider":"anthropic","model":"claude-sonnet-4-20250514","timestamp":"2026-11-01T10:00:00Z","usage":{"input_tokens":100000,"output_tokens":20000}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  const std::string openai = testing::source_path("tests/testdata/cost_report_openai.json");
  const std::string anthropic = testing::source_path("tests/testdata/cost_report_anthropic.jsonl");
  CliRun r = run("reconcile --db " + db + " " + openai + " " + anthropic);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "amounts in USD; computed: the stored records' exact costs on the bill's days\n"
            "provider   day           billed  computed  difference    diff%  records\n"
            "anthropic  2026-11-01  0.610000  0.600000   -0.010000   -1.64%        1\n"
            "anthropic  total       0.610000  0.600000   -0.010000   -1.64%        1\n"
            "openai     2026-11-01  0.842000  0.786000   -0.056000   -6.65%        2  off\n"
            "openai     2026-11-02  1.000000  0.750000   -0.250000  -25.00%        1  off\n"
            "openai     2026-11-03  0.000000  0.002500    0.002500      n/a        1\n"
            "openai     total       1.842000  1.538500   -0.303500  -16.48%        4  off\n");
  EXPECT_EQ(r.err,
            "bill: 10 rows in 5 daily buckets, 0 rejected\n"
            "reconcile: 2 of 4 rows differ by more than 1% of the billed amount and 0.01 USD\n");
  // The same file twice (fetches whose dates overlap): each day counted once, and said.
  CliRun twice = run("reconcile --db " + db + " " + openai + " " + openai);
  EXPECT_EQ(twice.rc, 0) << twice.err;
  EXPECT_NE(
      twice.out.find("openai    total       1.842000  1.538500   -0.303500  -16.48%        4  "
                     "off\n"),
      std::string::npos)
      << twice.out;
  EXPECT_NE(twice.err.find("note: the openai bill gives the bucket of 2026-11-01 again with the "
                           "same lines (" +
                           openai + ":1: data[0] and " + openai + ":1: data[0]): counted once"),
            std::string::npos)
      << twice.err;
  // By model, as the catalog names them: the bill's gpt-4o-mini-2024-07-18 is the responses'
  // gpt-4o-mini, and gpt-4o (a4) is the catalog's gpt-4o as gpt-4o-2024-08-06 is; a fee is no
  // model's.
  r = run("reconcile --db " + db + " --by model --format csv --fail-on-diff " + openai + " " +
          anthropic);
  EXPECT_EQ(r.rc, 6) << r.err;
  EXPECT_EQ(r.out,
            "provider,model,currency,billed,computed,difference,percent,off,bill_lines,records,"
            "unpriced\n"
            "anthropic,,USD,0.01,0,-0.01,-100,false,1,0,0\n"
            "anthropic,claude-sonnet-4-20250514,USD,0.6,0.6,0,0,false,2,1,0\n"
            "openai,gpt-4o-2024-08-06,USD,1.75,1.5025,-0.2475,-14.14,true,4,3,0\n"
            "openai,gpt-4o-mini-2024-07-18,USD,0.042,0.036,-0.006,-14.29,false,2,1,0\n"
            "openai,web search tool calls,USD,0.05,0,-0.05,-100,true,1,0,0\n");
  r = run("reconcile --db " + db + " --by model --format json " + anthropic);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"][0]["items"], nlohmann::json::array({"Web Search"}));
  EXPECT_EQ(j["totals"][0]["billed"], "0.61");
  EXPECT_EQ(j["bill"]["rows"], 3);
  // A bill with rows that are no bill's: each named, exit 3; ingest points cost rows here.
  const std::string bad =
      R"({"data":[{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","results":[{"amount":"60.0","currency":"USD","model":"claude-sonnet-4-20250514"},{"amount":"12 cents"}]}]})"
      "\n";
  r = run("reconcile --db " + db + " -", bad);
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.err.find("stdin:1: data[0].results[1]: field \"amount\": expected a decimal text "
                       "in cents (\"123.45\"), got \"12 cents\"\n"
                       "bill: 2 rows in 1 daily bucket, 1 rejected\n"
                       "note: 1 day of the anthropic bill had rows that were rejected"),
            std::string::npos)
      << r.err;
  r = run("ingest --db " + db + " -", bad);
  EXPECT_EQ(r.rc, 3);
  EXPECT_NE(r.err.find("a cost report's row (an amount, not usage) is not ingested: compare the "
                       "bill with the stored spend with cost-ops reconcile"),
            std::string::npos)
      << r.err;
  r = run("reconcile --db " + db + " --by project " + openai);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("the openai bill names no project: fetch its cost report grouped by "
                       "project_id, or reconcile without the project key"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(run("reconcile --db " + db + " --by week " + openai).rc, 2);
  // Markdown, for a CI job's summary.
  r = run("reconcile --db " + db + " --by '' --format markdown " + openai);
  EXPECT_EQ(r.out,
            "Amounts in USD; computed: the stored records' exact costs on the bill's days.\n\n"
            "| provider | billed | computed | difference | diff% | records | off |\n"
            "|---|---:|---:|---:|---:|---:|---:|\n"
            "| openai | 1.842000 | 1.538500 | -0.303500 | -16.48% | 4 | off |\n");
  // --filter selects the stored records compared; a value none has is named.
  r = run("reconcile --db " + db + " --filter project=proj_9 --format json " + anthropic);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["totals"][0]["computed"], "0");
  EXPECT_NE(r.err.find("note: no stored record has project=proj_9"), std::string::npos) << r.err;
  EXPECT_EQ(run("reconcile --db " + db + " --filter provider=openai " + openai).rc, 2);
  std::filesystem::remove(db);

  // The README's example: the sample bill (scripts/sample_bill.py) against the sample usage.
  ASSERT_EQ(run("ingest --db " + db + " " + testing::source_path("data/samples/usage.jsonl")).rc,
            0);
  r = run("reconcile --db " + db + " --by model " +
          testing::source_path("data/samples/openai-costs.jsonl"));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "amounts in USD; computed: the stored records' exact costs on the bill's days\n"
            "provider  model                     billed  computed  difference     diff%  records\n"
            "openai    gpt-4.1-2025-04-14      1.829138  1.829138    0.000000     0.00%      111\n"
            "openai    gpt-4o-2024-08-06       3.228951  2.808951   -0.420000   -13.01%      270  "
            "off\n"
            "openai    gpt-4o-mini-2024-07-18  0.208471  0.208471    0.000000     0.00%      462\n"
            "openai    o3-2025-04-16           1.251251  1.251251    0.000000     0.00%       56\n"
            "openai    web search tool calls   0.750000  0.000000   -0.750000  -100.00%        0  "
            "off\n"
            "openai    total                   7.267812  6.097812   -1.170000   -16.10%      899  "
            "off\n");
  std::filesystem::remove(db);
}

TEST(CliTest, BadCommandLinesAndFilesAreClearErrors) {
  // Usage errors: a word that names no command lists the commands; CLI11's own start "error:".
  CliRun r = run("injest x.jsonl");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("error: unknown command \"injest\"; the commands are: price catalog"),
            std::string::npos)
      << r.err;
  // A command of commands given none shows its help.
  for (const auto& [args, want] :
       {std::pair{"", "error: cost-ops needs a command\n"},
        std::pair{"budget", "error: cost-ops budget needs a command\n"}}) {
    r = run(args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_EQ(r.err.substr(0, std::string(want).size()), want) << r.err;
    EXPECT_NE(r.err.find("Subcommands:"), std::string::npos) << r.err;
  }
  r = run("query --format xml");
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err.rfind("error: --format: xml not in", 0), 0u) << r.err;
  // A command that reads refuses a database that does not exist (a mistyped path read as an
  // empty database would say no spend); commands that write create it.
  const std::string missing = std::filesystem::temp_directory_path().string() + "/costops_none_" +
                              std::to_string(::getpid()) + "/x.db";
  for (const char* args :
       {"query", "summary", "report", "forecast", "anomalies", "budget list", "budget status",
        "budget status --amount 5", "budget remove b", "pricing list",
        "pricing get --provider openai --model gpt-4o",
        "pricing remove --provider openai --model gpt-4o", "reprice", "whatif", "delete --all"}) {
    r = run(std::string(args) + " --db " + missing);
    EXPECT_EQ(r.rc, 1) << args;
    EXPECT_NE(r.err.find("error: " + missing + ": no cost-ops database here"), std::string::npos)
        << args << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
  // Nor does it read an empty file as no spend. Another program's SQLite database is refused by
  // every command, before anything is written to it (no cost-ops tables, no write-ahead log).
  {
    const auto dir =
        std::filesystem::temp_directory_path() / ("costops_foreign_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string empty = (dir / "empty.db").string(), foreign = (dir / "app.db").string();
    std::ofstream(empty).close();
    sqlite3* app = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &app), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(app, "CREATE TABLE orders(id); CREATE TABLE users(id);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(app);
    const auto before = std::filesystem::file_size(foreign);
    for (const char* args : {"summary", "query", "budget list", "forecast"}) {
      r = run(std::string(args) + " --db " + empty);
      EXPECT_EQ(r.rc, 1) << args;
      EXPECT_NE(r.err.find("error: " + empty + ": no cost-ops database here (an empty database"),
                std::string::npos)
          << args << ": " << r.err;
    }
    for (const std::string& args : std::vector<std::string>{
             "summary", "query", "ingest " + testing::source_path("data/samples/usage.jsonl"),
             "init", "budget add b --amount 10"}) {
      r = run(args + " --db " + foreign);
      EXPECT_EQ(r.rc, 1) << args;
      EXPECT_NE(r.err.find("error: " + foreign +
                           ": not a cost-ops database (another program's: its tables are "
                           "orders, users)"),
                std::string::npos)
          << args << ": " << r.err;
    }
    EXPECT_EQ(std::filesystem::file_size(foreign), before);
    EXPECT_FALSE(std::filesystem::exists(foreign + "-wal"));
    // An empty file is a new database for a command that writes.
    EXPECT_EQ(run("init --db " + empty).rc, 0);
    EXPECT_EQ(run("summary --db " + empty).rc, 0);
    std::filesystem::remove_all(dir);
  }
  // Every input opens before any is read: a missing second file stores nothing.
  r = run("ingest --db " + missing + " " + testing::source_path("data/samples/usage.jsonl") +
          " /nonexistent.jsonl");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.jsonl: cannot open input file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(missing));
  r = run("budget add b --amount 10 --db " + missing);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(run("budget list --db " + missing).rc, 0);
  std::filesystem::remove_all(std::filesystem::path(missing).parent_path());
  r = run("price --catalog /nonexistent.json", "");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.json: cannot open catalog file"), std::string::npos) << r.err;
  r = run("price /nonexistent.jsonl");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.jsonl: cannot open input file"), std::string::npos) << r.err;
  // A directory where a file belongs is said to be one (compress wrote an empty archive of it).
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string db = dir + "/costops_dir_" + std::to_string(::getpid()) + ".db";
  for (const std::string& args :
       {"compress " + dir + " -o -", "forecast --series " + dir, "catalog --catalog " + dir}) {
    r = run(args);
    EXPECT_EQ(r.rc, 1) << args;
    EXPECT_NE(r.err.find(dir + ": is a directory; expected a"), std::string::npos)
        << args << ": " << r.err;
  }
  // price and ingest read a directory's JSON Lines files: one without any is an error.
  const std::string empty = dir + "/costops_empty_" + std::to_string(::getpid());
  std::filesystem::create_directories(empty + "/sub");
  { std::ofstream(empty + "/sub/notes.txt") << "not JSON Lines\n"; }
  for (const std::string& args : {"price " + empty, "ingest --db " + db + " " + empty}) {
    r = run(args);
    EXPECT_EQ(r.rc, 1) << args;
    EXPECT_NE(r.err.find(empty + ": is a directory without JSON Lines files"), std::string::npos)
        << args << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(db));  // nothing was read: no database made
  std::filesystem::remove_all(empty);
  std::filesystem::remove(db);
  r = run("price --as-of tomorrow", "");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--as-of"), std::string::npos) << r.err;
  r = run("frobnicate");
  EXPECT_EQ(r.rc, 2);
  r = run("price --help");
  EXPECT_EQ(r.rc, 0);
  for (const char* want : {"--catalog", "--as-of", "api_flavor", "service_tier", "batch",
                           "Exit status", "input_price"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want;
}

// catalog --diff: a catalog's standard prices against another file's, as a table, CSV or JSON.
TEST(CliTest, CatalogDiffComparesTwoCatalogs) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("costops_catalog_diff_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string from = (dir / "from.json").string(), to = (dir / "to.json").string(),
                    eur = (dir / "eur.json").string();
  std::ofstream(from)
      << R"({"format": "cost-ops-catalog", "version": 1, "providers": [{"id": "acme", "models": [
      {"id": "large", "prices": {"input_mtok": 3, "output_mtok": 15}},
      {"id": "small", "prices": {"input_mtok": "0.25"}},
      {"id": "old", "prices": {"input_mtok": 1}}]}]})";
  std::ofstream(to)
      << R"({"format": "cost-ops-catalog", "version": 1, "providers": [{"id": "acme", "models": [
      {"id": "large", "prices": {"input_mtok": "2.4", "output_mtok": 15, "cache_read_mtok": "0.3"}},
      {"id": "small", "prices": {"input_mtok": "0.25"}},
      {"id": "next", "prices": {"input_mtok": 5}}]}]})";
  std::ofstream(eur)
      << R"({"format": "cost-ops-catalog", "version": 1, "currency": "EUR", "providers": []})";
  CliRun r = run("catalog --catalog " + from + " --diff " + to + " --as-of 2026-12-01");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, from + " against " + to +
                       ": prices in USD in effect at 2026-12-01T00:00:00Z, per 1M tokens "
                       "(1K requests)\n"
                       "provider model price                     from             to  change\n"
                       "acme     large input_mtok                   3            2.4  -20.00%\n"
                       "acme     large cache_read_mtok              -            0.3  new\n"
                       "acme     old   (model removed: not resolved)\n"
                       "acme     next  (model added)\n"
                       "compared 3 models: 1 the same, 1 changed, 1 removed; 1 added\n");
  r = run("catalog acme --catalog " + from + " --diff " + to + " --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "change,provider,model,to_model,price,from,to\n"
            "changed,acme,large,,input_mtok,3,2.4\n"
            "changed,acme,large,,cache_read_mtok,,0.3\n"
            "removed,acme,old,,,,\n"
            "added,acme,next,,,,\n");
  r = run("catalog --catalog " + from + " --diff " + to + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["changed"], 1);
  EXPECT_EQ(j["rows"][0], nlohmann::json::parse(R"({"change": "changed", "provider": "acme",
      "model": "large", "price": "input_mtok", "from": "3", "to": "2.4"})"));
  EXPECT_EQ(j["rows"][1]["from"], nullptr);
  r = run("catalog --catalog " + from + " --diff " + eur);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(
      r.err.find("--diff: " + eur + " prices in EUR, catalog " + from + " in USD: not compared"),
      std::string::npos)
      << r.err;
  r = run("catalog acme large --catalog " + from + " --diff " + to);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--diff compares the whole catalog, or a PROVIDER's models"),
            std::string::npos)
      << r.err;
  r = run("catalog --diff " + (dir / "missing.json").string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("--diff: "), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, CatalogShowsAModelsPrices) {
  CliRun r = run("catalog --provider openai --model gpt-4o");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("input_mtok=2.5"), std::string::npos) << r.out;
  r = run("catalog --provider openai --model nope");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("unknown model \"nope\""), std::string::npos) << r.err;
  r = run("catalog --provider openai --model gpt-4q");
  EXPECT_NE(r.err.find("(did you mean gpt-4 or gpt-4o?)"), std::string::npos) << r.err;
  r = run("catalog --provider opnai --model gpt-4o");
  EXPECT_NE(r.err.find("(did you mean provider openai?)"), std::string::npos) << r.err;
  // Positional names: PROVIDER MODEL, or one that is a provider or else a model.
  EXPECT_EQ(run("catalog openai gpt-4o").out, run("catalog --provider openai --model gpt-4o").out);
  r = run("catalog gpt-4o");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 32), "provider: openai\nmodel: gpt-4o (") << r.out;
  // A provider's models with the prices in effect at --as-of, and its unknown name an error.
  r = run("catalog anthropic --as-of 2026-08-21");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("in effect at 2026-08-21T00:00:00Z"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nclaude-sonnet-4-5 "), std::string::npos) << r.out;
  for (const char* args : {"catalog opnai", "catalog --provider opnai"}) {
    r = run(args);
    EXPECT_EQ(r.rc, 1) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err.find("unknown provider \"opnai\" in catalog built-in (did you mean provider "
                         "openai?)"),
              std::string::npos)
        << args << ": " << r.err;
  }
  EXPECT_EQ(run("catalog openai gpt-4o x").rc, 2);
  // --search: the models of every provider (or of one) whose id or name has every word.
  r = run("catalog --search 'SONNET 4.5' --as-of 2026-08-21");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\nprovider   model "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nanthropic  claude-sonnet-4-5 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("claude-sonnet-4 "), std::string::npos) << r.out;
  r = run("catalog anthropic --search opus --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  auto found = nlohmann::json::parse(r.out)["providers"];
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], "anthropic");
  for (const auto& m : found[0]["models"])
    EXPECT_NE(m["id"].get<std::string>().find("opus"), std::string::npos) << m["id"];
  // --format csv: a row per model selected with its exact prices in effect, tiers and the rest.
  r = run("catalog --format csv --as-of 2026-08-21");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "provider,model,name,input_mtok,output_mtok,cache_read_mtok,cache_write_mtok,"
            "context_window,tiers,other,prices_apply,deprecated");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1467);  // the header and 1,466 models
  EXPECT_NE(r.out.find("\nanthropic,claude-sonnet-4-5,Claude Sonnet 4.5,3,15,0.3,3.75,1000000,"
                       "input_mtok>200000=6;output_mtok>200000=22.5;cache_read_mtok>200000=0.6;"
                       "cache_write_mtok>200000=7.5;cache_write_1h_mtok>200000=12,"
                       "cache_write_1h_mtok=6;web_searches_kcount=10,always,false\n"),
            std::string::npos);
  r = run("catalog deepseek deepseek-chat --format csv --as-of 2026-08-21T12:00:00Z");
  EXPECT_NE(r.out.find(",daily 00:30:00-16:30:00 UTC,false\n"), std::string::npos) << r.out;
  r = run("catalog deepseek --as-of 2026-08-21T20:00:00Z");
  EXPECT_NE(r.out.find("(other prices daily 00:30:00-16:30:00 UTC)"), std::string::npos) << r.out;
  r = run("catalog sonnet");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("note: cost-ops catalog --search 'sonnet' lists the models"),
            std::string::npos)
      << r.err;
  // --format json: a model's prices as a cost-ops catalog that --prices reads (edited here into
  // contract prices).
  r = run("catalog openai gpt-4o --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "cost-ops-catalog");
  ASSERT_EQ(doc["providers"].size(), 1u);
  EXPECT_EQ(doc["providers"][0]["id"], "openai");
  EXPECT_EQ(doc["providers"][0].count("extractors"), 0u);
  ASSERT_EQ(doc["providers"][0]["models"].size(), 1u);
  auto& model = doc["providers"][0]["models"][0];
  EXPECT_EQ(model["prices"]["input_mtok"], "2.5");
  model["prices"]["input_mtok"] = "2";
  const std::string file = (std::filesystem::temp_directory_path() /
                            ("costops-contract-" + std::to_string(getpid()) + ".json"))
                               .string();
  std::ofstream(file) << doc.dump();
  const std::string line =
      R"({"provider":"openai","model":"gpt-4o-2024-08-06","usage":{"input_tokens":1000000}})";
  EXPECT_NE(run("price --prices " + file, line).out.find(R"("total_price":"2")"),
            std::string::npos);
  EXPECT_NE(run("price", line).out.find(R"("total_price":"2.5")"), std::string::npos);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace costops

namespace costops {
namespace {

// Claude Code's transcripts: price prices each message (the one still streaming as it is so far);
// ingest leaves that one for later and says so, and how many lines were no usage or merged.
TEST(CliTest, ClaudeCodeTranscripts) {
  const std::string session = testing::source_path("tests/testdata/claude_code_session.jsonl");
  CliRun r = run("price --summary --output json " + session);
  EXPECT_EQ(r.rc, 0) << r.err;
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["records"], 4);
    // 0.015192 + 0.018103 + 0.0015 and msg_01Nt's 3 output tokens so far: 0.00501
    EXPECT_EQ(j["total"]["total_cost"], "0.039805");
  }
  const std::string db = fresh_db("cli_cc");
  r = run("ingest --db " + db + " --output json " + session);
  EXPECT_EQ(r.rc, 0) << r.err;
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["read"], 3);
    EXPECT_EQ(j["stored"], 3);
    EXPECT_EQ(j["without_usage"], 6);
    EXPECT_EQ(j["merged"], 2);
    EXPECT_EQ(j["streaming"], 1);
  }
  EXPECT_NE(r.err.find("note: 1 Claude Code message was still streaming at the end of its "
                       "transcript (a session at work): not taken yet"),
            std::string::npos)
      << r.err;
  r = run("query --db " + db + " --group-by project,tag:agent --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("/home/dev/shop","",USD,0.033295,2,)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("/home/dev/shop","subagent",USD,0.0015,1,)"), std::string::npos) << r.out;
  r = run("query --db " + db + " --group-by tag:service --format csv");  // as its OTel events
  EXPECT_NE(r.out.find(R"("claude-code",USD,0.034795,3,)"), std::string::npos) << r.out;
  // A directory is its JSON Lines files, at any depth (a sub-agent's file: the later version of
  // the session here, whose messages but the last are duplicates).
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_cli_cc_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "-home-dev-shop" / "s1" / "subagents");
  std::filesystem::copy_file(session, dir / "-home-dev-shop" / "s1.jsonl");
  std::filesystem::copy_file(testing::source_path("tests/testdata/claude_code_session_later.jsonl"),
                             dir / "-home-dev-shop" / "s1" / "subagents" / "agent-a1.jsonl");
  {
    std::ofstream(dir / "-home-dev-shop" / "s1" / "subagents" / "agent-a1.meta.json")
        << R"({"agentType":"general-purpose"})";
  }
  std::filesystem::remove(db);
  r = run("ingest --db " + db + " " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 7, stored 4 (0 unpriced), duplicates 3, rejected 0"),
            std::string::npos)
      << r.out;
  // price stores nothing, but prices a call once however many session files copy it.
  r = run("price --summary --output json " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["records"], 4);
    EXPECT_EQ(j["duplicates"], 4);
    EXPECT_EQ(j["total"]["total_cost"], "0.039805");
  }
  r = run("price --summary " + dir.string());
  EXPECT_NE(r.err.find("note: 4 coding agent calls were copied from session to session"),
            std::string::npos)
      << r.err;
  std::filesystem::remove_all(dir / "-home-dev-shop");
  r = run("ingest --db " + db + " " + dir.string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(dir.string() +
                       ": is a directory without JSON Lines files (.jsonl, .ndjson) under it"),
            std::string::npos)
      << r.err;
  std::filesystem::remove_all(dir);
  // Codex's rollouts too, as ~/.codex/sessions/YYYY/MM/DD/ holds them.
  std::filesystem::create_directories(dir / "2026" / "11" / "04");
  std::filesystem::copy_file(testing::source_path("tests/testdata/codex_rollout.jsonl"),
                             dir / "2026" / "11" / "04" / "rollout-1.jsonl");
  r = run("price --summary --output json " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["total_cost"], "0.0656063") << r.out;
  std::filesystem::remove_all(dir);
  // Named, a file without the extension or shape is read as a transcript all the same.
  r = run("price --format claude-code -", R"({"type":"assistant","message":{"id":"m","model":)"
                                          R"("claude-haiku-4-5","usage":{"input_tokens":10,)"
                                          R"("output_tokens":2}}})");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.00002")"), std::string::npos) << r.out;
  // A call without a model names the field it lacks, as the agent writes it.
  r = run("price --format claude-code -", R"({"type":"assistant","message":{"id":"m","usage":)"
                                          R"({"input_tokens":10,"output_tokens":2}}})");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find(R"(field \"message.model\": missing)"), std::string::npos) << r.out;
  r = run("price --format codex -",
          R"({"timestamp":"2026-11-04T09:00:00Z","type":"event_msg","payload":{"type":)"
          R"("token_count","info":{"last_token_usage":{"input_tokens":5,"output_tokens":1}}}})");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("before any turn_context names its model"), std::string::npos) << r.out;
  std::filesystem::remove(db);
}

// Gemini CLI's ~/.gemini/tmp: a project's sessions in JSON Lines, a sub-agent's beside them,
// an older version's session-*.json; its other files (logs.json) are not read.
TEST(CliTest, GeminiCliSessions) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_cli_gemini_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto chats = dir / "9b1c4e7d" / "chats";
  std::filesystem::create_directories(chats / "3f2a9c1e-5b7d-4e21-9a0c-7d1e2f3a4b5c");
  std::filesystem::copy_file(testing::source_path("tests/testdata/gemini_cli_session.jsonl"),
                             chats / "session-2026-11-30T09-12-3f2a9c1e.jsonl");
  std::filesystem::copy_file(testing::source_path("tests/testdata/gemini_cli_subagent.jsonl"),
                             chats / "3f2a9c1e-5b7d-4e21-9a0c-7d1e2f3a4b5c" / "k2x9p4.jsonl");
  std::filesystem::copy_file(testing::source_path("tests/testdata/gemini_cli_session_legacy.json"),
                             chats / "session-2025-10-18T14-57-f86f5318.json");
  { std::ofstream(dir / "9b1c4e7d" / "logs.json") << R"([{"sessionId":"s","message":"hi"}])"; }
  const auto legacy = dir / "79b6fa86" / "chats";  // (an older version's folder: no .project_root)
  std::filesystem::create_directories(legacy);
  std::filesystem::rename(chats / "session-2025-10-18T14-57-f86f5318.json",
                          legacy / "session-2025-10-18T14-57-f86f5318.json");
  CliRun r = run("price --summary --output json " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  // 0.02068 + 0.006868 + 0.005041 + 0.00146 (the sub-agent) + 0.01229 + 0.00236625 (the older file)
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["total_cost"], "0.04870525") << r.out;
  const std::string db = dir.string() + ".db";
  std::filesystem::remove(db);
  r = run("ingest --db " + db + " --output json " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  {
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["read"], 6);
    EXPECT_EQ(j["stored"], 6);
    EXPECT_EQ(j["without_usage"], 11);
    EXPECT_EQ(j["merged"], 3);
  }
  EXPECT_NE(r.err.find("3 lines repeat a call counted once"), std::string::npos) << r.err;
  r = run("query --db " + db + " --group-by model,tag:agent --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("gemini-2.5-flash","subagent",USD,0.00146,1,)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("gemini-2.5-pro","",USD,0.04220425,4,)"), std::string::npos) << r.out;
  // The project: the directory Gemini CLI keeps beside its chats, else the session's hash.
  { std::ofstream(dir / "9b1c4e7d" / ".project_root") << "/home/dev/cost-ops\n"; }
  std::filesystem::remove(db);
  r = run("ingest --db " + db + " " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("query --db " + db + " --group-by project --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("/home/dev/cost-ops",USD,0.034049,4,)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("79b6fa86e3c0d31765c7e3c6de511a7b96342a2e947135d5db396e49e27020cd",USD,)"
                       R"(0.01465625,2,)"),
            std::string::npos)
      << r.out;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(db);
  // Named, a file of another shape is read as a session all the same.
  r = run("price --format gemini-cli -",
          R"({"id":"m","type":"gemini","model":"gemini-2.5-flash","tokens":{"input":1000,)"
          R"("output":100}})");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.00055")"), std::string::npos) << r.out;
}

// Qwen Code's ~/.qwen/projects/<project>/chats/<session>.jsonl.
TEST(CliTest, QwenCodeSessions) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_cli_qwen_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto chats = dir / "-home-dev-ledger" / "chats";
  std::filesystem::create_directories(chats);
  std::filesystem::copy_file(testing::source_path("tests/testdata/qwen_code_session.jsonl"),
                             chats / "c41f7a9e-2b5d-4e8a-b3c1-6d7e8f9a0b1c.jsonl");
  CliRun r = run("price --summary --output json " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  // 0.00197 + 0.00225 + 0.000865
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["total_cost"], "0.005085") << r.out;
  const std::string db = dir.string() + ".db";
  std::filesystem::remove(db);
  r = run("ingest --db " + db + " " + dir.string());
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("query --db " + db + " --group-by tag:service,provider --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("qwen-code","deepseek",USD,0.002835,2,)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("qwen-code","google",USD,0.00225,1,)"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(db);
  r = run("price --format qwen-code -",
          R"({"uuid":"u","sessionId":"s","type":"assistant","model":"gemini-2.5-flash",)"
          R"("usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":100}})");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("total_price":"0.00055")"), std::string::npos) << r.out;
}

TEST(CliTest, OpenCodeDatabase) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("costops_cli_opencode_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "storage");
  const std::string oc = (dir / "opencode.db").string();
  ASSERT_TRUE(
      testing::make_sqlite_database(testing::source_path("tests/testdata/opencode.sql"), oc));
  // The data directory, as ~/.local/share/opencode: its database found under it.
  CliRun r = run("price --summary --output json " + dir.string());
  EXPECT_EQ(r.rc, 1) << r.err;  // (two bad messages)
  auto j = nlohmann::json::parse(r.out);
  // 0.01353 + 0.00504 + 0.01375 + 0.01375 + 0.00135 + 0.0028
  EXPECT_EQ(j["total"]["total_cost"], "0.05022") << r.out;
  EXPECT_NE(j["first_failures"][0].get<std::string>().find(
                "opencode.db:8: message msg_008: field \"steps[0].tokens.input\""),
            std::string::npos)
      << r.out;
  // OpenCode's own cost of the older message charged its reasoning twice: 0.02075.
  EXPECT_EQ(j["total"]["logged"]["records_off"], 1) << r.out;
  const std::string db = dir.string() + ".db";
  std::filesystem::remove(db);
  r = run("ingest --db " + db + " --output json --rejects " + dir.string() + "/rejects.jsonl " +
          oc);
  EXPECT_EQ(r.rc, 3) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["read"], 8);
  EXPECT_EQ(j["stored"], 6);
  EXPECT_EQ(j["rejected"], 2);
  EXPECT_EQ(j["merged"], 2);
  EXPECT_NE(r.err.find("an OpenCode call a forked session copied"), std::string::npos) << r.err;
  r = run("query --db " + db + " --group-by tag:agent,tag:mode,tag:platform --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("","build","github-copilot",USD,0.0028,1,)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("subagent","general","google",USD,0.00135,1,)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("","plan","openai",USD,0.01375,1,)"), std::string::npos) << r.out;
  // A database is read from its file, not from a stream.
  r = run("price --summary", testing::read_file(oc));
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("stdin: a SQLite database read as a stream"), std::string::npos) << r.err;
  // Another program's SQLite database (cost-ops' own, here) is no input.
  r = run("price " + db);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(db + ": a SQLite database, but not OpenCode's"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(db);
}

// --agents: each agent's logs where it keeps them, under $HOME (or where its variable says).
TEST(CliTest, AgentsFlagReadsEachAgentsLogs) {
  const auto home =
      std::filesystem::temp_directory_path() / ("costops_cli_agents_" + std::to_string(::getpid()));
  std::filesystem::remove_all(home);
  const auto put = [&](const char* testdata, const std::string& at) {
    std::filesystem::create_directories((home / at).parent_path());
    std::filesystem::copy_file(testing::source_path(std::string("tests/testdata/") + testdata),
                               home / at);
  };
  put("claude_code_session.jsonl", ".claude/projects/-home-dev-shop/s.jsonl");
  put("codex_rollout.jsonl", ".codex/sessions/2026/11/20/rollout-x.jsonl");
  put("gemini_cli_session.jsonl", ".gemini/tmp/h/chats/session-x.jsonl");
  put("qwen_code_session.jsonl", ".qwen/projects/-home-dev-ledger/chats/c.jsonl");
  std::filesystem::create_directories(home / ".local/share/opencode/snapshot");
  ASSERT_TRUE(testing::make_sqlite_database(testing::source_path("tests/testdata/opencode.sql"),
                                            (home / ".local/share/opencode/opencode.db").string()));
  // Kilo Code's, OpenCode's fork: the same database, its calls Kilo's.
  std::filesystem::create_directories(home / ".local/share/kilo");
  std::filesystem::copy_file(home / ".local/share/opencode/opencode.db",
                             home / ".local/share/kilo/kilo.db");
  // (OpenCode's data directory is not walked: its databases alone are read.)
  std::ofstream(home / ".local/share/opencode/snapshot/x.jsonl") << "{\"not\": \"read\"}\n";
  struct Env {
    const char* name;
    std::optional<std::string> was;
  } saved[] = {{"HOME", {}},       {"CLAUDE_CONFIG_DIR", {}},
               {"CODEX_HOME", {}}, {"XDG_CONFIG_HOME", {}},
               {"KILO_DB", {}},    {"XDG_DATA_HOME", {}}};
  for (auto& e : saved) {
    if (const char* v = std::getenv(e.name)) e.was = v;
    ::unsetenv(e.name);
  }
  ::setenv("HOME", home.c_str(), 1);
  CliRun r = run("price --summary --output json --agents");
  EXPECT_EQ(r.rc, 1) << r.err;  // (OpenCode's two bad messages, and Kilo Code's)
  auto j = nlohmann::json::parse(r.out);
  // Claude Code 0.039805 + Codex 0.0656063 + Gemini CLI 0.032589 + Qwen Code 0.005085 + OpenCode
  // 0.05022 + Kilo Code 0.05022, as each prices alone.
  EXPECT_EQ(j["total"]["total_cost"], "0.2435253") << r.out;
  EXPECT_EQ(j["records"], 29) << r.out;
  EXPECT_NE(r.err.find("note: --agents reads Claude Code " + (home / ".claude/projects").string() +
                       " (1 file), Codex " + (home / ".codex/sessions").string() +
                       " (1 file), Gemini CLI"),
            std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find("OpenCode " + (home / ".local/share/opencode").string() + " (1 file), Kilo Code " +
                 (home / ".local/share/kilo").string() + " (1 file)"),
      std::string::npos)
      << r.err;
  // Kilo Code's calls are its own: service kilo.
  r = run("ingest --db " + (home / "k.db").string() + " " +
          (home / ".local/share/kilo/kilo.db").string());
  r = run("query --db " + (home / "k.db").string() + " --group-by tag:service --format csv");
  EXPECT_NE(r.out.find(R"("kilo",USD,0.05022,6,)"), std::string::npos) << r.out;
  // Codex's home where $CODEX_HOME says: its sessions are not under ~/.codex.
  ::setenv("CODEX_HOME", (home / "elsewhere").c_str(), 1);
  r = run("price --summary --output json --agents");
  EXPECT_EQ(nlohmann::json::parse(r.out)["records"], 26) << r.out;
  // Nothing found: an error that says where it looked.
  ::setenv("HOME", (home / "none").c_str(), 1);
  ::unsetenv("CODEX_HOME");
  r = run("ingest --db " + (home / "c.db").string() + " --agents");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("--agents: no coding agent's logs here"), std::string::npos) << r.err;
  for (const auto& e : saved) {
    if (e.was) {
      ::setenv(e.name, e.was->c_str(), 1);
    } else {
      ::unsetenv(e.name);
    }
  }
  std::filesystem::remove_all(home);
}

// ingest --default: the organization, project, user and tags that records lack (a developer's
// agent logs collected into a team's database, a gateway's logs without their environment); a
// record keeps its own. A repeatable option takes one value each time, so the input file after
// it is read as the input.
TEST(CliTest, IngestGivesRecordsTheDefaultsTheyLack) {
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("costops_defaults_" + std::to_string(::getpid()) + ".db"))
                             .string();
  const std::string input = db + ".jsonl";
  std::filesystem::remove(db);
  {
    std::ofstream f(input);
    f << R"({"provider":"openai","model":"gpt-4o","timestamp":"2026-11-01T10:00:00Z","project_id":"own","tags":{"env":"dev"},"usage":{"input_tokens":1000,"output_tokens":100}})"
      << "\n"
      << R"({"provider":"openai","model":"gpt-4o","timestamp":"2026-11-01T11:00:00Z","usage":{"input_tokens":2000,"output_tokens":100}})"
      << "\n";
  }
  const std::string defaults =
      " --default project=search --default user=alice --default organization=acme --default "
      "tag:env=prod --default tag:team=core ";
  CliRun r = run("ingest --db " + db + defaults + input);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, stored 2"), std::string::npos) << r.out;
  r = run("query --db " + db +
          " --group-by organization,project,user,tag:env,tag:team --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "organization,project,user,tag:env,tag:team,currency,cost,records,unpriced,"
            "input_tokens,output_tokens,requests,cache_read_tokens,cache_write_tokens,"
            "reasoning_tokens\n"
            "\"acme\",\"own\",\"alice\",\"dev\",\"core\",USD,0.0035,1,0,1000,100,1,0,0,0\n"
            "\"acme\",\"search\",\"alice\",\"prod\",\"core\",USD,0.006,1,0,2000,100,1,0,0,0\n");
  // Read again with the same defaults: the same records, stored once.
  r = run("ingest --db " + db + defaults + input);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, stored 0 (0 unpriced), duplicates 2"), std::string::npos) << r.out;
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {"model=x",
            "error: --default: \"model=x\": KEY is organization, project, user or "
            "tag:KEY\n"},
           {"provider=openai", "(--provider gives the provider)"},
           {"tag:env=", "expected KEY=VALUE with a value"},
           {"user=a --default user=b", "\"user=b\": user is given twice"}}) {
    r = run("ingest --db " + db + " --default " + bad + " " + input);
    EXPECT_EQ(r.rc, 2) << bad;
    EXPECT_NE(r.err.find(why), std::string::npos) << bad << ": " << r.err;
  }
  // A budget's name after a repeatable option is the name, not one more of its values.
  ASSERT_EQ(run("budget add core --db " + db + " --amount 10 --period month").rc, 0);
  r = run("budget status --db " + db +
          " --as-of 2026-11-02 --label env=prod core --format "
          "prometheus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(
      r.out.find("costops_budget_spent{env=\"prod\",budget=\"core\",currency=\"USD\"} 0.0095\n"),
      std::string::npos)
      << r.out;
  std::filesystem::remove(db);
  std::filesystem::remove(input);
}

// OpenRouter's activity export (the dashboard's CSV, a row per generation) is refused at its
// header, saying what to fetch instead.
TEST(CliTest, OpenRouterActivityExportIsRefusedSayingWhatToFetch) {
  const CliRun r = run("price -",
                       "generation_id,created_at,cost_total,byok_usage_inference,tokens_prompt,"
                       "tokens_completion,model_permaslug,provider_name\n"
                       "gen-1,2026-11-14 10:00:00,0.01,0,10,2,openai/gpt-4.1-2025-04-14,OpenAI\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "error: stdin:1: OpenRouter's activity export (the dashboard's CSV, a row per "
            "generation by generation_id) is not read; fetch the generations (GET "
            "/api/v1/generation?id=...) or the activity by day (GET /api/v1/activity), whose "
            "counts are those the calls were billed by\n");
}

TEST(CliTest, IngestThenSummaryAndQuery) {
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("costops_cli_" + std::to_string(::getpid()) + ".db"))
                             .string();
  const std::string rejects = db + ".rejects.jsonl";
  std::filesystem::remove(db);
  std::filesystem::remove(rejects);
  const std::string sample = testing::source_path("data/samples/usage.jsonl");
  CliRun r = run("ingest --db " + db + " " + sample);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 3524, stored 3524 (0 unpriced), duplicates 0, rejected 0"),
            std::string::npos)
      << r.out;
  r = run("ingest --db " + db + " --output json " + sample);
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find(R"("duplicates":3524)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("stored":0)"), std::string::npos) << r.out;

  // Bad and unpriced records: exit 3, a rejects file, counts that add up.
  r = run("ingest --db " + db + " --rejects " + rejects + " --format json -",
          R"({"id":"x1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":5}})"
          "\n"
          R"({"id":"x2","provider":"openai","model":"gpt-9","usage":{"input_tokens":5}})"
          "\n"
          "nonsense\n");
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.out.find(R"("read":3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("stored":2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("unpriced":1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("rejected":1)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("rejected: stdin:3: invalid JSON"), std::string::npos) << r.err;
  // x2's model has no price: noted with what would price it.
  EXPECT_NE(r.err.find("note: no price for openai/gpt-9 (1 record): unknown model \"gpt-9\" for "
                       "provider \"openai\" in catalog built-in (did you mean "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("`cost-ops reprice` prices them"), std::string::npos) << r.err;
  // x1 and x2 have no timestamp: dated at the ingest time, and said so.
  EXPECT_NE(r.out.find(R"("without_timestamp":2)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: 2 records have no timestamp (a \"timestamp\" field or column, or "
                       "created_at, start_time, created): dated and priced at "),
            std::string::npos)
      << r.err;
  // A record priced with a warning (reasoning beyond the output that includes it): counted, and
  // the first distinct warnings shown with their lines.
  std::filesystem::remove(db + ".w");
  r = run(
      "ingest --db " + db + ".w --output json -",
      R"({"id":"w1","provider":"openai","model":"o3","usage":{"input_tokens":5,"output_tokens":1,"output_reasoning_tokens":9}})"
      "\n"
      R"({"id":"w2","provider":"openai","model":"o3","usage":{"input_tokens":5,"output_tokens":1,"output_reasoning_tokens":9}})"
      "\n");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("warned":2)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: 2 records priced with a warning (kept in the stored record's "
                       "detail):\n  stdin:1: output_reasoning_tokens=9 exceeds output_tokens=1, "
                       "which includes it; output_tokens billed as given\n"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(db + ".w");
  // A rejects file that cannot be written (its folder is a file) loses nothing: the records go to
  // stderr, and the run fails saying so.
  r = run("ingest --db " + db + " --rejects " + db + "/rejects.jsonl --format json -",
          "nonsense\n");
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find(R"({"source":"stdin","line":1,"reason":"invalid JSON)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("cannot write the rejects file"), std::string::npos) << r.err;
  const std::string rej = testing::read_file(rejects);
  EXPECT_NE(rej.find(R"("source":"stdin","line":3,"reason":"invalid JSON)"), std::string::npos)
      << rej;
  EXPECT_NE(rej.find(R"("text":"nonsense")"), std::string::npos) << rej;
  // The rejects file holds the run's rejects: a second run replaces them.
  r = run("ingest --db " + db + " --rejects " + rejects + " --format jsonl -", "also nonsense\n");
  EXPECT_EQ(r.rc, 3) << r.err;
  const std::string again = testing::read_file(rejects);
  EXPECT_EQ(std::count(again.begin(), again.end(), '\n'), 1) << again;
  EXPECT_NE(again.find(R"("line":1,"reason":"invalid JSON)"), std::string::npos) << again;

  // Until the catalog knows gpt-9, reprice leaves it and says so.
  r = run("reprice --db " + db);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("unpriced 1, repriced 0, still unpriced 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: no price for openai/gpt-9 (1 record)"), std::string::npos) << r.err;
  // The catalog learns gpt-9: reprice moves the unpriced record into the totals.
  const std::string prices = db + ".prices.json";
  std::ofstream(prices)
      << R"({"format": "cost-ops-catalog", "providers": [{"id": "openai", "models": [
      {"id": "gpt-9", "prices": {"input_mtok": 100}}]}]})";
  r = run("reprice --db " + db + " --prices " + prices);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("unpriced 1, repriced 1, still unpriced 0"), std::string::npos) << r.out;
  std::filesystem::remove(prices);

  r = run("summary --db " + db + " --period all --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("records": 3526)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("unpriced": 0)"), std::string::npos) << r.out;
  // 30.852364815 (sample) + 0.0000125 (x1) + 0.0005 (x2, repriced at $100/M)
  EXPECT_NE(r.out.find(R"("USD": "30.852877315")"), std::string::npos) << r.out;

  r = run("summary --db " + db + " --period 2026-09 --format json");
  EXPECT_NE(r.out.find(R"("change_percent")"), std::string::npos) << r.out;
  EXPECT_FALSE(nlohmann::json::parse(r.out).contains("projection")) << r.out;  // a whole month
  {
    // What changed most since August, exactly: the three largest changes and the rest add up to
    // the total's change.
    const auto sep = nlohmann::json::parse(r.out);
    const auto& moved = sep["previous"]["largest_changes"];
    ASSERT_EQ(moved["currency"], "USD") << r.out;
    ASSERT_EQ(moved["models"]["largest"].size(), 3u) << r.out;
    EXPECT_EQ(moved["models"]["largest"][0]["name"], "anthropic/claude-sonnet-4-5");
    EXPECT_EQ(moved["models"]["largest"][0]["change"], "1.6498704");
    auto dec = [](const nlohmann::json& v) { return *Decimal::parse(v.get<std::string>()); };
    Decimal sum = dec(moved["models"]["others"]["change"]);
    for (const auto& m : moved["models"]["largest"]) sum += dec(m["change"]);
    EXPECT_EQ(sum, dec(sep["total_cost"]["USD"]) - dec(sep["previous"]["total_cost"]["USD"]));
    r = run("summary --db " + db + " --period 2026-09");
    EXPECT_NE(r.out.find("\nchanged most (models): anthropic/claude-sonnet-4-5 +1.649870, "
                         "openai/gpt-4o +0.308658, openai/o3 +0.270858 USD\n"),
              std::string::npos)
        << r.out;
    // The top five models and the others add up to the total, exactly; the text shows shares.
    ASSERT_EQ(sep["top_models"].size(), 5u) << r.out;
    Decimal models = dec(sep["other_models"]["total_cost"]["USD"]);
    uint64_t records = sep["other_models"]["records"];
    for (const auto& m : sep["top_models"]) {
      models += dec(m["total_cost"]["USD"]);
      records += m["records"].get<uint64_t>();
    }
    EXPECT_EQ(models, dec(sep["total_cost"]["USD"]));
    EXPECT_EQ(records, sep["records"]);
    EXPECT_EQ(sep["other_models"]["count"], 4) << r.out;
    EXPECT_FALSE(sep.contains("other_projects")) << r.out;  // four projects: all shown
    EXPECT_NE(r.out.find("\n  anthropic    claude-sonnet-4-5                   233  5.620731 USD "
                         "(41.5%)\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("\n  4 others                                         "),
              std::string::npos)
        << r.out;
    r = run("summary --db " + db + " --period 2026-08");
    EXPECT_NE(r.out.find("\nprevious period: no records\n\n"), std::string::npos) << r.out;
  }
  // A to-date period is projected to its calendar period's end, from the spend before.
  r = run("summary --db " + db + " --period month-to-date --as-of 2026-09-10 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto mtd = nlohmann::json::parse(r.out);
  const auto& pj = mtd["projection"];
  ASSERT_TRUE(pj.is_object()) << r.out;
  EXPECT_EQ(pj["period_start"], "2026-09-01");
  EXPECT_EQ(pj["period_end"], "2026-09-30");
  EXPECT_EQ(pj["spent"], mtd["total_cost"]["USD"]) << r.out;
  auto dec = [](const nlohmann::json& v) { return *Decimal::parse(v.get<std::string>()); };
  EXPECT_LT(dec(pj["spent"]), dec(pj["projected_lower"])) << r.out;
  EXPECT_LT(dec(pj["projected_lower"]), dec(pj["projected_total"])) << r.out;
  EXPECT_LT(dec(pj["projected_total"]), dec(pj["projected_upper"])) << r.out;
  // run rate: 10 of 30 days spent
  EXPECT_EQ(dec(pj["run_rate_total"]), *dec(pj["spent"]).mul_div(30, 10)) << r.out;
  r = run("summary --db " + db + " --period month-to-date --as-of 2026-09-10");
  EXPECT_NE(r.out.find("projected month (2026-09-01 to 2026-09-30): "), std::string::npos) << r.out;
  // The summary of some records: every figure is of them, the previous period's too.
  r = run("summary --db " + db + " --period 2026-09 --filter project=search --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  const auto search = nlohmann::json::parse(r.out);
  EXPECT_EQ(search["filters"], nlohmann::json::array({"project=search"}));
  EXPECT_EQ(search["top_projects"].size(), 1u) << r.out;
  EXPECT_EQ(search["top_projects"][0]["total_cost"], search["total_cost"]) << r.out;
  EXPECT_LT(
      search["previous"]["records"].get<int>(),
      nlohmann::json::parse(
          run("summary --db " + db + " --period 2026-09 --format json").out)["previous"]["records"]
          .get<int>());
  // Quarters, years and day ranges, each against the one before (the calendar one before, or the
  // same number of days); to-date periods against as many days from the previous one's start,
  // never reaching into the current one (month-to-date on March 31st: February, not into March).
  auto period = [&](const std::string& p, const char* as_of) {
    CliRun s =
        run("summary --db " + db + " --period " + p + " --as-of " + as_of + " --format json");
    EXPECT_EQ(s.rc, 0) << p << ": " << s.err;
    const auto j = nlohmann::json::parse(s.out);
    return std::string(j["period"]["from"]) + " " + std::string(j["period"]["to"]) + " " +
           std::to_string(j["previous"]["records"].get<int>());
  };
  const char* now = "2026-10-14T12:00:00Z";
  EXPECT_EQ(period("2026-Q3", now), "2026-07-01T00:00:00Z 2026-10-01T00:00:00Z 0");
  EXPECT_EQ(period("2026", now), "2026-01-01T00:00:00Z 2027-01-01T00:00:00Z 0");
  EXPECT_EQ(
      period("2026-09-16..2026-09-30", now),
      "2026-09-16T00:00:00Z 2026-10-01T00:00:00Z " +
          std::to_string(nlohmann::json::parse(run("summary --db " + db +
                                                   " --period 2026-09-01..2026-09-15 --format json")
                                                   .out)["records"]
                             .get<int>()));
  // A day, against the day before.
  EXPECT_EQ(
      period("2026-09-30", now),
      "2026-09-30T00:00:00Z 2026-10-01T00:00:00Z " +
          std::to_string(
              nlohmann::json::parse(
                  run("summary --db " + db + " --period 2026-09-29 --format json").out)["records"]
                  .get<int>()));
  EXPECT_EQ(period("quarter-to-date", now).substr(0, 41),
            "2026-10-01T00:00:00Z 2026-10-15T00:00:00Z");
  EXPECT_EQ(period("year-to-date", now).substr(0, 20), "2026-01-01T00:00:00Z");
  const std::string march_2 = db + ".march.jsonl";
  std::ofstream(march_2)
      << R"({"id":"m2","timestamp":"2027-03-02T10:00:00Z","provider":"openai","model":"gpt-4o",)"
      << R"("usage":{"input_tokens":7}})"
      << "\n";
  ASSERT_EQ(run("ingest --db " + db + " " + march_2).rc, 0);
  std::filesystem::remove(march_2);
  EXPECT_EQ(period("month-to-date", "2027-03-31T12:00:00Z"),
            "2027-03-01T00:00:00Z 2027-04-01T00:00:00Z 0");  // was Feb 1 to Mar 4: 1
  r = run("summary --db " + db + " --period quarter");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("month-to-date, quarter-to-date, year-to-date, YYYY-MM, YYYY-Qn, YYYY,"),
            std::string::npos)
      << r.err;
  r = run("query --db " + db +
          " --group-by provider --filter project=search --from 2026-09-01 --to 2026-10-01 --format "
          "csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("provider,currency,cost,records,unpriced,input_tokens,output_tokens"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"anthropic\",USD,"), std::string::npos) << r.out;
  // --period as summary and report take it, instead of --from and --to (never beside them).
  const std::string september = r.out;
  r = run("query --db " + db + " --group-by provider --filter project=search --period 2026-09 " +
          "--format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, september);
  r = run("query --db " + db + " --group-by day --period last-7-days --as-of 2026-10-10 " +
          "--format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\n\"2026-10-04\","), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n\"2026-10-10\","), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"2026-10-03\""), std::string::npos) << r.out;
  for (const char* both : {"report --period 2026-09 --from 2026-09-01",
                           "query --period 2026-09 --to 2026-10-01", "query --as-of 2026-10-10"}) {
    EXPECT_EQ(run(std::string(both) + " --db " + db).rc, 2) << both;
  }
  r = run("query --db " + db + " --period 2026-13");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--period: unknown period \"2026-13\""), std::string::npos) << r.err;
  // A * in a filter value matches any run of characters.
  auto first_column = [](const std::string& csv) {  // the quoted keys of a query's CSV rows
    std::vector<std::string> keys;
    for (size_t at = csv.find("\n\""); at != std::string::npos; at = csv.find("\n\"", at + 1))
      keys.push_back(csv.substr(at + 2, csv.find('"', at + 2) - at - 2));
    return keys;
  };
  r = run("query --db " + db + " --group-by model --filter 'model=gpt-4*' --format csv");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(first_column(r.out), (std::vector<std::string>{"gpt-4.1", "gpt-4o", "gpt-4o-mini"}))
      << r.out;
  r = run("query --db " + db + " --group-by provider --filter 'provider!=openai' --format csv");
  EXPECT_EQ(r.out.find("\"openai\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"anthropic\""), std::string::npos) << r.out;
  // The input's cache reads and the output's reasoning tokens, as the sample's records give them.
  r = run("query --db " + db + " --group-by model --filter model=o3 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  {
    const auto o3 = nlohmann::json::parse(r.out)["rows"][0];
    EXPECT_EQ(o3["cache_read_tokens"], 38341) << r.out;
    EXPECT_EQ(o3["cache_write_tokens"], 0) << r.out;
    EXPECT_EQ(o3["reasoning_tokens"], 155320) << r.out;
  }
  r = run("query --db " + db + " --group-by provider --filter provider=google");
  EXPECT_NE(r.out.find("   cache_read  cache_write    reasoning cost\n"), std::string::npos)
      << r.out;
  // A Markdown table, the same figures (for a pull request's comment).
  r = run("query --db " + db + " --group-by model --filter model=o3 --format markdown");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "| model | records | unpriced | requests | input_tokens | output_tokens | cache_read | "
            "cache_write | reasoning | cost |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            "| o3 | 124 | 0 | 124 | 405661 | 258955 | 38341 | 0 | 155320 | 2.825450 USD |\n");
  // Filters of one key take any of their values; != ones leave theirs out.
  r = run("query --db " + db +
          " --group-by model --filter 'model=gpt-4*' --filter model=o3 --filter model!=gpt-4o "
          "--format csv");
  EXPECT_EQ(first_column(r.out), (std::vector<std::string>{"gpt-4.1", "gpt-4o-mini", "o3"}))
      << r.out;
  // --sort orders by a measure, largest first; --limit keeps the first rows.
  r = run("query --db " + db +
          " --group-by model --filter 'model=gpt-4*' --sort cost --format csv");
  EXPECT_EQ(first_column(r.out), (std::vector<std::string>{"gpt-4o", "gpt-4.1", "gpt-4o-mini"}))
      << r.out;
  r = run("query --db " + db +
          " --group-by model --filter 'model=gpt-4*' --sort records --limit 2 --format csv");
  EXPECT_EQ(first_column(r.out), (std::vector<std::string>{"gpt-4o-mini", "gpt-4o"})) << r.out;
  r = run("query --db " + db + " --sort price");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown order \"price\": use keys, cost, records, requests, tokens, "
                       "per-request or per-mtok"),
            std::string::npos)
      << r.err;
  r = run("query --db " + db + " --filter 'model=gtp-*'");
  EXPECT_NE(r.err.find("note: no stored record has model=gtp-* (model values: "), std::string::npos)
      << r.err;
  // So is a tag no record has (tag keys are case-sensitive).
  expect_note("query --db " + db + " --group-by tag:Team",
              "no record in the query has the tag \"Team\" (tag keys of the latest records: env, "
              "team)");
  // A filter value no record has is said to be one, with the values there are.
  r = run("query --db " + db + " --filter provider=OpenAI");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("note: no stored record has provider=OpenAI (did you mean openai?)"),
            std::string::npos)
      << r.err;
  r = run("forecast --db " + db + " --filter project=serch");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("no stored record has project=serch (project values: analytics, "
                       "code-review, search, support-bot)"),
            std::string::npos)
      << r.err;
  // A period no record falls in says where the records are; the period's days are --tz's.
  r = run("summary --db " + db + " --period 2025-11 --tz Asia/Tokyo");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("period: 2025-11 (2025-11-01 to 2025-11-30)\nrecords: 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("note: no stored record falls in the period; the "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" stored records' days run from 2026-08-01 to 2027-03-02 (--period all "
                       "takes them all)"),
            std::string::npos)
      << r.err;
  for (const auto& [command, range, advice] :
       {std::tuple{"query", " --from 2020-01-01 --to 2020-02-01",
                   "(without --from and --to the query takes them all)"},
        std::tuple{"report", " --period 2020", "(--period all takes them all)"},
        std::tuple{"query", " --period 2020", "(--period all takes them all)"}}) {
    r = run(std::string(command) + " --db " + db + range);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.err.find(std::string("days run from 2026-08-01 to 2027-03-02 ") + advice),
              std::string::npos)
        << command << ": " << r.err;
  }
  r = run("query --db " + db + " --group-by colour");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown group key \"colour\""), std::string::npos) << r.err;
  r = run("summary --db " + db + " --period someday");
  EXPECT_EQ(r.rc, 2);
  std::filesystem::remove(db);
  std::filesystem::remove(rejects);
}

}  // namespace
}  // namespace costops

namespace costops {
namespace {

// delete says what it would delete, deletes it with --yes (records and totals), and needs a
// selection; the input ingested again is stored again.
TEST(CliTest, DeleteSaysWhatItWouldDeleteThenDeletesIt) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("costops_delete_" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/d.db";
  const std::string extra = dir + "/extra.jsonl";
  std::ofstream(extra)
      << R"({"id":"e1","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000000}})"
      << "\n";
  ASSERT_EQ(run("ingest --db " + db + " " + testing::source_path("data/samples/usage.jsonl")).rc,
            0);
  ASSERT_EQ(run("ingest --db " + db + " " + extra).rc, 0);
  CliRun r = run("delete --db " + db + " --source " + extra);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "would delete 1 record (0 unpriced), cost 2.500000 USD: run again with --yes to "
            "delete it\n");
  r = run("query --db " + db + " --source " + extra + " --format csv");
  EXPECT_EQ(r.out,
            "currency,cost,records,unpriced,input_tokens,output_tokens,requests,cache_read_tokens,"
            "cache_write_tokens,reasoning_tokens\nUSD,2.5,1,0,1000000,0,1,0,0,0\n");
  r = run("delete --db " + db + " --source " + extra + " --yes --output json");
  EXPECT_EQ(r.rc, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["deleted"], 1);
  EXPECT_EQ(out["dry_run"], false);
  EXPECT_EQ(out["cost"]["USD"], "2.5");
  r = run("summary --db " + db + " --period all --format json");
  EXPECT_NE(r.out.find(R"("USD": "30.852364815")"), std::string::npos) << r.out;
  // Nothing left to delete: said, with the inputs the latest records were read from.
  r = run("delete --db " + db + " --source " + extra);
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("would delete 0 records"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: no stored record was read from \"" + extra +
                       "\" (--source names an input as ingest was given it; the latest records' "
                       "inputs: " +
                       testing::source_path("data/samples/usage.jsonl") + ")"),
            std::string::npos)
      << r.err;
  r = run("ingest --db " + db + " " + extra);
  EXPECT_NE(r.out.find("stored 1"), std::string::npos) << r.out;
  // A selection is needed: no option deletes nothing (--all deletes everything).
  r = run("delete --db " + db + " --yes");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("delete selects records by --source"), std::string::npos) << r.err;
  // --period selects as query's does: September's 1,522 sample records and the extra one.
  r = run("delete --db " + db + " --period 2026-09");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("would delete 1523 records"), std::string::npos) << r.out;
  EXPECT_EQ(run("delete --db " + db + " --period 2026-09 --from 2026-09-01").rc, 2);
  r = run("delete --db " + db + " --all --yes");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "deleted 3525 records (0 unpriced), cost 33.352365 USD\n");
  std::filesystem::remove_all(dir);
}

TEST(CliTest, CustomPricesInTheDatabaseLayerOverTheCatalog) {
  const std::string db = fresh_db("pricing");
  const std::string file = db + ".catalog.json";
  std::ofstream(file) << R"({"format": "cost-ops-catalog", "providers": [{"id": "acme", "models": [
      {"id": "acme-1", "prices": {"input_mtok": "0.5", "output_mtok": "1.5"}},
      {"id": "acme-2", "match": {"starts_with": "acme-2"}, "prices": {"input_mtok": 3}}]}]})";
  CliRun r = run("pricing import --db " + db + " " + file);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("imported 2 model prices"), std::string::npos) << r.out;
  // A whole catalog of another format is refused, with the way to write its models out.
  const std::string litellm = db + ".litellm.json";
  std::ofstream(litellm)
      << R"({"acme-9": {"litellm_provider": "acme", "input_cost_per_token": 1e-6}})";
  r = run("pricing import --db " + db + " " + litellm);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find(litellm + ": a litellm catalog; pricing import reads cost-ops catalog "
                                 "files"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(litellm);
  r = run("pricing add --db " + db +
          " --provider openai --model gpt-4o --match-prefix gpt-4o --input 2 --output 8");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("pricing list --db " + db + " --format json");
  EXPECT_NE(r.out.find(R"("model": "acme-2")"), std::string::npos) << r.out;
  r = run("pricing get --db " + db + " --provider openai --model gpt-4o-2024-08-06");
  EXPECT_NE(
      r.out.find("openai/gpt-4o (custom price from the database): input_mtok=2, output_mtok=8"),
      std::string::npos)
      << r.out;
  r = run(
      "ingest --db " + db + " --output json -",
      R"({"id":"1","provider":"acme","model":"acme-2-large","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"id":"2","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000000,"output_tokens":1000000}})"
      "\n");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("summary --db " + db + " --period all --format json");
  EXPECT_NE(r.out.find(R"("USD": "13")"), std::string::npos) << r.out;  // 3 + 2 + 8
  // A price changed in the database: reprice --all updates the records it prices otherwise,
  // says by how much, and leaves the others; a selection narrows it.
  r = run("pricing add --db " + db + " --provider acme --model acme-2 --match-prefix acme-2 " +
          "--input 4");
  EXPECT_EQ(r.rc, 0) << r.err;
  // whatif shows it first and stores nothing: the new price, and gpt-4o's calls as acme-1's
  // (1M input at $0.5, 1M output at $1.5: $2 for gpt-4o's $10).
  r = run("whatif --db " + db + " --format json --swap gpt-4o=acme-1");
  EXPECT_EQ(r.rc, 0) << r.err;
  {
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["rows"].size(), 2u) << r.out;
    EXPECT_EQ(j["rows"][0]["provider"], "acme");
    EXPECT_EQ(j["rows"][0]["change"]["USD"], "1");
    EXPECT_EQ(j["rows"][1]["model"], "gpt-4o");
    EXPECT_EQ(j["rows"][1]["swapped"], 1);
    EXPECT_EQ(j["rows"][1]["whatif_cost"]["USD"], "2");
    EXPECT_EQ(j["total"]["cost"]["USD"], "13");
    EXPECT_EQ(j["total"]["whatif_cost"]["USD"], "6");
    EXPECT_EQ(j["total"]["change"]["USD"], "-7");
    // Percentages of exact money, rounded to four decimals: 1/3 and -7/13.
    EXPECT_EQ(j["rows"][0]["change_percent"]["USD"].dump(), "33.3333");
    EXPECT_EQ(j["total"]["change_percent"]["USD"].dump(), "-53.8462");
    EXPECT_EQ(j["swaps"][0]["to_models"]["acme/acme-1"], 1);
    EXPECT_EQ(j["catalog"], "built-in");
    EXPECT_TRUE(j["as_of"].is_null());
  }
  r = run("whatif --db " + db + " --swap gpt-4o=acme-1 --group-by provider --sort change");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "provider  records  swapped           cost       what-if         change  change%\n"
            "openai          1        1  10.000000 USD  2.000000 USD  -8.000000 USD   -80.0%\n"
            "acme            1        0   3.000000 USD  4.000000 USD  +1.000000 USD   +33.3%\n"
            "total           2        1  13.000000 USD  6.000000 USD  -7.000000 USD   -53.8%\n");
  r = run("whatif --db " + db + " --swap gpt-4o=acme-9");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("error: swap gpt-4o=acme-9: unknown model \"acme-9\""), std::string::npos)
      << r.err;
  r = run("reprice --db " + db + " --all --filter provider=openai");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("records 1: repriced 0"), std::string::npos) << r.out;
  r = run("reprice --db " + db + " --all");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("records 2: repriced 1 (their cost 3.000000 USD before, 4.000000 USD "
                       "now), unchanged 1, kept 0"),
            std::string::npos)
      << r.out;
  r = run("summary --db " + db + " --period all --format json");
  EXPECT_NE(r.out.find(R"("USD": "14")"), std::string::npos) << r.out;  // 4 + 2 + 8
  r = run("reprice --db " + db + " --all --output json");
  EXPECT_NE(r.out.find(R"("repriced":0)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("unchanged":2)"), std::string::npos) << r.out;
  r = run("pricing add --db " + db + " --provider x --model y --price bogus_mtok=1");
  EXPECT_EQ(r.rc, 2);
  // Each price once and at least 0, named by its option; stored as plain decimal text.
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--input -1", "--input: a price is at least 0, got -1"},
           {"--output 1O", "--output: expected a decimal number, got \"1O\""},
           {"--input 1 --price input_mtok=2",
            "input_mtok is given twice, by --input and --price "
            "input_mtok"}}) {
    r = run("pricing add --db " + db + " --provider x --model y " + args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
  }
  r = run("pricing add --db " + db +
          " --provider x --model y --input 1e-3 --price requests_kcount=2.50");
  EXPECT_EQ(r.out, "added x/y: {\"input_mtok\":\"0.001\",\"requests_kcount\":\"2.5\"}\n") << r.err;
  ASSERT_EQ(run("pricing remove --db " + db + " --provider x --model y").rc, 0);
  r = run("pricing remove --db " + db + " --provider acme --model acme-1");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("pricing remove --db " + db + " --provider acme --model acme-1");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("no custom price for acme/acme-1"), std::string::npos) << r.err;
  // Without --match-prefix, prices for gpt-4.1 are its dated names' too; a provider named with
  // capitals is the catalog's (stored lowered), and removed so.
  r = run("pricing add --db " + db + " --provider OpenAI --model gpt-4.1 --input 3");
  EXPECT_EQ(r.out, "added openai/gpt-4.1: {\"input_mtok\":\"3\"}\n") << r.err;
  r = run("pricing get --db " + db + " --provider openai --model gpt-4.1-2025-04-14");
  EXPECT_EQ(r.out.rfind("openai/gpt-4.1 (custom price from the database): input_mtok=3", 0), 0u)
      << r.out << r.err;
  r = run("pricing remove --db " + db + " --provider OPENAI --model gpt-4.1");
  EXPECT_EQ(r.rc, 0) << r.err;
  // Prices without a cache-read price: reprice says the cache reads are billed at the input rate.
  r = run(
      "ingest --db " + db + " -",
      R"({"id":"3","provider":"openai","model":"gpt-4.1","usage":{"input_tokens":1000,"cache_read_tokens":500}})");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("pricing add --db " + db + " --provider openai --model gpt-4.1 --input 1");
  r = run("reprice --db " + db + " --all");
  EXPECT_NE(
      r.err.find("note: 1 record priced with a warning (kept in the stored record's detail):\n"
                 "  stdin:1: cache_read_tokens has no price of its own for gpt-4.1; billed "
                 "at the input_tokens rate"),
      std::string::npos)
      << r.err;
  std::filesystem::remove(db);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace costops

namespace costops {
namespace {

// Kills `cost-ops ingest` mid-run (SIGKILL), re-runs the same command, and checks that every
// record is stored exactly once and the totals equal those of an uninterrupted run.
TEST(CliTest, KilledIngestResumesWithNoDuplicatesAndNothingLost) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_crash_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string input = (dir / "big.jsonl").string(), crashed = (dir / "crashed.db").string(),
                    clean = (dir / "clean.db").string();
  const int n = 150000;
  {
    std::vector<std::string> sample;
    std::ifstream in(testing::source_path("data/samples/usage.jsonl"));
    for (std::string l; std::getline(in, l);) sample.push_back(l);
    std::ofstream out(input);
    for (int i = 0; i < n; ++i) {
      std::string l = sample[static_cast<size_t>(i) % sample.size()];
      l.replace(l.find("\"id\":\"") + 6, 10,
                "crash-" + std::to_string(1000000 + i).substr(1));  // unique ids
      out << l << '\n';
    }
  }
  auto stored = [](const std::string& db) -> int64_t {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(h);
      return -1;
    }
    sqlite3_stmt* s = nullptr;
    int64_t count = -1;
    if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM usage_records", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      count = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return count;
  };
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(COSTOPS_CLI, COSTOPS_CLI, "ingest", "--db", crashed.c_str(), input.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill once some batches are committed (or when the run ends first on a fast machine).
  int64_t before = 0;
  for (int i = 0; i < 600; ++i) {
    before = stored(crashed);
    if (before >= 20000) break;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    usleep(20000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  before = stored(crashed);
  EXPECT_GT(before, 0);
  EXPECT_LT(before, n)
      << "the ingest finished before it could be killed; the crash was not exercised";

  CliRun r = run("ingest --db " + crashed + " --output json " + input);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"read\":" + std::to_string(n)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"duplicates\":" + std::to_string(before)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"stored\":" + std::to_string(n - before)), std::string::npos) << r.out;
  EXPECT_EQ(stored(crashed), n);

  r = run("ingest --db " + clean + " " + input);
  EXPECT_EQ(r.rc, 0) << r.err;
  const CliRun a = run("summary --db " + crashed + " --period all --format json");
  const CliRun b = run("summary --db " + clean + " --period all --format json");
  EXPECT_EQ(a.out, b.out);
  const CliRun qa = run("query --db " + crashed +
                        " --group-by model,day --from 2026-08-03T12:00:00Z --format csv");
  const CliRun qb =
      run("query --db " + clean + " --group-by model,day --from 2026-08-03T12:00:00Z --format csv");
  EXPECT_EQ(qa.out, qb.out);
  EXPECT_NE(a.out.find("\"records\": " + std::to_string(n)), std::string::npos) << a.out;
  std::filesystem::remove_all(dir);
}

// A write that fails part way (a full disk; here a day's totals that would overflow) ends the
// run with the error and says what the batches before it stored.
TEST(CliTest, AFailedWriteSaysWhatTheBatchesBeforeItStored) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_failed_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string input = (dir / "in.jsonl").string(), db = (dir / "f.db").string();
  {
    std::ofstream out(input);
    // A batch of ordinary records, then one whose 10^15 tokens each overflow their day's total.
    for (int i = 0; i < 20000; ++i) {
      out << R"({"id":"r)" << i << R"(","timestamp":"2026-09-01T10:00:00Z","provider":"openai",)"
          << R"("model":"gpt-4o","usage":{"input_tokens":)" << (i < 10000 ? 1000 : 1000000000000000)
          << "}}\n";
    }
  }
  CliRun r = run("ingest --db " + db + " " + input);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.err.find("overflow"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("note: the batches written before the error stored 10000 records (10000 "
                       "of them from " +
                       input + ")"),
            std::string::npos)
      << r.err;
  r = run("summary --db " + db + " --period all --format json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["records"], 10000) << r.out;
  std::filesystem::remove_all(dir);
}

// One day of spend gives a projection but no interval and no probability of overrun: null in
// JSON, n/a in tables.
// Output that cannot be written (a full disk) fails the run, saying so; it was exit 0.
TEST(CliTest, AFullStdoutIsAnError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const auto err = std::filesystem::temp_directory_path() /
                   ("costops_full_" + std::to_string(::getpid()) + ".err");
  const int status =
      std::system((std::string(COSTOPS_CLI) + " catalog >/dev/full 2>" + err.string()).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(testing::read_file(err.string()).find("error: cannot write standard output"),
            std::string::npos);
  std::filesystem::remove(err);
}

TEST(CliTest, OneDayOfSpendHasNoIntervalOrProbability) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("costops_one_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << "date,value\n2025-01-01,5\n";
  const std::string budget = "budget status --series " + path.string() +
                             " --amount 100 --period 2025-01 --as-of 2025-01-01";
  CliRun r = run(budget + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["projected_total"], 155.0);
  EXPECT_TRUE(j["projected_lower"].is_null() && j["projected_upper"].is_null());
  EXPECT_TRUE(j["probability_over"].is_null());
  r = run(budget + " --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("[no interval: too little history]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("P(over budget)          n/a"), std::string::npos) << r.out;
  r = run("forecast --series " + path.string() + " --horizon 2 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["forecast"][1]["lower_95"].is_null()) << r.out;
  // A level given twice is one pair of columns; a level out of range is an error naming it.
  r = run("forecast --series " + path.string() + " --horizon 1 --level 80,80 --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("lower 80"), r.out.rfind("lower 80")) << r.out;
  // A fractional level is "99.9" in a table's header, lower_99_9 in JSON keys and CSV columns.
  r = run("forecast --series " + path.string() + " --horizon 1 --level 99.9 --format table");
  EXPECT_NE(r.out.find("lower 99.9     upper 99.9"), std::string::npos) << r.out;
  r = run("forecast --series " + path.string() + " --horizon 1 --level 99.9 --format csv");
  EXPECT_NE(r.out.find("lower_99_9,upper_99_9"), std::string::npos) << r.out;
  // Written in full: two levels close together are two pairs of columns, never one name.
  r = run("forecast --series " + path.string() +
          " --horizon 1 --level 99.99998,99.99999 --format csv");
  EXPECT_NE(r.out.find("lower_99_99998,upper_99_99998,lower_99_99999,upper_99_99999"),
            std::string::npos)
      << r.out;
  r = run("forecast --series " + path.string() + " --level 80,100");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(
      r.err.find("--level: expected percentages between 0 and 100 such as 80,95; got \"100\""),
      std::string::npos)
      << r.err;
  EXPECT_NE(j["reason"].get<std::string>().find("no interval"), std::string::npos) << j["reason"];
  std::filesystem::remove(path);
}

TEST(CliTest, ForecastAnomaliesAndBudgetsOnASeriesAndOnStoredSpend) {
  COSTOPS_REQUIRE_SHARED_DATA();
  const std::string series = testing::shared_path("data/series/llm_daily_spend_dev.csv");
  CliRun r = run("forecast --series " + series + " --holdout 14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["model"].get<std::string>().empty());
  EXPECT_TRUE(j["params"].is_object());
  EXPECT_TRUE(j["sse"].is_number() && j["aicc"].is_number());
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
  ASSERT_EQ(j["forecast"].size(), 14u);
  for (const char* k : {"date", "value", "lower_80", "upper_80", "lower_95", "upper_95"}) {
    EXPECT_TRUE(j["forecast"][0].contains(k)) << k;
  }
  EXPECT_EQ(j["forecast"][0]["date"], "2025-04-17");
  EXPECT_EQ(j["forecast"][0]["actual"], 538.16);  // held-out days carry their actual value
  for (const char* k : {"h", "smape", "mase", "mae", "rmse", "mape"}) {
    EXPECT_TRUE(j["holdout"][k].is_number()) << k;
  }

  // The model auto chose, named with --clean on, is fitted to the same cleaned series.
  const std::string chosen = j["model"];
  const auto auto_cleaned = j["cleaned"];
  EXPECT_EQ(auto_cleaned.size(), 3u) << r.out;
  r = run("forecast --series " + series + " --holdout 14 --model " + chosen +
          " --clean on --init heuristic --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cleaned"], auto_cleaned) << r.out;
  // CSV: one row per day, bounds and the held-out actual value (empty after the held-out days).
  r = run("forecast --series " + series + " --holdout 14 --horizon 15 --level 90 --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "model,date,value,lower_90,upper_90,actual");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 16) << r.out;
  EXPECT_NE(r.out.find(",538.16\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",2025-05-01,"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 2), ",\n") << r.out;
  // Stored-data options with a CSV file are a usage error, not ignored.
  r = run("forecast --series " + series + " --group-by provider --filter project=x");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--filter, --group-by: only for stored spend, not with --series"),
            std::string::npos)
      << r.err;
  // So are --series options beside a stored budget, and stored options beside --series.
  for (const char* args : {"budget status team --amount 5", "budget status team --series x.csv",
                           "budget status --series x.csv --amount 5 --drivers-by project",
                           "budget status --period 2026-09", "budget status --filter project=x",
                           "budget status --series x.csv --amount 5 --filter project=x",
                           "anomalies --series x.csv --drivers-by project"}) {
    EXPECT_EQ(run(args).rc, 2) << args;
  }
  // Tables show the held-out days' actual values; days after them have none.
  r = run("forecast --series " + series + " --holdout 14 --horizon 15 --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("upper 95         actual\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("         538.16\n"), std::string::npos) << r.out;
  // The last row, the day after them: date, forecast and four bounds only (12 + 5 x 15 + \n).
  EXPECT_EQ(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1).size(), 88u) << r.out;

  r = run("anomalies --series " + series + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["anomalies"].size(), 3u) << r.out;
  EXPECT_EQ(j["anomalies"][0]["date"], "2025-01-21");
  for (const char* k : {"date", "value", "expected", "score", "severity"}) {
    EXPECT_TRUE(j["anomalies"][0].contains(k)) << k;
  }

  r = run("anomalies --series " + series + " --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "date,value,expected,score,severity,drivers");
  EXPECT_EQ(r.out.find("\n2025-01-21,970.78,"), r.out.find('\n')) << r.out;
  // Prometheus: the count per severity (zeros too, so that an alert resolves), and each anomaly's
  // figures labelled by its date; --since keeps the later ones.
  r = run("anomalies --series " + series + " --since 2025-02-01 --format prometheus --label env=x");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* line :
       {"\ncostops_anomalies{env=\"x\",severity=\"low\"} 0\n",
        "\ncostops_anomalies{env=\"x\",severity=\"high\"} 2\n",
        "\ncostops_anomaly_value{env=\"x\",date=\"2025-02-23\",severity=\"high\"} 539.09\n",
        "\ncostops_anomaly_value{env=\"x\",date=\"2025-04-02\",severity=\"high\"} 1051.76\n",
        "\n# TYPE costops_anomaly_expected gauge\n"
        "costops_anomaly_expected{env=\"x\",date=\"2025-02-23\",severity=\"high\"} ",
        "\n# TYPE costops_anomaly_score gauge\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
  EXPECT_EQ(r.out.find("2025-01-21"), std::string::npos) << r.out;
  EXPECT_EQ(run("anomalies --series " + series + " --format prometheus --label severity=x").rc, 2);
  // A season the series cannot hold twice is not removed, and the output says so.
  r = run("anomalies --series " + series + " --season 400 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["season"], 0);
  ASSERT_EQ(j["notes"].size(), 1u) << r.out;
  EXPECT_EQ(j["notes"][0],
            "season 400 needs two seasons of values (800), got 120: no seasonal "
            "pattern removed");

  r = run("budget status --series " + series +
          " --amount 12000 --period 2025-04 --as-of 2025-04-16 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  for (const char* k :
       {"spent", "projected_total", "projected_lower", "projected_upper", "probability_over",
        "exhaustion_date", "run_rate_total", "thresholds_crossed"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["spent"], 7695.82);
  // For CI: exit 4 when the projection (14,007.94, 117% of 12,000) reaches --fail-at.
  const std::string april = "budget status --series " + series +
                            " --amount 12000 --period 2025-04 --as-of 2025-04-16 --fail-at ";
  r = run(april + "100");
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_NE(r.err.find("spent or projected at 100% of the amount or more"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("projected"), std::string::npos);  // the status is still printed
  EXPECT_NE(r.out.find("exhaustion       2025-04-26  (forecast)"), std::string::npos) << r.out;
  EXPECT_EQ(run(april + "120").rc, 0);
  EXPECT_EQ(run(april + "0").rc, 2);
  r = run("budget status --series " + series + " --amount -5 --period 2025-04");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--amount: expected a positive decimal, got \"-5\""), std::string::npos)
      << r.err;

  // A named model's smoothing parameters can be held; the rest is fitted.
  r = run("forecast --series " + series + " --model hw-add --alpha 0.25 --gamma 0.1 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["params"]["alpha"], 0.25);
  EXPECT_EQ(j["params"]["gamma"], 0.1);
  EXPECT_TRUE(j["params"].contains("beta"));
  // The seasonal lines give their line and seasonal effects (summing to zero).
  r = run("forecast --series " + series + " --model log-linear-season --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["params"]["intercept"].is_number() && j["params"]["slope"].is_number());
  ASSERT_EQ(j["params"]["seasonal"].size(), 7u) << r.out;
  double effects = 0;
  for (const auto& v : j["params"]["seasonal"]) effects += v.get<double>();
  EXPECT_NEAR(effects, 0, 1e-12);
  r = run("forecast --series /nonexistent.csv");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.csv: cannot open"), std::string::npos) << r.err;
  // A number option out of its range, NaN, or -1 for a count is a usage error naming it; so are
  // options a model does not have, and models that do not exist.
  for (const auto& [bad, message] : std::vector<std::pair<std::string, std::string>>{
           {"forecast --model ses --gamma 0.1", "gamma does not apply to ses (no season)"},
           {"forecast --alpha 0.3", "choose one with --model"},
           {"forecast --model linear-season --alpha 0.3", "does not apply to linear-season"},
           {"forecast --model linear --init heuristic", "--init does not apply to linear"},
           {"forecast --model hw-add --season 1", "hw-add needs a season: --season N >= 2"},
           {"forecast --model hw-sideways", "unknown model \"hw-sideways\"; valid: naive"},
           {"forecast --horizon 0", "--horizon: expected a number from 1 to 1000000, got 0"},
           {"forecast --season -1", "--season: expected a number from 0 to 100000, got -1"},
           {"forecast --holdout -2", "--holdout: expected a finite number, at least 0, got -2"},
           {"forecast --model ses --alpha nan", "--alpha: expected a number from 0 to 1, got nan"},
           {"forecast --model holt-damped --phi 0.5", "--phi: expected a number from 0.8 to 0.995"},
           {"anomalies --min-cost nan", "--min-cost: expected a finite number, at least 0"},
           {"anomalies --threshold 0", "--threshold: expected a finite number above 0, got 0"},
           {"anomalies --threshold 3", "threshold is a significance level in (0, 1)"},
           {"anomalies --max-anomalies 0.7", "--max-anomalies: expected a number from 0 to 0.5"},
           {"report --top 0", "--top: expected a finite number, at least 1, got 0"},
           {"report --forecast -3", "--forecast: expected a number from 0 to 1000000, got -3"},
           {"query --limit -1", "--limit: expected a finite number, at least 0, got -1"},
           {"price --threads -1", "--threads: expected a number from 0 to 256, got -1"}}) {
    const bool on_series = bad.rfind("forecast", 0) == 0 || bad.rfind("anomalies", 0) == 0;
    r = run(bad + (on_series ? " --series " + series : ""));
    EXPECT_EQ(r.rc, 2) << bad;
    EXPECT_NE(r.err.find(message), std::string::npos) << bad << ": " << r.err;
  }
  // A season longer than half the series is said, and does not set the horizon.
  r = run("forecast --series " + series + " --season 100 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["season"], 0);
  EXPECT_EQ(j["forecast"].size(), 30u);
  EXPECT_NE(j["reason"].get<std::string>().find("season 100 needs two seasons of values (200)"),
            std::string::npos)
      << j["reason"];

  // Stored spend: the bundled sample, a budget in the database.
  const std::string db = fresh_db("fc");
  r = run("ingest --db " + db + " " + testing::source_path("data/samples/usage.jsonl"));
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("forecast --db " + db + " --horizon 7 --group-by provider --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_GE(j["groups"].size(), 3u);
  EXPECT_EQ(j["groups"][0]["forecast"].size(), 7u);
  // A table names each group's keys in --group-by order.
  r = run("anomalies --db " + db + " --group-by provider,project --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("== provider=anthropic, project=analytics\n", 0), 0u) << r.out;
  // A scheduled job's alert: --since reports the anomalies from a day on (the history before it
  // still sets what is usual), --fail-on exits with status 5 when one is at least that severe.
  r = run("anomalies --db " + db + " --since 2026-09-01 --fail-on medium --format json");
  EXPECT_EQ(r.rc, 5) << r.err;
  EXPECT_NE(r.err.find("anomalies: 1 at or above medium since 2026-09-01"), std::string::npos)
      << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["anomalies"].size(), 1u) << r.out;
  EXPECT_EQ(j["anomalies"][0]["date"], "2026-09-30");
  EXPECT_EQ(j["anomalies"][0]["severity"], "medium");
  r = run("anomalies --db " + db + " --since 2026-09-01 --fail-on high --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("anomalies --db " + db + " --since 2026-10-01 --fail-on low --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["anomalies"].empty()) << r.out;
  r = run("anomalies --db " + db + " --since 2026-09-31");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--since: expected YYYY-MM-DD, today or yesterday"), std::string::npos)
      << r.err;
  // The note every group has (the sample's providers all end on 2026-10-14, before today) is
  // printed once, after them all.
  r = run("anomalies --db " + db + " --group-by provider --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string last_day_note = "note: the last day with stored spend is 2026-10-14";
  EXPECT_EQ(occurrences(r.out, last_day_note), 1u) << r.out;
  EXPECT_NE(r.out.find("== every group\n" + last_day_note), std::string::npos) << r.out;
  // As gauges: labelled by the group keys and the currency followed; the note once, on stderr.
  r = run("anomalies --db " + db + " --group-by provider --since 2026-09-01 --format prometheus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\ncostops_anomalies{provider=\"google\",currency=\"USD\",severity="
                       "\"high\"} 0\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(occurrences(r.err, last_day_note), 1u) << r.err;
  // The groups and their drivers' parts come from one query: a tag no record has is noted once.
  r = run("anomalies --db " + db + " --group-by tag:nope --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(occurrences(r.err, "note: no record in the query has the tag \"nope\""), 1u) << r.err;
  // Each anomaly of stored spend names the provider/model pairs that moved it, the way it went,
  // the largest change first; their spend that day is query's.
  r = run("anomalies --db " + db + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j["anomalies"].empty()) << r.out;
  for (const auto& a : j["anomalies"]) {
    const std::string day = a["date"];
    const bool up = a["value"].get<double>() > a["expected"].get<double>();
    ASSERT_FALSE(a["drivers"].empty()) << a;
    auto q = run("query --db " + db + " --group-by provider,model --from " + day + " --to " + day +
                 "T23:59:59.999Z --format json");
    ASSERT_EQ(q.rc, 0) << q.err;
    const auto rows = nlohmann::json::parse(q.out)["rows"];
    std::optional<Decimal> previous;  // the magnitude of the driver before
    for (const auto& d : a["drivers"]) {
      // Amounts are exact decimal text: value - usual is change, to the last digit.
      const Decimal value = *Decimal::parse(d["value"].get<std::string>());
      const Decimal usual = *Decimal::parse(d["usual"].get<std::string>());
      const Decimal change = *Decimal::parse(d["change"].get<std::string>());
      EXPECT_EQ(value - usual, change) << d;
      EXPECT_EQ(change > Decimal(), up) << d;
      const Decimal size = change.is_negative() ? -change : change;
      if (previous) {
        EXPECT_LE(size, *previous) << "drivers come largest change first";
      }
      previous = size;
      std::string spent = "0";
      for (const auto& row : rows) {
        if (row["provider"].get<std::string>() + "/" + row["model"].get<std::string>() ==
            d["name"]) {
          spent = row["cost"]["USD"].get<std::string>();
        }
      }
      EXPECT_EQ(d["value"], spent) << d;  // query's exact text
    }
  }
  // --drivers-by names other dimensions; a time key is refused.
  r = run("anomalies --db " + db + " --drivers-by project --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto project_drivers = nlohmann::json::parse(r.out)["anomalies"][0]["drivers"];
  ASSERT_FALSE(project_drivers.empty()) << r.out;
  for (const auto& d : project_drivers) {
    const std::string name = d["name"];
    EXPECT_TRUE(name == "search" || name == "analytics" || name == "code-review" ||
                name == "support-bot")
        << name;
  }
  // CSV leads each row with the --group-by columns; drivers are "name change; ..." in exact text.
  r = run("anomalies --db " + db + " --group-by project --drivers-by model --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "project,date,value,expected,score,severity,drivers");
  EXPECT_NE(r.out.find("\nsearch,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("claude-sonnet-4-5 -"), std::string::npos) << r.out;
  r = run("forecast --db " + db + " --group-by provider --horizon 2 --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "provider,model,date,value,lower_80,upper_80,lower_95,upper_95,actual");
  EXPECT_NE(r.out.find("\nanthropic,"), std::string::npos) << r.out;
  r = run("anomalies --db " + db + " --drivers-by day");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--drivers-by: day is a time key"), std::string::npos) << r.err;
  // Spend in fractions of a cent (about 0.0016 a day) keeps three significant digits in tables.
  r = run("forecast --db " + db + " --horizon 2 --filter provider=deepseek --format table");
  ASSERT_EQ(r.rc, 0) << r.err;
  bool digits = false;  // some "0.00" followed by a significant digit
  for (size_t at = r.out.find("0.00"); at != std::string::npos; at = r.out.find("0.00", at + 1)) {
    digits |= at + 4 < r.out.size() && r.out[at + 4] >= '1' && r.out[at + 4] <= '9';
  }
  EXPECT_TRUE(digits) << r.out;
  // A currency is its ISO code whatever the case (a budget in "usd" matched no stored spend).
  r = run("budget add lower --db " + db + " --amount 1 --currency usd");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "budget lower: 1 USD per month\n");
  ASSERT_EQ(run("budget remove lower --db " + db).rc, 0);
  EXPECT_EQ(run("budget add lower --db " + db + " --amount 1 --currency dollars").rc, 2);
  // A name list, status and remove can find; thresholds in order, each once.
  for (const auto& [name, message] : std::vector<std::pair<std::string, std::string>>{
           {"''", "a budget needs a name"},
           {"' team'", "budget name \" team\": begins or ends with a space"},
           {"\"$(printf 'a\\tb')\"", "a budget name has no control characters"}}) {
    r = run("budget add " + name + " --db " + db + " --amount 1");
    EXPECT_EQ(r.rc, 2) << name;
    EXPECT_NE(r.err.find(message), std::string::npos) << name << ": " << r.err;
  }
  ASSERT_EQ(run("budget add steps --db " + db + " --amount 1 --thresholds 150,50,50").rc, 0);
  r = run("budget list --db " + db);
  EXPECT_NE(r.out.find("50/150%"), std::string::npos) << r.out;
  ASSERT_EQ(run("budget remove steps --db " + db).rc, 0);
  // A budget in a currency the scope's spend is not in counts none of it: said when added, and
  // when its status (or a forecast in that currency) is asked for.
  const std::string eur_note =
      "no stored spend in EUR here: it is in USD (spend is counted in the currency it was priced "
      "in; --rates FILE or --rate USD/EUR=RATE converts it)";
  expect_note("budget add euro --db " + db + " --amount 1 --currency EUR", eur_note);
  expect_note("budget status euro --db " + db, eur_note);
  expect_note("forecast --db " + db + " --currency eur --horizon 2", eur_note);
  ASSERT_EQ(run("budget remove euro --db " + db).rc, 0);
  // A scope's tag key that the latest records do not have is said at once (keys are
  // case-sensitive).
  expect_note("budget add teams --db " + db + " --amount 1 --filter tag:Team=team-data",
              "no record of the latest days has the tag \"Team\" (tag keys of the latest "
              "records: env, team)");
  // And so is a value of the key that none of them has.
  expect_note("budget add teams --db " + db + " --amount 1 --filter tag:team=Team-Data",
              "no record of the latest days has tag:team=Team-Data (did you mean team-data?)");
  expect_note("budget add teams --db " + db +
                  " --amount 1 --filter tag:team=data --filter 'tag:team=*serch'",
              "no record of the latest days has tag:team=data or tag:team=*serch (tag:team values "
              "there: team-cx, team-data, team-dev, team-search)");
  r = run("budget add teams --db " + db + " --amount 1 --filter 'tag:team=*-data'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(run("budget remove teams --db " + db).rc, 0);
  r = run("budget add team --db " + db + " --amount 500 --period month --filter project=search");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("budget list --db " + db + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(R"("project=search")"), std::string::npos) << r.out;
  r = run("budget list --db " + db);  // a table: the scope and thresholds as a reader writes them
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("500 USD  month"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("project=search"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("50/80/100%"), std::string::npos) << r.out;
  r = run("budget status team --db " + db + " --as-of 2026-10-14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["budgets"].size(), 1u);
  EXPECT_GT(j["budgets"][0]["spent"].get<double>(), 0) << r.out;
  EXPECT_TRUE(j["budgets"][0]["notes"].empty()) << r.out;
  const double stored_projection = j["budgets"][0]["projected_total"].get<double>();
  {
    // The same budget from the command line, stored nowhere: the same figures.
    auto ad_hoc = run("budget status --db " + db +
                      " --amount 500 --period month --filter project=search --as-of 2026-10-14 "
                      "--format json");
    ASSERT_EQ(ad_hoc.rc, 0) << ad_hoc.err;
    auto k = nlohmann::json::parse(ad_hoc.out);
    EXPECT_EQ(k["scope"], nlohmann::json::array({"project=search"}));
    EXPECT_EQ(k["currency"], "USD");
    for (const char* field : {"spent", "projected_total", "projected_lower", "projected_upper",
                              "exhaustion_date", "run_rate_total", "change"}) {
      EXPECT_EQ(k[field], j["budgets"][0][field]) << field;
    }
    ad_hoc = run("budget status --db " + db +
                 " --amount 500 --filter project=search --as-of 2026-10-14");
    EXPECT_EQ(ad_hoc.out.substr(0, ad_hoc.out.find('\n')), "budget of 500.00 USD (project=search)");
    EXPECT_EQ(nlohmann::json::parse(run("budget list --db " + db + " --format json").out)["budgets"]
                  .size(),
              1u)
        << "nothing stored";
  }
  {
    // Budgets of one tag's values (a budget per team) read their spend and drivers together,
    // from one query grouped by the tag: each says what it says alone.
    const std::vector<std::string> teams = {"team-cx", "team-data", "team-dev", "team-none"};
    for (const auto& t : teams) {
      ASSERT_EQ(run("budget add " + t + " --db " + db + " --amount 3 --filter tag:team=" + t).rc,
                0);
    }
    auto all = run("budget status --db " + db + " --as-of 2026-10-14 --format json");
    ASSERT_EQ(all.rc, 0) << all.err;
    const auto together = nlohmann::json::parse(all.out)["budgets"];
    ASSERT_EQ(together.size(), teams.size() + 1);
    for (const auto& t : teams) {
      auto alone = run("budget status " + t + " --db " + db + " --as-of 2026-10-14 --format json");
      ASSERT_EQ(alone.rc, 0) << alone.err;
      const auto mine = nlohmann::json::parse(alone.out)["budgets"][0];
      auto it = std::find_if(together.begin(), together.end(),
                             [&](const auto& b) { return b["name"] == t; });
      ASSERT_NE(it, together.end()) << t;
      EXPECT_EQ(*it, mine) << t;
      if (t != "team-none") {
        EXPECT_FALSE(mine["change"]["drivers"].empty()) << mine;
      }
      ASSERT_EQ(run("budget remove " + t + " --db " + db).rc, 0);
    }
  }
  // What moved: the projection against a week before, the last 7 days' spend against the 7
  // before, and the largest changes by provider and model, which query's sums confirm.
  const auto change = j["budgets"][0]["change"];
  EXPECT_EQ(change["since"], "2026-10-07");
  EXPECT_EQ(change["window_end"], "2026-10-14");
  ASSERT_FALSE(change["projected_total_then"].is_null()) << change;
  EXPECT_NEAR(change["projected_change"].get<double>(),
              stored_projection - change["projected_total_then"].get<double>(), 0.011);
  ASSERT_FALSE(change["drivers"].empty()) << change;
  ASSERT_LE(change["drivers"].size(), 5u);
  auto window = [&](const char* from, const char* to) {
    auto q = run("query --db " + db + " --filter project=search --group-by provider,model " +
                 "--from " + from + " --to " + to + " --format json");
    EXPECT_EQ(q.rc, 0) << q.err;
    std::map<std::string, double> spend;  // in cents, half-even as budget status rounds
    const auto rows = nlohmann::json::parse(q.out)["rows"];
    for (const auto& row : rows) {
      spend[row["provider"].get<std::string>() + "/" + row["model"].get<std::string>()] =
          std::stod(Decimal::parse(row["cost"]["USD"].get<std::string>())->to_string_fixed(2));
    }
    return spend;
  };
  auto last = window("2026-10-08", "2026-10-15"), previous = window("2026-10-01", "2026-10-08");
  double biggest = 1e9;
  for (const auto& d : change["drivers"]) {
    const std::string name = d["name"];
    EXPECT_EQ(d["spend_last"].get<double>(), last[name]) << name;
    EXPECT_EQ(d["spend_previous"].get<double>(), previous[name]) << name;
    const double moved = std::abs(d["change"].get<double>());
    EXPECT_LE(moved, biggest) << "drivers come largest change first";
    biggest = moved;
  }
  // The parts past the listed ones are summed in others, so that (but for each figure's rounding
  // to cents) the changes add up to the window's.
  const auto others = change["others"];
  double listed_last = 0, all_last = 0;
  for (const auto& d : change["drivers"]) listed_last += d["spend_last"].get<double>();
  for (const auto& [name, cents] : last) all_last += cents;
  std::set<std::string> seen;  // every pair with spend in either week
  for (const auto& [name, cents] : last) seen.insert(name);
  for (const auto& [name, cents] : previous) seen.insert(name);
  EXPECT_LE(others["parts"].get<size_t>() + change["drivers"].size(), seen.size()) << change;
  EXPECT_NEAR(listed_last + others["spend_last"].get<double>(), all_last, 0.005 * last.size());
  EXPECT_NEAR(all_last, change["spend_last"].get<double>(), 0.005 * last.size());
  // By project, the budget's one project is the whole change.
  r = run("budget status team --db " + db +
          " --as-of 2026-10-14 --drivers-by project --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto by_project = nlohmann::json::parse(r.out)["budgets"][0]["change"];
  ASSERT_EQ(by_project["drivers"].size(), 1u) << by_project;
  EXPECT_EQ(by_project["drivers"][0]["name"], "search");
  EXPECT_EQ(by_project["drivers"][0]["spend_last"], change["spend_last"]);
  // A scope with no spend in the 180 days read projects zero, with a zero interval and a 0%
  // chance of overrun (not "no interval", as one day of spend has).
  r = run("budget add idle --db " + db + " --amount 10 --period month --filter project=none");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("budget status idle --db " + db + " --as-of 2026-10-14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  EXPECT_EQ(j["projected_total"], 0.0);
  EXPECT_EQ(j["projected_upper"], 0.0);
  EXPECT_EQ(j["probability_over"], 0.0);
  EXPECT_NE(j["notes"][0].get<std::string>().find("no stored spend in the budget's scope in the "
                                                  "180 days up to 2026-10-14"),
            std::string::npos)
      << j;
  // A year's budget reads its length of spend, not 180 days (2026 has 365).
  r = run("budget add idle --db " + db + " --amount 10 --period year --filter project=none");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("budget status idle --db " + db + " --as-of 2026-10-14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  EXPECT_EQ(j["period_start"], "2026-01-01");
  EXPECT_EQ(j["period_end"], "2026-12-31");
  EXPECT_NE(j["notes"][0].get<std::string>().find("in the 365 days up to"), std::string::npos) << j;
  r = run("budget remove idle --db " + db);
  ASSERT_EQ(r.rc, 0) << r.err;
  // The stored series starts at the scope's first day with spend, not 180 days before the as-of
  // date with zeros: the same days as a file projects the same.
  r = run("query --db " + db + " --filter project=search --group-by day --to 2026-10-16 " +
          "--format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string daily = db + ".csv";
  {
    std::ofstream f(daily);
    f << "date,value\n";
    const auto rows = nlohmann::json::parse(r.out)["rows"];
    ASSERT_GT(rows.size(), 60u) << r.out;
    for (const auto& row : rows) {
      f << row["day"].get<std::string>() << "," << row["cost"]["USD"].get<std::string>() << "\n";
    }
  }
  r = run("budget status --series " + daily + " --amount 500 --as-of 2026-10-14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["projected_total"].get<double>(), stored_projection);
  EXPECT_EQ(j["change"]["projected_total_then"], change["projected_total_then"]);
  EXPECT_EQ(j["change"]["spend_last"], change["spend_last"]);
  EXPECT_TRUE(j["change"]["drivers"].empty());  // a file has no providers or models
  std::filesystem::remove(daily);
  // Stored spend that stops long before the as-of date is noted; an ended period has no model.
  r = run("budget status team --db " + db + " --as-of 2026-11-20 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  ASSERT_EQ(j["notes"].size(), 1u) << r.out;
  EXPECT_NE(j["notes"][0].get<std::string>().find("after 2026-10-14 (37 days before"),
            std::string::npos)
      << r.out;
  r = run("budget add september --db " + db + " --amount 5 --period 2026-09");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("budget status september --db " + db + " --as-of 2026-11-20 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  EXPECT_TRUE(j["model"].is_null()) << r.out;
  EXPECT_TRUE(j["notes"].empty()) << r.out;
  EXPECT_EQ(j["projected_total"], j["spent"]);
  const auto september = j;
  // However long before the as-of date it ended (past the 180 days of history read), its spend
  // is counted in full.
  r = run("budget status september --db " + db + " --as-of 2027-06-30 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  EXPECT_GT(september["spent"].get<double>(), 5) << september;
  for (const char* field : {"spent", "projected_total", "exhaustion_date", "thresholds_crossed"}) {
    EXPECT_EQ(j[field], september[field]) << field;
  }
  r = run("budget status september --db " + db + " --as-of 2026-11-20");
  EXPECT_NE(r.out.find("(period ended)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exhaustion       2026-09-14  (actual)"), std::string::npos) << r.out;
  r = run("budget remove team --db " + db);
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("budget remove team --db " + db);
  EXPECT_EQ(r.rc, 1);
  std::filesystem::remove(db);
}

// Stored spend that runs up to today: today is still running. forecast and anomalies leave it
// out (and say so), budget status counts its spend and projects the rest of it.
TEST(CliTest, TodayIsStillRunning) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_today_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "t.db").string(), log = (dir / "usage.jsonl").string();
  // The test needs one date throughout: started in the last half minute of a UTC day, it waits
  // for the next.
  const auto now = std::chrono::system_clock::now();
  const auto left = std::chrono::ceil<std::chrono::days>(now) - now;
  if (left < std::chrono::seconds(30)) std::this_thread::sleep_for(left + std::chrono::seconds(1));
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::string old_log = (dir / "old.jsonl").string();  // the days up to 5 days ago
  {
    std::ofstream f(log), old(old_log);
    for (int back = 27; back >= 0; --back) {
      const auto day = today - std::chrono::days(back);
      const std::string date = forecasting::format_date(day);
      const int calls = back == 0 ? 1 : 6 + (back % 7 == 0 ? 2 : 0);
      for (int i = 0; i < calls; ++i) {
        std::ostringstream line;
        line << R"({"id":"r-)" << back << "-" << i << R"(","timestamp":")" << date << R"(T00:00:0)"
             << i << R"(Z","provider":"openai","model":"gpt-4o",)"
             << R"("usage":{"input_tokens":100000,"output_tokens":10000}})"
             << "\n";
        f << line.str();
        if (back >= 5) old << line.str();
      }
    }
  }
  CliRun r = run("ingest --db " + db + " " + log);
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string today_text = forecasting::format_date(today);
  r = run("forecast --db " + db + " --horizon 3 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["forecast"][0]["date"], today_text) << r.out;
  ASSERT_EQ(j["notes"].size(), 1u) << r.out;
  EXPECT_NE(j["notes"][0].get<std::string>().find("today (" + today_text + ") is still running"),
            std::string::npos);
  r = run("anomalies --db " + db + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["anomalies"].empty()) << r.out;  // today's single call is not a drop
  EXPECT_EQ(j["notes"].size(), 1u) << r.out;
  r = run("budget add all --db " + db + " --amount 1000 --period month");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("budget status --db " + db + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["budgets"][0];
  EXPECT_EQ(j["as_of"], today_text);
  EXPECT_NE(j["reason"].get<std::string>().find("the as-of day is still running"),
            std::string::npos)
      << r.out;
  // Spend that stopped days ago (usage not ingested since, most often) is said to, and the
  // series ends with it rather than with days of zero spend.
  const std::string old_db = (dir / "old.db").string();
  r = run("ingest --db " + old_db + " " + old_log);
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("forecast --db " + old_db + " --horizon 3 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  const std::string last_text = forecasting::format_date(today - std::chrono::days(5));
  EXPECT_EQ(j["forecast"][0]["date"], forecasting::format_date(today - std::chrono::days(4)));
  ASSERT_EQ(j["notes"].size(), 1u) << r.out;
  EXPECT_EQ(j["notes"][0], "the last day with stored spend is " + last_text +
                               ", 5 days before today (" + today_text +
                               "): the series ends there (the days since are not counted as zero "
                               "spend)");
  // Days, and today, in another time zone.
  r = run("budget status --db " + db + " --tz Asia/Tokyo --format json");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("budget status --db " + db + " --tz Nowhere/City");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--tz"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

// With --tz, a day is that zone's: --from/--to days, periods, and a budget's as-of day start and
// end at its local midnight (they were UTC midnights, so the first and last local days were cut).
TEST(CliTest, DaysAreTheTimeZonesDays) {
  const std::string db = fresh_db("tz");
  CliRun r = run("ingest --db " + db + " " + testing::source_path("data/samples/usage.jsonl"));
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string la = " --tz America/Los_Angeles";
  r = run("query --db " + db + la +
          " --group-by day --from 2026-09-01 --to 2026-09-03 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto rows = nlohmann::json::parse(r.out)["rows"];
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(rows[0]["day"], "2026-09-01");
  EXPECT_EQ(rows[1]["day"], "2026-09-02");

  // The budget's spend to the as-of day is the local days' spend.
  r = run("query --db " + db + la +
          " --group-by day --from 2026-10-01 --to 2026-10-11 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  rows = nlohmann::json::parse(r.out)["rows"];
  ASSERT_EQ(rows.size(), 10u) << r.out;
  Decimal days;
  for (const auto& row : rows) days += *Decimal::parse(row["cost"]["USD"].get<std::string>());
  ASSERT_EQ(run("budget add all --db " + db + " --amount 100").rc, 0);
  r = run("budget status all --db " + db + la + " --as-of 2026-10-10 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto spent = nlohmann::json::parse(r.out)["budgets"][0]["spent"];
  EXPECT_EQ(Decimal::parse(spent.dump())->to_string_fixed(2), days.to_string_fixed(2)) << spent;

  r = run("report --db " + db + la + " --period 2026-09 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("2026-09-01T07:00:00Z"), std::string::npos) << r.out.substr(0, 400);
  // summary too, and an --as-of day is the zone's.
  r = run("summary --db " + db + la + " --period today --as-of 2026-10-14 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto period = nlohmann::json::parse(r.out)["period"];
  EXPECT_EQ(period["from"], "2026-10-14T07:00:00Z");
  EXPECT_EQ(period["to"], "2026-10-15T07:00:00Z");
  // A time without an offset reads the zone's clock: 01:00 on the 14th is in Los Angeles' 14th.
  // One with an offset is taken as written: 01:00Z is 18:00 on the 13th there.
  for (const auto& [as_of, day] :
       {std::pair{"2026-10-14T01:00:00", "2026-10-14T07:00:00Z"},
        std::pair{"2026-10-14T01:00:00Z", "2026-10-13T07:00:00Z"},
        std::pair{"2026-10-14T01:00:00-07:00", "2026-10-14T07:00:00Z"}}) {
    r = run("summary --db " + db + la + " --period today --format json --as-of " + as_of);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["period"]["from"], day) << as_of;
  }
  r = run("query --db " + db + la + " --from 2026-09-01T08:00 --to 2026-09-01T09:00 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto one_hour = nlohmann::json::parse(r.out)["rows"];
  ASSERT_FALSE(one_hour.empty()) << r.out;
  r = run("query --db " + db + " --from 2026-09-01T15:00Z --to 2026-09-01T16:00Z --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(one_hour, nlohmann::json::parse(r.out)["rows"]);
  std::filesystem::remove(db);
}

TEST(CliTest, ReportsAndCompressedFiles) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("costops_report_" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string sample = testing::source_path("data/samples/usage.jsonl");
  // compress, then ingest the .zst directly; decompress gives the original back.
  CliRun r = run("compress --codec zstd " + sample + " -o " + dir + "/usage.jsonl.zst");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("decompress " + dir + "/usage.jsonl.zst -o " + dir + "/back.jsonl");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(testing::read_file(dir + "/back.jsonl"), testing::read_file(sample));
  const std::string db = dir + "/db.sqlite";
  r = run("ingest --db " + db + " " + dir + "/usage.jsonl.zst");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("read 3524, stored 3524"), std::string::npos) << r.out;
  // Spend by team from the store: the top rows and the others add up to the total, exactly.
  r = run("report --db " + db + " --period all --by tag:team --top 2 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  {
    const auto rep = nlohmann::json::parse(r.out);
    const auto& by = rep["breakdowns"][0];
    EXPECT_EQ(by["by"], "tag:team");
    ASSERT_EQ(by["rows"].size(), 2u) << r.out;
    Decimal sum = *Decimal::parse(by["others"]["cost"]["USD"].get<std::string>());
    for (const auto& row : by["rows"])
      sum += *Decimal::parse(row["cost"]["USD"].get<std::string>());
    EXPECT_EQ(sum.to_string(), rep["total"]["cost"]["USD"]) << r.out;
  }
  // --budgets: each stored budget's status as of the report's last day, as budget status gives
  // it; the budget of all spend projects what the report projects.
  r = run("report --db " + db + " --period month-to-date --as-of 2026-09-20T12:00:00Z --budgets");
  EXPECT_EQ(r.rc, 1) << r.err;  // none stored yet: said, nothing written
  EXPECT_NE(r.err.find("no budgets; add one with: cost-ops budget add NAME --amount N"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(run("budget add eng --db " + db + " --amount 5 --filter provider=openai").rc, 0);
  ASSERT_EQ(run("budget add all --db " + db + " --amount 30 --period 2026-09").rc, 0);
  const std::string budgets =
      "report --db " + db + " --period month-to-date --as-of 2026-09-20T12:00:00Z --budgets";
  r = run(budgets + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  {
    const auto rep = nlohmann::json::parse(r.out);
    ASSERT_EQ(rep["budgets"].size(), 2u) << r.out;
    const auto& all = rep["budgets"][0];
    EXPECT_EQ(all["name"], "all");
    EXPECT_EQ(all["as_of"], "2026-09-20");
    EXPECT_EQ(all["spent"], "7.974173385");
    EXPECT_EQ(all["spent"], rep["projection"]["spent"]);
    EXPECT_EQ(all["projected_total"], rep["projection"]["projected_total"]);
    const auto& eng = rep["budgets"][1];
    EXPECT_EQ(eng["spent"], "3.56216035");
    EXPECT_EQ(eng["amount"], "5");
    EXPECT_EQ(
        eng["thresholds_crossed"][0],
        nlohmann::json::parse(R"({"percent": 50.0, "basis": "actual", "date": "2026-09-15"})"));
  }
  r = run(budgets);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("## Budgets (as of 2026-09-20)\n\n| Budget | Period | Amount | Spent | "
                       "Projected | P(over) | Runs out | Thresholds crossed |\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("| eng | month (2026-09-01 to 2026-09-30) | 5.00 USD | 3.56 (71.2%) | 5.65 "),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" | 50% (actual, 2026-09-15), 80% (forecast, "), std::string::npos) << r.out;
  r = run(budgets + " --format csv");
  EXPECT_NE(r.out.find("\nbudget_spent,eng,USD,3.56216035,,,,,,,\n"), std::string::npos) << r.out;
  // A report of OpenAI's spend shows the budgets of spend it covers, and names the others.
  r = run(budgets + " --filter provider=openai --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(nlohmann::json::parse(r.out)["budgets"].size(), 1u) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["budgets"][0]["name"], "eng");
  EXPECT_EQ(r.err,
            "note: --budgets leaves out 1 budget whose scope is not within --filter's "
            "(provider=openai): all\n");
  r = run(budgets + " --filter provider=google");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "error: no stored budget's scope is within --filter's (provider=google): --budgets "
            "shows those whose spend the report covers, and 2 budgets are not\n");
  r = run("report --db " + db + " --period 2026-09 --budgets --format focus");
  EXPECT_EQ(r.rc, 2);
  // A truncated file is an error naming it and what the decompressor found.
  const std::string zst = testing::read_file(dir + "/usage.jsonl.zst");
  std::ofstream(dir + "/cut.jsonl.zst", std::ios::binary) << zst.substr(0, zst.size() / 2);
  // price reads compressed input too.
  r = run("price " + dir + "/usage.jsonl.zst");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3524);
  // Ingest reads the records before the cut (into a new database: all of them are new), rejects
  // the line it cuts short, and fails after its summary.
  r = run("ingest --db " + dir + "/cut.sqlite --output json " + dir + "/cut.jsonl.zst");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("error: " + dir + "/cut.jsonl.zst: zstd: truncated data"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the input ends inside this record (" + dir +
                       "/cut.jsonl.zst: zstd: truncated data"),
            std::string::npos)
      << r.err;
  const auto cut = nlohmann::json::parse(r.out);
  EXPECT_GT(cut["stored"].get<int>(), 100) << r.out;
  EXPECT_EQ(cut["rejected"], 1) << r.out;
  EXPECT_EQ(cut["read"].get<int>(), cut["stored"].get<int>() + 1) << r.out;
  r = run("decompress " + dir + "/cut.jsonl.zst -o " + dir + "/cut.jsonl");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("error: " + dir + "/cut.jsonl.zst: zstd: truncated data"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/cut.jsonl"));  // no part of a file is left
  // An output that exists is replaced only with --force; the input never is.
  r = run("decompress " + dir + "/usage.jsonl.zst -o " + dir + "/back.jsonl");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("/back.jsonl: exists (--force replaces it)"), std::string::npos) << r.err;
  r = run("decompress --force " + dir + "/usage.jsonl.zst -o " + dir + "/back.jsonl");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run("compress -f " + dir + "/back.jsonl -o " + dir + "/back.jsonl");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("/back.jsonl: is the input"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_file(dir + "/back.jsonl"), testing::read_file(sample));

  r = run("report --db " + db + " --period 2026-09 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["days"].size(), 30u);
  r = run("summary --db " + db + " --period 2026-09 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["total_cost"], j["total"]["cost"]);
  // Compared with the period before, as summary compares: August.
  EXPECT_EQ(j["previous"]["from"], "2026-08-01T00:00:00Z");
  EXPECT_EQ(j["previous"]["to"], "2026-09-01T00:00:00Z");
  EXPECT_EQ(j["previous"]["total"]["cost"], summary["previous"]["total_cost"]);
  // --from and --to: as long a time just before; --period all: nothing before.
  r = run("report --db " + db + " --from 2026-09-08 --to 2026-09-15 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["previous"]["from"], "2026-09-01T00:00:00Z");
  EXPECT_EQ(j["previous"]["to"], "2026-09-08T00:00:00Z");
  r = run("report --db " + db + " --period all --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(r.out).contains("previous"));

  r = run("report --db " + db + " --period all --format html --forecast 7 --output " + dir +
          "/r.html.gz");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("decompress " + dir + "/r.html.gz");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(testing::read_file(dir + "/r.html").find("<svg"), std::string::npos);
  // Without --format, --output's extension names it (a compression suffix aside).
  r = run("report --db " + db + " --period all --output " + dir + "/by-name.JSON.gz");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("(json, gzip)"), std::string::npos) << r.err;
  r = run("decompress " + dir + "/by-name.JSON.gz -o -");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("total")) << r.out.substr(0, 200);
  r = run("report --db " + db + " --period all --output " + dir + "/by-name.txt");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(testing::read_file(dir + "/by-name.txt").rfind("# ", 0), 0u) << "markdown otherwise";
  // A file that is not compressed is an error, and nothing is written.
  r = run("decompress " + dir + "/r.html");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/r.html: not compressed: its first bytes are no gzip, zlib or zstd header"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.html.out"));

  r = run("report --db " + db + " --format pdf");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("valid: csv, json, jsonl, markdown, html, focus"), std::string::npos)
      << r.err;
  // A FOCUS dataset of September: its billed costs add up to the summary's total, exactly; each
  // of its records is in one input row.
  r = run("report --db " + db + " --period 2026-09 --format focus --output " + dir +
          "/focus.csv.gz");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("(focus, gzip: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" rows of 1522 records)"), std::string::npos) << r.err;
  r = run("decompress " + dir + "/focus.csv.gz");
  ASSERT_EQ(r.rc, 0) << r.err;
  {
    std::istringstream in(testing::read_file(dir + "/focus.csv"));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line.rfind("BilledCost,BillingAccountId,", 0), 0u) << line;
    Decimal billed;
    uint64_t records = 0;
    while (std::getline(in, line)) {
      billed += *Decimal::parse(line.substr(0, line.find(',')));
      // x_Records, x_Requests, x_Tier and x_User end the line.
      if (line.find("/input,") != std::string::npos) {
        size_t end = line.size();
        for (int i = 0; i < 3; ++i) end = line.rfind(',', end - 1);
        const size_t begin = line.rfind(',', end - 1) + 1;
        records += std::stoull(line.substr(begin, end - begin));
      }
    }
    EXPECT_EQ(billed.to_string(), "13.55330744");
    EXPECT_EQ(summary["total_cost"]["USD"], "13.55330744");
    EXPECT_EQ(records, 1522u);
  }
  // An output is made beside its file and renamed over it: a link's file is replaced, not
  // the link; a device is written in place, never replaced; a failed write is an error naming
  // the output, and leaves nothing behind.
  std::filesystem::create_directory(dir + "/real");
  std::filesystem::create_symlink("real/focus.csv", dir + "/link.csv");
  r = run("report --db " + db + " --period 2026-09 --format focus --output " + dir + "/link.csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/link.csv"));
  EXPECT_EQ(testing::read_file(dir + "/real/focus.csv"), testing::read_file(dir + "/focus.csv"));
  // Written again: the file replaced keeps its permissions.
  using std::filesystem::perms;
  std::filesystem::permissions(dir + "/real/focus.csv", perms::owner_read | perms::owner_write);
  r = run("report --db " + db + " --period 2026-09 --format focus --output " + dir + "/link.csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(std::filesystem::status(dir + "/real/focus.csv").permissions(),
            perms::owner_read | perms::owner_write);
  r = run("report --db " + db + " --period 2026-09 --output /dev/null");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  if (std::filesystem::is_character_file("/dev/full")) {
    r = run("report --db " + db + " --period 2026-09 --format focus --output /dev/full");
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "error: /dev/full: cannot write: No space left on device\n");
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  }
  r = run("report --db " + db + " --period 2026-09 --output " + dir + "/real");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/real: cannot write: Is a directory"), std::string::npos) << r.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  r = run("report --db " + db + " --period 2026-09 --format focus --tz Europe/Paris");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("FOCUS charge periods are UTC days and hours"), std::string::npos) << r.err;
  {
    std::ofstream bad(dir + "/bad.gz", std::ios::binary);
    bad << "\x1f\x8b\x08\x00 not really gzip";
  }
  r = run("ingest --db " + db + " " + dir + "/bad.gz");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("gzip: "), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

// query --allocate: the cost of records without a team spread over the teams of the same month,
// in proportion to their cost or evenly; exact, each format; a month without a team keeps it.
// Stored spend in dollars and euros shown in one currency, each day's at that day's rate (the
// ECB's table: Sunday at Friday's rate), exactly; by query, summary, report, budget status and
// forecast; and what is said when a rate is missing or stale.
TEST(CliTest, ConvertsStoredSpendIntoOneCurrencyAtEachDaysRate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_currency_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "c.db").string(), ecb = (dir / "ecb.csv").string(),
                    old = (dir / "old.csv").string(), eur = (dir / "eur.json").string();
  std::ofstream(ecb) << "Date,USD,JPY,GBP,\n2026-11-06,1.0500,162.8,0.8500,\n"
                        "2026-11-05,1.0400,161.0,0.8400,\n";
  std::ofstream(old) << "date,from,to,rate\n2026-10-01,USD,EUR,0.9\n";
  std::ofstream(eur)
      << R"({"format": "cost-ops-catalog", "version": 1, "currency": "EUR", "providers": [
{"id": "acme", "models": [{"id": "large", "prices": {"input_mtok": "1"}}]}]})";
  // gpt-4o input at 2.5 USD per million: 2.5 on Thursday, 10 on Friday, 2.1 on Sunday; 1 EUR.
  ASSERT_EQ(
      run("ingest --db " + db + " -",
          R"({"id":"u1","timestamp":"2026-11-05T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000000}}
{"id":"u2","timestamp":"2026-11-06T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":4000000}}
{"id":"u3","timestamp":"2026-11-08T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":840000}}
)")
          .rc,
      0);
  ASSERT_EQ(
      run("ingest --db " + db + " --catalog " + eur + " -",
          R"({"id":"e1","timestamp":"2026-11-06T11:00:00Z","provider":"acme","model":"large","usage":{"input_tokens":1000000}})")
          .rc,
      0);
  CliRun r = run("query --db " + db + " --group-by provider --currency EUR --rates " + ecb +
                 " --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "provider,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
            "cache_read_tokens,cache_write_tokens,reasoning_tokens\n"
            "\"acme\",EUR,1,1,0,1000000,0,1,0,0,0\n"
            "\"openai\",EUR,13.927655677655677655677656,3,0,5840000,0,3,0,0,0\n");
  EXPECT_EQ(r.err, "");
  // Into pounds: dollars through the euro, euros at the pound's rate.
  r = run("query --db " + db + " --currency gbp --rates " + ecb + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][0]["cost"],
            nlohmann::json::parse(R"({"GBP": "12.664468864468864468864469"})"));
  // Rates for every day on the command line; the total in euros by summary and report.
  r = run("summary --db " + db + " --period 2026-11 --currency EUR --rate USD=0.9 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total_cost"]["EUR"], "14.14");
  r = run("report --db " + db + " --period 2026-11 --currency EUR --rates " + ecb +
          " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["cost"]["EUR"], "14.927655677655677655677656")
      << r.out;
  // A budget in euros counts the dollars converted; so does a forecast in euros.
  r = run("budget status --db " + db +
          " --amount 20 --currency EUR --period 2026-11 --as-of "
          "2026-11-08 --rates " +
          ecb + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["spent"], 14.93) << r.out;
  EXPECT_EQ(r.err.find("no stored spend in EUR"), std::string::npos) << r.err;
  r = run("forecast --db " + db + " --currency EUR --rates " + ecb +
          " --to 2026-11-09 --horizon 1 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err.find("no stored spend in EUR"), std::string::npos) << r.err;
  // A FOCUS dataset billed in euros: each charge's cost converted at its UTC day's rate, its
  // PricingCurrency and PricingCurrencyEffectiveCost what it was priced at.
  r = run("report --db " + db + " --period 2026-11 --format focus --currency EUR --rates " + ecb);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(",PricingCategory,PricingCurrency,PricingCurrencyEffectiveCost,"
                       "PricingQuantity,"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n9.52380952380952380952381,openai,openai,EUR,"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(",Standard,USD,10,4000000,Tokens,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n1,acme,acme,EUR,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",Standard,EUR,1,1000000,Tokens,"), std::string::npos) << r.out;
  // Each record at its own day's rate: the dearest, in euros.
  r = run("records --db " + db + " --sort cost --limit 1 --currency EUR --rates " + ecb +
          " --format jsonl");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cost"], "9.52380952380952380952381");
  EXPECT_EQ(nlohmann::json::parse(r.out)["input_cost"], "9.52380952380952380952381");
  EXPECT_EQ(nlohmann::json::parse(r.out)["output_cost"], "0");
  EXPECT_EQ(nlohmann::json::parse(r.out)["id"], "u2");
  // A what-if in euros: both costs of each record at its day's rate (gpt-4o-mini's input at
  // 0.15 USD per million).
  r = run("whatif --db " + db + " --filter provider=openai --swap gpt-4o=gpt-4o-mini --currency " +
          "EUR --rates " + ecb + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["cost"]["EUR"], "13.927655677655677655677656");
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["whatif_cost"]["EUR"],
            "0.83565934065934065934066");
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["change"]["EUR"], "-13.091996336996336996336996");
  // A currency without a rate is an error naming the day and what gives one.
  r = run("query --db " + db + " --currency EUR");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "error: no rate from USD to EUR on or before 2026-11-05 (it has no USD rate): --rates "
            "FILE or --rate USD/EUR=RATE gives one\n");
  r = run("query --db " + db + " --currency GBP --rates " + old);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: no rate from USD to GBP on or before 2026-11-05 in " + old +
                       " (it has USD rates with EUR only)\n");
  // Rates that end before the spend: converted at the last, and said.
  r = run("query --db " + db + " --currency EUR --rates " + old + " --filter provider=openai");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(" 13.140000 EUR\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err,
            "note: spend in USD up to 2026-11-08 converted into EUR at the rate of "
            "2026-10-01, 38 days older: the rates of " +
                old + " end before the spend does\n");
  // Refusals: rates without a currency to show, --logged (USD by nature), a FOCUS dataset.
  for (const auto& [args, message] :
       {std::pair{"query --rates " + ecb, "--rates requires --currency"},
        std::pair{std::string("query --currency EUR --rate USD=-1"), "a rate must be positive"},
        std::pair{std::string("query --currency EUR --logged"), "--logged excludes --currency"}}) {
    r = run(args + " --db " + db);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
  }
  std::filesystem::remove_all(dir);
}

// copy: the records as stored into another database (created), then nothing more when run
// again; with --filter, the budgets within it; a budget defined otherwise there is kept and said;
// the database itself is refused.
TEST(CliTest, CopiesStoredRecordsIntoAnotherDatabase) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_copy_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string from = (dir / "from.db").string(), into = (dir / "into.db").string();
  ASSERT_EQ(run("ingest --db " + from + " " + testing::source_path("data/samples/usage.jsonl")).rc,
            0);
  ASSERT_EQ(run("budget add team --db " + from + " --amount 40").rc, 0);
  CliRun r = run("copy --db " + from + " --into " + into + " --period 2026-09 --output json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["records"]["selected"], 1522);
  EXPECT_EQ(j["records"]["copied"], 1522);
  EXPECT_EQ(j["budgets"]["copied"], 1);
  r = run("copy --db " + from + " --into " + into);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "copied 2002 of 3524 records into " + into +
                       " (0 unpriced); 1522 there already\nbudgets: 0 copied, 1 there already; "
                       "custom prices: 0 copied, 0 there already\n");
  const std::string by = " --group-by provider,model,day,project --format csv";
  EXPECT_EQ(run("query --db " + into + by).out, run("query --db " + from + by).out);
  ASSERT_EQ(run("budget add team --db " + from + " --amount 45").rc, 0);
  ASSERT_EQ(run("budget add ds --db " + from + " --amount 5 --filter provider=deepseek").rc, 0);
  r = run("copy --db " + from + " --into " + into + " --filter provider=deepseek");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\nbudgets: 1 copied, 0 there already;"), std::string::npos) << r.out;
  EXPECT_EQ(r.err,  // the budget of all spend is outside the selection
            "note: not copied, their scope not within --filter's selection: budget team\n");
  r = run("copy --db " + from + " --into " + into);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "note: budget team is defined otherwise in " + into +
                       ": kept as it is there, not copied\n");
  r = run("copy --db " + from + " --into " + (dir / "." / "from.db").string());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--into names the database copied from"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

// records: the stored records one a line, the dearest first (unpriced last), the latest first,
// the first ones; every field in CSV and JSON Lines; how many the selection holds.
TEST(CliTest, ListsStoredRecordsDearestOrLatestFirst) {
  const std::string db = fresh_db("records");
  ASSERT_EQ(
      run("ingest --db " + db + " -",
          R"({"id":"r1","timestamp":"2026-11-02T09:00:00Z","provider":"openai","model":"gpt-4o","project_id":"search","user":"ana","tags":{"team":"core"},"usage":{"input_tokens":1000000,"cache_read_tokens":200000,"output_tokens":10},"spend":2.3}
{"id":"r2","timestamp":"2026-11-02T10:00:00Z","provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":1000,"output_tokens":10}}
{"id":"r3","timestamp":"2026-11-02T11:00:00Z","provider":"acme","model":"secret","usage":{"input_tokens":5}}
{"id":"r4","timestamp":"2026-11-03T08:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":400000,"output_tokens":1000}}
)")
          .rc,
      0);
  CliRun r = run("records --db " + db + " --sort cost --limit 3 --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "timestamp,provider,model,organization,project,user,tier,id,source,requests,"
      "input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,"
      "cost,currency,logged_cost,tags,dated,input_cost,output_cost\n"
      "2026-11-02T09:00:00Z,openai,gpt-4o,,search,ana,standard,r1,stdin:1,1,1000000,10,200000,"
      "0,0,2.2501,USD,2.3,team=core,,2.25,0.0001\n"
      "2026-11-03T08:00:00Z,openai,gpt-4o,,,,standard,r4,stdin:4,1,400000,1000,0,0,0,1.01,USD,,,,"
      "1,0.01\n"
      "2026-11-02T10:00:00Z,openai,gpt-4o-mini,,,,standard,r2,stdin:2,1,1000,10,0,0,0,0.000156,"
      "USD,,,,0.00015,0.000006\n");
  // The unpriced one last by cost; first among the latest of its day.
  r = run("records --db " + db + " --sort cost --format jsonl --limit 0");
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(occurrences(r.out, "\n"), 4u);
  const auto last = nlohmann::json::parse(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1));
  EXPECT_EQ(last["id"], "r3");
  EXPECT_EQ(last["cost"], nullptr);
  EXPECT_EQ(last["input_cost"], nullptr);
  EXPECT_EQ(last["unpriced_reason"], "unknown provider \"acme\" in catalog built-in");
  // Every count stored, under usage: the first one's cache reads among them.
  const auto first = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(first["usage"].dump(),
            R"({"cache_read_tokens":200000,"input_tokens":1000000,"output_tokens":10})");
  r = run("records --db " + db + " --sort latest --limit 2 --period 2026-11-02 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["selected"], 3);
  ASSERT_EQ(j["records"].size(), 2u);
  EXPECT_EQ(j["records"][0]["id"], "r3");
  EXPECT_EQ(j["records"][1]["id"], "r2");
  // A table says how many it shows of how many.
  r = run("records --db " + db + " --limit 1 --tz Europe/Paris");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("time (Europe/Paris)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2026-11-02 10:00:00"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(1 of 4 records, the oldest; --limit 0 shows them all)"), std::string::npos)
      << r.out;
  r = run("records --db " + db + " --filter user=bob");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no stored record has user=bob"), std::string::npos) << r.err;
  // A record whose input gave it no time: the time it was dated at, marked so.
  ASSERT_EQ(run("ingest --db " + db + " --as-of 2026-11-05T12:00:00Z -",
                R"({"id":"u1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":10}})"
                "\n")
                .rc,
            0);
  r = run("records --db " + db + " --period 2026-11-05 --format jsonl");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto untimed = nlohmann::json::parse(r.out);
  EXPECT_EQ(untimed["timestamp"], nullptr);
  EXPECT_EQ(untimed["dated"], "2026-11-05T12:00:00Z");
  r = run("records --db " + db + " --period 2026-11-05");
  EXPECT_NE(r.out.find("2026-11-05 12:00:00*  openai"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* no time of its own in its input: dated at its ingest"), std::string::npos)
      << r.out;
  std::filesystem::remove(db);
}

// report --logged: the period's logged costs against the exact prices by model, in every format;
// a note when none logged one; refused beside --currency and in a FOCUS dataset.
TEST(CliTest, ReportComparesTheCostsTheRecordsLogged) {
  const std::string db = fresh_db("report_logged");
  ASSERT_EQ(
      run("ingest --db " + db + " -",
          R"({"id":"l1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100},"cost_usd":0.0035}
{"id":"l2","timestamp":"2026-09-01T11:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100},"spend":"0.003"}
{"id":"l3","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":1000,"output_tokens":100},"spend":0.00021}
{"id":"l4","timestamp":"2026-09-02T10:00:00Z","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input_tokens":1000,"output_tokens":100}}
)")
          .rc,
      0);
  const std::string report = "report --db " + db + " --period 2026-09 --no-anomalies --logged";
  CliRun r = run(report + " --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("logged,openai/gpt-4o,USD,0.0065,2,,,,,,\n"
                       "logged_exact,openai/gpt-4o,USD,0.007,2,,,,,,\n"
                       "logged_off,openai/gpt-4o,USD,,1,,,,,,\n"
                       "logged,openai/gpt-4o-mini,USD,0.00021,1,,,,,,\n"
                       "logged_exact,openai/gpt-4o-mini,USD,0.00021,1,,,,,,\n"
                       "logged_off,openai/gpt-4o-mini,USD,,0,,,,,,\n"
                       "logged,,USD,0.00671,3,,,,,,\n"
                       "logged_exact,,USD,0.00721,3,,,,,,\n"
                       "logged_off,,USD,,1,,,,,,\n"),
            std::string::npos)
      << r.out;
  r = run(report + " --format markdown");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("| openai/gpt-4o | 2 | 0.006500 | 0.007000 | -0.000500 | -7.14 | 1 |\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| Total | 3 | 0.006710 | 0.007210 | -0.000500 | -6.93 | 1 |\n"),
            std::string::npos)
      << r.out;
  r = run(report + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out)["logged"];
  EXPECT_EQ(j["total"]["logged_cost"], "0.00671");
  EXPECT_EQ(j["models"][0]["model"], "gpt-4o");
  EXPECT_EQ(j["models"].size(), 2u);
  r = run(report + " --format html");
  EXPECT_NE(r.out.find("<h2>Costs the records logged (USD)</h2>"), std::string::npos);
  r = run(report + " --format jsonl");
  EXPECT_EQ(occurrences(r.out, "\"section\":\"logged\""), 2u) << r.out;
  EXPECT_EQ(occurrences(r.out, "\"section\":\"logged_total\""), 1u) << r.out;
  // None logged in the period: a note, and no section.
  r = run("report --db " + db +
          " --period 2026-09 --no-anomalies --logged --format markdown "
          "--filter provider=anthropic");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("Costs the records logged"), std::string::npos);
  EXPECT_NE(r.err.find("note: none of the selected records logged a cost"), std::string::npos)
      << r.err;
  EXPECT_EQ(run(report + " --currency EUR --rate USD=0.9").rc, 2);
  EXPECT_EQ(run(report + " --format focus").rc, 2);
  std::filesystem::remove(db);
}

// Contract discounts from the command line: stored, applied as records are priced (ingest and
// reprice), kept with each record's list cost (records, FOCUS's ListCost), copied with the
// database, and refused with the reason when they are wrong or ambiguous.
TEST(CliTest, ContractDiscountsPriceCallsNetOfThemAndKeepTheirListCost) {
  const std::string db = fresh_db("discounts");
  CliRun r =
      run("pricing discount add azure-ea --provider Azure --percent 12 --from 2026-01-01 "
          "--db " +
          db);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "discount azure-ea: 12% off azure all models from 2026-01-01");
  ASSERT_EQ(run("pricing discount add opus --provider anthropic --model 'claude-opus-4-1' "
                "--percent 20% --db " +
                db)
                .rc,
            0);
  // Refusals: a second discount of the same reach on a shared day, an unknown model, a bad day.
  r =
      run("pricing discount add more --provider anthropic --model 'claude-opus-*' --percent 5 "
          "--db " +
          db);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("discounts \"opus\" and \"more\" both cover anthropic claude-opus-4-1"),
            std::string::npos)
      << r.err;
  r = run("pricing discount add more --provider anthropic --model claude-opux --percent 5 --db " +
          db);
  EXPECT_NE(r.err.find("unknown model \"claude-opux\""), std::string::npos) << r.err;
  r = run("pricing discount add more --provider anthropic --percent 5 --to 2026-02-30 --db " + db);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--to takes a day, YYYY-MM-DD"), std::string::npos) << r.err;
  r = run("pricing discount list --format json --db " + db);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u);

  // gpt-4o through Azure: 2.25 in (1.25 of it cached at half), 1 out: 3.25 at list, 2.86 net on
  // and after 2026-01-01, 3.25 before. Opus 4.1: 0.015 + 0.075 at list, 0.072 net.
  const std::string usage =
      R"({"id":"d1","timestamp":"2026-02-03T10:00:00Z","provider":"azure","model":"gpt-4o","usage":{"input_tokens":1000000,"cache_read_tokens":200000,"output_tokens":100000}}
{"id":"d2","timestamp":"2025-12-31T10:00:00Z","provider":"azure","model":"gpt-4o","usage":{"input_tokens":1000000,"cache_read_tokens":200000,"output_tokens":100000}}
{"id":"d3","timestamp":"2026-02-03T10:00:00Z","provider":"anthropic","model":"claude-opus-4-1","usage":{"input_tokens":1000,"output_tokens":1000}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  r = run("pricing get --provider azure --model gpt-4o --at 2026-02-03 --db " + db);
  EXPECT_NE(r.out.find("\nless discount azure-ea: 12% off azure all models from 2026-01-01\n"),
            std::string::npos)
      << r.out;
  r = run("pricing get --provider azure --model gpt-4o --at 2025-12-31 --db " + db);
  EXPECT_EQ(r.out.find("discount"), std::string::npos) << r.out;
  r = run("query --db " + db + " --group-by provider,day --format csv --cost-split");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"anthropic\",\"2026-02-03\",USD,0.072,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"azure\",\"2025-12-31\",USD,3.25,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"azure\",\"2026-02-03\",USD,2.86,"), std::string::npos) << r.out;
  // What the discounts took off: 3.25 - 2.86 for Azure, 0.09 - 0.072 for Opus.
  r = run("query --db " + db + " --group-by provider --cost-split --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto rows = nlohmann::json::parse(r.out)["rows"];
  EXPECT_EQ(rows[0]["discount"]["USD"], "0.018");
  EXPECT_EQ(rows[1]["discount"]["USD"], "0.39");
  r = run("query --db " + db +
          " --group-by provider --cost-split --format json --currency EUR --rate USD/EUR=0.5");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][1]["discount"]["EUR"], "0.195");
  r = run("query --db " + db + " --group-by provider --cost-split");
  EXPECT_NE(r.out.find("discount cost\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.390000 USD 6.110000 USD\n"), std::string::npos) << r.out;
  r = run("report --db " + db + " --period all --cost-split --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cost_split"]["total"]["discount"]["USD"], "0.408");
  r = run("report --db " + db + " --period all --cost-split --format markdown");
  EXPECT_NE(r.out.find("Contract discounts took 0.4080 USD off them: 6.5900 USD at list prices."),
            std::string::npos)
      << r.out;
  r = run("records --db " + db + " --format jsonl --filter provider=azure --sort cost");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::vector<std::string> lines;
  for (std::istringstream in(r.out); std::getline(in, lines.emplace_back());) {
  }
  lines.pop_back();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_FALSE(nlohmann::json::parse(lines[0]).contains("discount"));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["discount"],
            nlohmann::json({{"name", "azure-ea"}, {"percent", "12"}, {"list_cost", "3.25"}}));
  // FOCUS: ListCost at list prices, the billed costs net.
  r = run("report --db " + db + " --period all --format focus");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\n1.98,"), std::string::npos) << r.out;  // 2.25 * 0.88
  std::istringstream focus(r.out);
  std::string line;
  std::getline(focus, line);
  const auto header = *util::split_csv_line(line, ',');
  const size_t billed = 0,
               list = std::find(header.begin(), header.end(), "ListCost") - header.begin();
  size_t discounted_rows = 0;
  while (std::getline(focus, line)) {
    const auto f = *util::split_csv_line(line, ',');
    if (f[billed] != f[list]) {
      ++discounted_rows;
      EXPECT_TRUE((f[billed] == "1.98" && f[list] == "2.25") ||
                  (f[billed] == "0.88" && f[list] == "1") ||
                  (f[billed] == "0.012" && f[list] == "0.015") ||
                  (f[billed] == "0.06" && f[list] == "0.075"))
          << line;
    }
  }
  EXPECT_EQ(discounted_rows, 4u);

  // Copied with the database; removed, and the stored records priced again at list.
  const std::string other = fresh_db("discounts-copy");
  r = run("copy --db " + db + " --into " + other + " --output json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["discounts"]["copied"], 2);
  r = run("pricing discount list --db " + other);
  EXPECT_EQ(r.out,
            "azure-ea  12% off azure all models from 2026-01-01\n"
            "opus      20% off anthropic claude-opus-4-1, always\n");
  ASSERT_EQ(run("pricing discount remove azure-ea --db " + db).rc, 0);
  EXPECT_EQ(run("pricing discount remove azure-ea --db " + db).rc, 1);
  r = run("reprice --all --db " + db + " --output json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["repriced"], 1);
  r = run("query --db " + db + " --filter provider=azure --format csv");
  EXPECT_NE(r.out.find("\nUSD,6.5,2,"), std::string::npos) << r.out;
  EXPECT_EQ(run("__complete discounts -- '' pricing discount remove --db=" + other).out,
            "azure-ea\nopus\n");
  // A discount renamed at the same percentage: its records take the new name (their costs are
  // the same), and a second reprice finds nothing to change.
  ASSERT_EQ(run("pricing discount remove opus --db " + other).rc, 0);
  ASSERT_EQ(run("pricing discount add opus-deal --provider anthropic --model claude-opus-4-1 "
                "--percent 20 --db " +
                other)
                .rc,
            0);
  r = run("reprice --all --db " + other + " --output json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["repriced"], 1) << r.out;
  r = run("records --db " + other + " --format jsonl --filter provider=anthropic");
  EXPECT_EQ(nlohmann::json::parse(r.out)["discount"]["name"], "opus-deal") << r.out;
  r = run("reprice --all --db " + other + " --output json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["repriced"], 0) << r.out;
}

// Contract discounts in a cost-ops catalog file: --prices applies them over the catalog (whatif's
// "what would this deal save"), a file's in place of a stored one of its name; pricing import
// stores them; catalog shows and writes them back.
TEST(CliTest, CatalogFilesCarryContractDiscounts) {
  const std::string db = fresh_db("file-discounts");
  const std::string deal = db + ".deal.json", other = db + ".other.json", bad = db + ".bad.json";
  std::ofstream(deal) << R"({"format": "cost-ops-catalog", "discounts": [
      {"name": "anthropic-ea", "provider": "anthropic", "percent": "15%", "from": "2026-02-01"},
      {"name": "mini-deal", "provider": "openai", "models": ["gpt-4o-mini"], "percent": 30}]})";
  std::ofstream(other) << R"({"format": "cost-ops-catalog", "discounts": [
      {"name": "ant-5", "provider": "anthropic", "percent": 5}]})";
  std::ofstream(bad) << R"({"format": "cost-ops-catalog", "discounts": [
      {"name": "x", "provider": "anthropic", "percent": 5, "model": "claude-opus-4-1"}]})";
  // Opus 4.1: 0.015 + 0.075 = 0.09 at list; gpt-4o-mini 0.15 + 0.6 = 0.75.
  const std::string usage =
      R"({"id":"f1","timestamp":"2026-02-03T10:00:00Z","provider":"anthropic","model":"claude-opus-4-1","usage":{"input_tokens":1000,"output_tokens":1000}}
{"id":"f2","timestamp":"2026-01-31T10:00:00Z","provider":"anthropic","model":"claude-opus-4-1","usage":{"input_tokens":1000,"output_tokens":1000}}
{"id":"f3","timestamp":"2026-02-03T10:00:00Z","provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":1000000,"output_tokens":1000000}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  // What the deal would have saved: 15% of one Opus call, 30% of the mini's.
  CliRun r = run("whatif --db " + db + " --prices " + deal + " --group-by provider --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"][0]["whatif_cost"]["USD"], "0.1665") << r.out;  // 0.09 * 0.85 + 0.09
  EXPECT_EQ(j["rows"][1]["whatif_cost"]["USD"], "0.525") << r.out;
  // price applies them, line by line, in JSON Lines and in the formats ingest reads alike.
  for (const char* format : {"jsonl", "otel"}) {
    if (std::string(format) == "otel") {
      r = run(
          "price --prices " + deal + " --format otel -",
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"chat","startTimeUnixNano":"1770112800000000000","attributes":[
                {"key":"gen_ai.system","value":{"stringValue":"anthropic"}},
                {"key":"gen_ai.request.model","value":{"stringValue":"claude-opus-4-1"}},
                {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},
                {"key":"gen_ai.usage.output_tokens","value":{"intValue":"1000"}}]}]}]}]})");
    } else {
      r = run("price --prices " + deal + " -", usage);
    }
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(
        r.out.find(
            R"("total_price":"0.0765","discount":{"name":"anthropic-ea","percent":"15","list_price":"0.09"})"),
        std::string::npos)
        << format << ": " << r.out;
  }
  // A gateway's logged cost is at list prices: compared with the list price, it is not off.
  const std::string logged =
      R"({"id":"g1","timestamp":"2026-02-03T10:00:00Z","provider":"anthropic","model":"claude-opus-4-1","usage":{"input_tokens":1000,"output_tokens":1000},"response_cost":0.09}
{"id":"g2","timestamp":"2026-02-03T10:00:00Z","provider":"anthropic","model":"claude-opus-4-1","usage":{"input_tokens":1000,"output_tokens":1000},"response_cost":0.0765}
)";
  r = run("price --prices " + deal + " -", logged);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(occurrences(r.out, "\"logged_off\":true"), 1u) << r.out;  // the second: net, not list
  r = run("price --summary --output json --prices " + deal + " -", logged);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["logged"]["records_off"], 1) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["logged"]["exact_cost"], "0.18") << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"]["discount"], "0.027") << r.out;
  r = run("price --summary --prices " + deal + " -", logged);
  EXPECT_NE(
      r.out.find("\ncontract discounts took 0.027000 USD off the list cost of 0.180000 USD\n"),
      std::string::npos)
      << r.out;
  const std::string logged_db = fresh_db("file-discounts-logged");
  r = run("ingest --db " + logged_db + " --prices " + deal + " -", logged);
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("query --db " + logged_db + " --logged --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["rows"][0];
  EXPECT_EQ(j["cost"]["USD"], "0.153") << r.out;  // net
  EXPECT_EQ(j["logged"]["exact_cost"], "0.18") << r.out;
  EXPECT_EQ(j["logged"]["records_off"], 1) << r.out;
  r = run("catalog --prices " + deal + " anthropic claude-opus-4-1");
  EXPECT_NE(r.out.find("\nless discount anthropic-ea: 15% off anthropic all models from "
                       "2026-02-01\n"),
            std::string::npos)
      << r.out;
  // Written back with the catalog, and read back as a whole catalog.
  const std::string written = db + ".written.json";
  r = run("catalog --prices " + deal + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::ofstream(written) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["discounts"].size(), 2u);
  r = run("catalog --catalog " + written);
  EXPECT_NE(r.out.find("\nless discount mini-deal: 30% off openai gpt-4o-mini, always\n"),
            std::string::npos)
      << r.out;

  // Imported: stored as pricing discount add stores them, and listed as the file gives them.
  r = run("pricing import --db " + db + " " + deal);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "imported 0 model prices and 2 discounts from " + deal);
  r = run("pricing discount list --format json --db " + db);
  EXPECT_EQ(nlohmann::json::parse(r.out)[0],
            nlohmann::json::parse(R"({"name": "anthropic-ea", "provider": "anthropic",
                                      "models": [], "percent": "15", "from": "2026-02-01",
                                      "to": null})"));
  // A file's discount of a stored one's name replaces it; of another name it may not share a day
  // with a stored one of the same reach.
  r = run("whatif --db " + db + " --prices " + other + " --format json");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(": discounts \"ant-5\" and \"anthropic-ea\" both cover all models of "
                       "anthropic on a day they share: give them days apart (a discount of a "
                       "--catalog or --prices file replaces the stored one of its name)"),
            std::string::npos)
      << r.err;
  r = run("pricing import --db " + db + " " + other);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "");  // nothing imported
  EXPECT_EQ(run("pricing discount list --db " + db).out,
            "anthropic-ea  15% off anthropic all models from 2026-02-01\n"
            "mini-deal     30% off openai gpt-4o-mini, always\n");  // nothing stored
  // A field of no discount is refused with the file and the field, before anything is read.
  r = run("whatif --db " + db + " --prices " + bad);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(bad + ": discounts[0].model: a discount has name, provider, models, "
                             "percent, from and to"),
            std::string::npos)
      << r.err;
}

// A transcription billed by the duration of its audio (OpenAI's whisper-1: {"type": "duration",
// "seconds": N}) is input audio seconds, priced by a model's input_audio_hours: a custom price, or
// LiteLLM's per-second price. Stored unpriced where the catalog has no such model, and priced again
// once it has.
TEST(CliTest, TranscriptionsBilledByDurationArePricedByTheHourOfAudio) {
  const std::string db = fresh_db("duration");
  const std::string session =
      R"({"type":"session.created","session":{"id":"sess_W","model":"gpt-realtime","audio":{"input":{"transcription":{"model":"whisper-1"}}}}}
{"type":"conversation.item.input_audio_transcription.completed","timestamp":"2026-10-01T10:00:00Z","item_id":"item_W1","content_index":0,"transcript":"Hi.","usage":{"type":"duration","seconds":89.6}}
)";
  CliRun r = run("ingest --db " + db + " --format realtime --provider openai -", session);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("stored 1 (1 unpriced)"), std::string::npos) << r.out;
  ASSERT_EQ(run("pricing add --db " + db +
                " --provider openai --model whisper-1 --price input_audio_hours=0.36")
                .rc,
            0);
  r = run("reprice --db " + db + " --output json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["repriced"], 1) << r.out;
  // 89.6 s to the nearest second, 90: a fortieth of an hour at 0.36.
  r = run("records --db " + db + " --format jsonl");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["provider"], "openai");
  EXPECT_EQ(j["usage"]["input_audio_seconds"], 90);
  EXPECT_EQ(j["cost"], "0.009");
  // The same from a response body's usage, and with LiteLLM's catalog; errors name the field.
  r = run("price -",
          R"({"provider":"openai","model":"whisper-1","usage":{"type":"duration","seconds":-1}}
{"provider":"openai","model":"whisper-1","usage":{"type":"duration"}}
)");
  EXPECT_NE(
      r.out.find(
          R"("message":"field \"usage.seconds\": expected the audio's duration in seconds, got -1")"),
      std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(
          R"(field \"usage.seconds\": a usage billed by duration ({\"type\":\"duration\"}) needs its seconds)"),
      std::string::npos)
      << r.out;
  if (std::filesystem::exists(
          testing::shared_path("data/pricing/litellm/model_prices_and_context_window.json"))) {
    r = run(
        "price --catalog " +
            testing::shared_path("data/pricing/litellm/model_prices_and_context_window.json") +
            " -",
        R"({"provider":"openai","model":"whisper-1","usage":{"type":"duration","seconds":90}})");
    EXPECT_NE(
        r.out.find(
            R"("usage":{"input_audio_seconds":90},"input_price":"0.009","output_price":"0","total_price":"0.009")"),
        std::string::npos)
        << r.out;
  }
}

TEST(CliTest, CostSplitIntoInputOutputAndOther) {
  const std::string db = fresh_db("split");
  // gpt-4o: 2.5 per million in, 1.25 cached, 10 out. Perplexity's sonar: 1 in, 1 out, and 12
  // per thousand requests, a cost of neither direction. One record unpriced.
  const std::string usage =
      R"({"id":"s1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"cache_read_tokens":400,"output_tokens":300}}
{"id":"s2","timestamp":"2026-09-02T10:00:00Z","provider":"perplexity","model":"sonar","usage":{"input_tokens":1000,"output_tokens":500}}
{"id":"s3","timestamp":"2026-09-02T11:00:00Z","provider":"perplexity","model":"sonar","usage":{"input_tokens":2000,"output_tokens":0}}
{"id":"s4","timestamp":"2026-09-02T12:00:00Z","provider":"openai","model":"no-such-model","usage":{"input_tokens":5}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  // gpt-4o: 600 * 2.5 + 400 * 1.25 = 0.002 in, 0.003 out. sonar: 0.003 in, 0.0005 out, 0.024
  // for two requests.
  CliRun r = run("query --db " + db + " --group-by provider --cost-split --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "provider,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
            "cache_read_tokens,cache_write_tokens,reasoning_tokens,input_cost,output_cost,"
            "other_cost,discount\n"
            "\"openai\",USD,0.005,2,1,1005,300,2,400,0,0,0.002,0.003,0,0\n"
            "\"perplexity\",USD,0.0275,2,0,3000,500,2,0,0,0,0.003,0.0005,0.024,0\n");
  r = run("query --db " + db + " --cost-split --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out)["rows"][0];
  EXPECT_EQ(j["cost"]["USD"], "0.0325");
  EXPECT_EQ(j["input_cost"]["USD"], "0.005");
  EXPECT_EQ(j["output_cost"]["USD"], "0.0035");
  EXPECT_EQ(j["other_cost"]["USD"], "0.024");
  // A table shows other_cost only when a row has any; the parts each as wide as their text.
  r = run("query --db " + db + " --group-by model --cost-split --filter provider=openai");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("   input_cost  output_cost cost\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 0.002000 USD 0.003000 USD 0.005000 USD\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("other_cost"), std::string::npos) << r.out;
  r = run("query --db " + db + " --cost-split --format markdown");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(" input_cost | output_cost | other_cost | cost |\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" 0.005000 USD | 0.003500 USD | 0.024000 USD | 0.032500 USD |\n"),
            std::string::npos)
      << r.out;
  r = run("query --db " + db + " --cost-split --format prometheus");
  EXPECT_NE(r.out.find("costops_other_cost{currency=\"USD\"} 0.024\n"), std::string::npos) << r.out;
  // Converted as the cost is (here at 0.8 EUR a dollar); the 2nd has all of the other cost.
  r = run("query --db " + db +
          " --cost-split --currency EUR --rate USD/EUR=0.8 --format json --group-by day");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["rows"];
  EXPECT_EQ(j[1]["cost"]["EUR"], "0.022");
  EXPECT_EQ(j[1]["input_cost"]["EUR"], "0.0024");
  EXPECT_EQ(j[1]["output_cost"]["EUR"], "0.0004");
  EXPECT_EQ(j[1]["other_cost"]["EUR"], "0.0192");
  // With --logged, both from one reading of the records.
  r = run("query --db " + db + " --cost-split --logged --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][0]["other_cost"]["USD"], "0.024");
  // report --cost-split: a table by model, the dearest first, with the output's share; the
  // unpriced model left out.
  const std::string report = "report --db " + db + " --period 2026-09 --no-anomalies --cost-split";
  r = run(report + " --format markdown");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(
      r.out.find("| Model | Records | Input | Output | Other | Cost | Output % |\n"
                 "|---|---:|---:|---:|---:|---:|---:|\n"
                 "| perplexity/sonar | 2 | 0.0030 USD | 0.0005 USD | 0.0240 USD | 0.0275 USD "
                 "| 1.8 |\n"
                 "| openai/gpt-4o | 1 | 0.0020 USD | 0.0030 USD | 0.0000 USD | 0.0050 USD | "
                 "60.0 |\n"
                 "| Total | 3 | 0.0050 USD | 0.0035 USD | 0.0240 USD | 0.0325 USD | 10.8 |\n"),
      std::string::npos)
      << r.out;
  r = run(report + " --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("other_cost,perplexity/sonar,USD,0.024,2,,,,,,\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("output_cost,,USD,0.0035,3,,,,,,\n"), std::string::npos) << r.out;
  r = run(report + " --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out)["cost_split"];
  EXPECT_EQ(j["models"][1]["model"], "gpt-4o");
  EXPECT_EQ(j["models"][1]["input_cost"]["USD"], "0.002");
  EXPECT_EQ(j["total"]["other_cost"]["USD"], "0.024");
  r = run(report + " --format html");
  EXPECT_NE(r.out.find("<h2>Input and output cost</h2>"), std::string::npos);
  r = run(report + " --currency EUR --rate USD/EUR=0.8 --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cost_split"]["total"]["other_cost"]["EUR"], "0.0192");
  EXPECT_EQ(run(report + " --format focus").rc, 2);
  std::filesystem::remove(db);
}

TEST(CliTest, AllocateSharedCost) {
  const std::string db = fresh_db("allocate");
  // gpt-4o input at 2.5 per million: search 2.5 and ads 7.5 in September with 1 shared; 1
  // shared in October, where no team spent; ads 1 in November.
  const std::string usage =
      R"({"id":"a1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","tags":{"team":"search"},"usage":{"input_tokens":1000000}}
{"id":"a2","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o","tags":{"team":"ads"},"usage":{"input_tokens":3000000}}
{"id":"a3","timestamp":"2026-09-03T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":400000}}
{"id":"a4","timestamp":"2026-10-03T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":400000}}
{"id":"a5","timestamp":"2026-11-03T10:00:00Z","provider":"openai","model":"gpt-4o","tags":{"team":"ads"},"usage":{"input_tokens":400000}}
)";
  ASSERT_EQ(run("ingest --db " + db + " -", usage).rc, 0);
  CliRun r =
      run("query --db " + db + " --group-by tag:team,month --allocate tag:team --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "tag:team,month,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
            "cache_read_tokens,cache_write_tokens,reasoning_tokens,shared_cost,allocated_cost\n"
            "\"\",\"2026-09\",USD,1,1,0,400000,0,1,0,0,0,-1,0\n"
            "\"\",\"2026-10\",USD,1,1,0,400000,0,1,0,0,0,0,1\n"
            "\"ads\",\"2026-09\",USD,7.5,1,0,3000000,0,1,0,0,0,0.75,8.25\n"
            "\"ads\",\"2026-11\",USD,1,1,0,400000,0,1,0,0,0,0,1\n"
            "\"search\",\"2026-09\",USD,2.5,1,0,1000000,0,1,0,0,0,0.25,2.75\n");
  EXPECT_EQ(r.err,
            "note: spread 1.000000 USD of records without tag:team over 2 rows in proportion to "
            "their cost\nnote: 1.000000 USD of records without tag:team stays unallocated (1 row: "
            "no row with a value shares its other keys)\n");
  // Over the whole period, by cost: 2 * 8.5/11 to ads, the rest to search, exactly; --sort cost
  // orders by the allocated cost.
  r = run("query --db " + db +
          " --group-by tag:team --allocate tag:team --sort cost --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"][0]["tag:team"], "ads");
  EXPECT_EQ(j["rows"][0]["shared_cost"]["USD"], "1.545454545454545454545454");
  EXPECT_EQ(j["rows"][0]["allocated_cost"]["USD"], "10.045454545454545454545454");
  EXPECT_EQ(j["rows"][1]["shared_cost"]["USD"], "0.454545454545454545454546");
  EXPECT_EQ(j["rows"][2]["tag:team"], "");
  EXPECT_EQ(j["rows"][2]["allocated_cost"]["USD"], "0");
  // Evenly, in a table.
  r = run("query --db " + db + " --group-by tag:team --allocate tag:team --allocate-by even");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("         cost        shared allocated\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 8.500000 USD  1.000000 USD 9.500000 USD\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("over 2 rows evenly"), std::string::npos) << r.err;
  r = run("query --db " + db + " --group-by tag:team --allocate tag:team --format prometheus");
  EXPECT_NE(r.out.find("costops_allocated_cost{tag_team=\"search\",currency=\"USD\"} "
                       "2.954545454545454545454546\n"),
            std::string::npos)
      << r.out;
  r = run("query --db " + db + " --allocate-by even");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--allocate-by requires --allocate"), std::string::npos) << r.err;
  // The key must be one of --group-by's, not a time bucket.
  for (const char* args :
       {" --group-by month --allocate month", " --group-by model --allocate tag:team"}) {
    r = run("query --db " + db + args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_NE(r.err.find("name a key of --group-by other than a time bucket"), std::string::npos)
        << r.err;
  }
  // The report spreads its --by table of the key (added to --by when not there), and says so.
  r = run("report --db " + db + " --period all --no-anomalies --allocate tag:team --format csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\nby:tag:team,ads,USD,8.5,2,0,3400000,0,2,4.25,2.5\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nshared:tag:team,ads,USD,1.545454545454545454545454,,,,,,,\n"
                       "allocated:tag:team,ads,USD,10.045454545454545454545454,,,,,,,\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("note: spread 2.000000 USD of records without tag:team over 2 rows in "
                       "proportion to their cost\n"),
            std::string::npos)
      << r.err;
  r = run("report --db " + db + " --period all --by user,tag:team --allocate tag:team " +
          "--allocate-by even --format json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto rep = nlohmann::json::parse(r.out);
  EXPECT_EQ(rep["breakdowns"].size(), 2u);
  EXPECT_FALSE(rep["breakdowns"][0].contains("allocation"));
  EXPECT_EQ(rep["breakdowns"][1]["allocation"]["spread_by"], "even");
  EXPECT_EQ(rep["breakdowns"][1]["rows"][0]["allocated_cost"]["USD"], "9.5");
  for (const char* args :
       {" --allocate project", " --allocate-by even", " --allocate tag:team --format focus"}) {
    r = run("report --db " + db + args);
    EXPECT_EQ(r.rc, 2) << args << r.err;
  }
  std::filesystem::remove(db);
}

// The candidates a shell's completion offers for `line` (the cursor at its end; a line that ends
// in a space completes a new word), with the script `cost-ops completion SHELL` wrote to
// `script`, one per line. bash and zsh call _cost_ops as they would (COMP_LINE, COMP_POINT and
// COMP_WORDS; zsh through bashcompinit's sh emulation, whose compgen leaves the prefix to zsh's
// matching: every candidate is listed).
std::string completions(const std::string& shell, const std::string& script,
                        const std::string& line) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_comp_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto harness = dir / "harness", out = dir / "out";
  if (shell == "fish") {
    std::ofstream(harness)
        << "source $argv[1]; complete -C \"$LINE\" | string replace -r '\\t.*' ''; exit 0\n";
  } else {
    std::ofstream(harness)
        << (shell == "zsh" ? "source \"$1\"\ncomplete_it() {\n  emulate -L sh\n  setopt kshglob "
                             "noshglob braceexpand\n"
                           : "source \"$1\"\ncomplete_it() {\n")
        << "  COMP_LINE=\"$LINE\"\n  COMP_POINT=${#LINE}\n"
           "  COMP_WORDS=($LINE)\n  [[ $LINE == *\" \" ]] && COMP_WORDS+=(\"\")\n"
           "  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n  _cost_ops\n"
           "  for w in \"${COMPREPLY[@]}\"; do echo \"$w\"; done\n}\ncomplete_it\n";
  }
  const std::string cmd = "LINE='" + line + "' " + shell + (shell == "zsh" ? " -f " : " ") +
                          harness.string() + " " + script + " >" + out.string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string got = testing::read_file(out.string());
  std::filesystem::remove_all(dir);
  return got;
}

TEST(CliTest, CompletionScripts) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("costops_scripts_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CliRun r = run("completion nosh");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("nosh not in {bash,zsh,fish}"), std::string::npos) << r.err;
  for (const std::string shell : {"bash", "zsh", "fish"}) {
    r = run("completion " + shell);
    ASSERT_EQ(r.rc, 0) << r.err;
    const std::string script = (dir / shell).string();
    std::ofstream(script) << r.out;
    if (std::system(("command -v " + shell + " >/dev/null").c_str()) != 0) {
      std::printf("note: no %s on this machine: its script is not run\n", shell.c_str());
      continue;
    }
    const bool filtered = shell != "zsh";  // zsh matches the prefix itself
    // Commands, and a command's commands.
    EXPECT_EQ(completions(shell, script, "cost-ops budget "), "add\nlist\nremove\nstatus\n")
        << shell;
    // An option's checked choices, after options of the tool and the command and their values.
    EXPECT_EQ(completions(shell, script, "cost-ops -v query --group-by model --format "),
              shell == "fish" ? "csv\njson\nmarkdown\nprometheus\ntable\n"
                              : "table\njson\ncsv\nmarkdown\nprometheus\n")
        << shell;
    // Its suggested names (free text besides), and a command's options by prefix.
    EXPECT_EQ(completions(shell, script, "cost-ops anomalies --method "),
              shell == "fish" ? "iqr\nmad\nseasonal\nzscore\n" : "seasonal\nzscore\nmad\niqr\n")
        << shell;
    if (filtered) {
      EXPECT_EQ(completions(shell, script, "cost-ops bu"), "budget\n") << shell;
      EXPECT_EQ(completions(shell, script, "cost-ops budget status --fo"), "--format\n") << shell;
      EXPECT_EQ(completions(shell, script, "cost-ops query --period year"), "year-to-date\n")
          << shell;
      EXPECT_EQ(completions(shell, script, "cost-ops completion z"), "zsh\n") << shell;
    }
  }
  // bash: a value after "=" is completed after it (bash replaces what follows its word break; zsh
  // the whole word); a value of free text or a file offers no word (files are the shell's own
  // completion, -o default).
  const std::string bash = (dir / "bash").string();
  if (std::system("command -v zsh >/dev/null") == 0) {
    EXPECT_NE(completions("zsh", (dir / "zsh").string(), "cost-ops query --format=ma")
                  .find("\n--format=markdown\n"),
              std::string::npos);
    EXPECT_NE(completions("zsh", (dir / "zsh").string(),
                          std::string(COSTOPS_CLI) + " query --group-by provider,mo")
                  .find("\nprovider,model\nprovider,month\n"),
              std::string::npos);
  }
  if (std::system("command -v bash >/dev/null") == 0) {
    EXPECT_EQ(completions("bash", bash, "cost-ops query --format=ma"), "markdown\n");
    EXPECT_EQ(completions("bash", bash, std::string(COSTOPS_CLI) + " query --group-by provider,mo"),
              "provider,model\nprovider,month\n");
    EXPECT_EQ(completions("bash", bash, "cost-ops query --tz "), "");
    EXPECT_EQ(completions("bash", bash, "cost-ops ingest --db "), "");
    EXPECT_EQ(completions("bash", bash, "cost-ops pricing add --c"),
              "--cache-read\n--cache-write\n");
  }

  // What is stored, and the catalog's names, from `cost-ops __complete` (the line's first word
  // is the binary it runs): budget names, --filter's KEY=VALUE (KEY!=VALUE after a "!"), tag
  // keys among the group keys, providers and a provider's models.
  const std::string db = (dir / "c.db").string();
  ASSERT_EQ(
      run("ingest --db " + db + " -",
          R"({"id":"c1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","tags":{"team":"ads"},"usage":{"input_tokens":10}})"
          "\n")
          .rc,
      0);
  ASSERT_EQ(run("budget add --db " + db + " --amount 5 team-ads").rc, 0);
  ASSERT_EQ(run("budget add --db " + db + " --amount 5 all-spend").rc, 0);
  r = run("__complete filters -- tag:team! query --db=" + db);
  EXPECT_EQ(r.out, "model!=gpt-4o\nprovider!=openai\ntag:team!=ads\ntier!=standard\n") << r.err;
  // ingest --default's: the organization, project, user and tags stored.
  r = run("__complete defaults -- '' ingest --db=" + db);
  EXPECT_EQ(r.out, "tag:team=ads\n") << r.err;
  EXPECT_EQ(run("__complete budgets -- '' budget remove --db /no/such.db").out, "");
  EXPECT_EQ(run("--help").out.find("__complete"), std::string::npos);
  const std::string bin = std::string(COSTOPS_CLI) + " ";
  for (const std::string shell : {"bash", "zsh", "fish"}) {
    if (std::system(("command -v " + shell + " >/dev/null").c_str()) != 0) continue;
    const std::string script = (dir / shell).string();
    const bool filtered = shell != "zsh";
    EXPECT_EQ(completions(shell, script, bin + "budget remove --db " + db + " "),
              "all-spend\nteam-ads\n")
        << shell;
    if (!filtered) continue;
    EXPECT_EQ(completions(shell, script, bin + "query --db " + db + " --filter tag:team="),
              shell == "bash" ? "ads\n" : "tag:team=ads\n")
        << shell;
    EXPECT_EQ(completions(shell, script, bin + "report --db " + db + " --by tag"),
              shell == "bash" ? "tag:team\n" : "tag:team\n")
        << shell;
    EXPECT_EQ(completions(shell, script, bin + "catalog anthr"), "anthropic\n") << shell;
    EXPECT_EQ(completions(shell, script, bin + "catalog openai gpt-4o-mini-t"),
              "gpt-4o-mini-transcribe\ngpt-4o-mini-tts\n")
        << shell;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace costops
