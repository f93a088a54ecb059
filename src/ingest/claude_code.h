// Claude Code's session transcripts as records: the JSON Lines files it keeps per session under
// ~/.claude/projects/<project>/ (<session>.jsonl, and its sub-agents' files beside them).
// Internal to ingest.
//
// A transcript line is a user turn, a tool result, a summary, a file snapshot or an assistant
// message. Only an assistant message with usage is an API call: its record has the message's
// model and usage (Anthropic's, read into canonical counts, so that a model served through
// another provider's Anthropic-compatible endpoint prices too), the line's time, the session's
// working directory as its project, and tags session, branch (git) and agent ("subagent" for a
// sidechain). Claude Code's synthetic messages (model "<synthetic>": errors and interruptions
// it writes itself) are no call.
//
// Claude Code writes a message as it streams: a line per content block (thinking, text, each tool
// use), each with the message's usage so far. The input counts and cache counts are the same on
// every line; the output count grows, and the last line, the one with a stop_reason, has the
// final count. Keeping the first line per message (as ccusage does) undercounts output tokens
// two- to threefold (ccusage issues 705, 888, 901, 938). So the lines of one message (its
// message.id) are one record: each count the largest its lines give, at its first line's time
// and line, taken once the line with a stop_reason comes, or at the end of the input (older
// Claude Code versions wrote no stop_reason), unless it is still streaming there (see end()).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace simdjson::dom {
class parser;
}

namespace costops::ingest::detail {

/// Whether the start of an input is a Claude Code transcript: one of its first lines is an
/// object with a transcript line's shape (sessionId and parentUuid, a summary's leafUuid, a file
/// history snapshot's messageId).
bool looks_like_claude_code(std::string_view head);

class TranscriptReader {
 public:
  /// `take_streaming`: end() takes a message still streaming too.
  explicit TranscriptReader(bool take_streaming = false);
  ~TranscriptReader();

  /// A message's record in the JSON form, the line it begins on and that line's text.
  using Emit = std::function<void(const std::string& record, uint64_t line, std::string_view text)>;
  /// A line that cannot be read: its number, why, its text.
  using Bad = std::function<void(uint64_t line, const std::string& reason, std::string_view text)>;

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);
  /// The end of the input: the messages whose last line had no stop_reason are emitted, in the
  /// order of their first lines; but one whose lines end the input, in a transcript whose other
  /// messages end with a stop_reason, is still streaming (a session at work): it is left out,
  /// counted in streaming(), to be read whole from the file later.
  void end(const Emit& emit);

  uint64_t without_usage() const { return without_usage_; }
  uint64_t merged() const { return merged_; }
  /// Messages left out at the end: see end().
  uint64_t streaming() const { return streaming_; }

 private:
  struct Counts {
    uint64_t input = 0, cache_read = 0, cache_write = 0, write_5m = 0, write_1h = 0, output = 0,
             web_searches = 0;
    bool split = false;  // cache_creation gave the 5-minute and 1-hour writes
  };
  struct Message {
    std::string id, time, model, service_tier, cwd, session, branch, logged_cost;
    bool sidechain = false;
    Counts counts;
    uint64_t last = 0;  // its last line
    std::string text;   // its first line's (kept while it is open)
  };
  void emit_message(const Message& m, uint64_t line, std::string_view text, const Emit& emit) const;

  std::unique_ptr<simdjson::dom::parser> parser_;
  std::map<uint64_t, Message> open_;                      // by first line: no stop_reason yet
  std::unordered_map<std::string, uint64_t> open_lines_;  // message id -> its first line
  std::unordered_set<std::string> done_;                  // messages emitted at their stop_reason
  uint64_t without_usage_ = 0, merged_ = 0, streaming_ = 0;
  uint64_t last_line_ = 0;  // the input's last non-blank line so far
  bool take_streaming_;
  bool saw_final_ = false;  // a line with a stop_reason came: the writer ends messages with one
};

}  // namespace costops::ingest::detail
