// The cost-ops executable, run as a user would: stdout, stderr and exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

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
  EXPECT_NE(r.out.find(R"("total_price":"0.135")"), std::string::npos)
      << r.out;  // off-peak at its own timestamp
  EXPECT_NE(r.out.find(R"("total_price":"0.27")"), std::string::npos)
      << r.out;  // --as-of for the other
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

TEST(CliTest, SummaryOfTheBundledSample) {
  CliRun r = run("price --summary " + testing::source_path("data/samples/usage.jsonl"));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("3524 lines, 3524 priced, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("claude-sonnet-4-5"), std::string::npos);
}

TEST(CliTest, BadCommandLinesAndFilesAreClearErrors) {
  CliRun r = run("price --catalog /nonexistent.json", "");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.json: cannot open catalog file"), std::string::npos) << r.err;
  r = run("price /nonexistent.jsonl");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent.jsonl: cannot open input file"), std::string::npos) << r.err;
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

TEST(CliTest, CatalogShowsAModelsPrices) {
  CliRun r = run("catalog --provider openai --model gpt-4o");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("input_mtok=2.5"), std::string::npos) << r.out;
  r = run("catalog --provider openai --model nope");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("unknown model \"nope\""), std::string::npos) << r.err;
}

}  // namespace
}  // namespace costops
