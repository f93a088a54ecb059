// Coding agents' local session logs as records: Claude Code's transcripts, Codex's rollouts,
// Gemini CLI's and Qwen Code's sessions, OpenCode's messages. Internal to ingest.
//
// Claude Code: the JSON Lines files it keeps per session under ~/.claude/projects/<project>/
// (<session>.jsonl, and its sub-agents' files beside them). A transcript line is a user turn, a
// tool result, a summary, a file snapshot or an assistant message. Only an assistant message with
// usage is an API call: its record has the message's model and usage (Anthropic's, read into
// canonical counts, so that a model served through another provider's Anthropic-compatible endpoint
// prices too), the line's time, the session's working directory as its project, and tags service
// ("claude-code"), session, branch (git), agent ("subagent" for a sidechain) and platform
// ("bedrock" or "vertex", by the message id's msg_bdrk_ or msg_vrtx_). Claude Code's synthetic
// messages (model "<synthetic>": errors and interruptions it writes itself) are no call.
//
// Claude Code writes a message as it streams: a line per content block (thinking, text, each tool
// use), each with the message's usage so far. The input counts and cache counts are the same on
// every line; the output count grows, and the last line, the one with a stop_reason, has the
// final count. Keeping the first line per message (as ccusage does) undercounts output tokens
// two- to threefold (ccusage issues 705, 888, 901, 938). So the lines of one message (its
// message.id) are one record: each count the largest its lines give, at its first line's time
// and line, taken once the line with a stop_reason comes, or at the end of the input (older
// Claude Code versions wrote no stop_reason), unless it is still streaming there (see end()).
//
// Codex (OpenAI's CLI and desktop app): its rollout files,
// ~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl, lines of
// {"timestamp", "type", "payload"}. Each model call writes an event_msg of type token_count whose
// info holds the call's usage (last_token_usage) and the session's running sum
// (total_token_usage). Codex writes the same event again, unchanged, when it refreshes its rate
// limits (often more than half of all token_count lines): summing every last_token_usage
// overstates usage, so an event whose running sum did not advance is a repeat (ccusage issues
// 824, 876, 884). A forked session's file (session_meta's forked_from_id, or a sub-agent's
// parent_thread_id) begins by replaying its parent's history, token counts included, restamped
// at the fork: those are the parent's calls, counted in its file, so a forked file's token counts
// before its own first turn (the first turn_context whose turn_id, a UUIDv7, was minted at or
// after the fork's own id) only set the running sum (ccusage issues 1288, 1370). The call's model
// is the last turn_context's; input_tokens include cached_input_tokens and output_tokens include
// reasoning_output_tokens, as the canonical counts do. A call's id is its turn's id and the
// running sum after it, which a copy of it in another file shares. Its tags: service ("codex"),
// session and branch.
//
// Gemini CLI: its sessions under ~/.gemini/tmp/<project>/chats/: session-<time>-<id>.jsonl, and
// a sub-agent's <parent session id>/<id>.jsonl beside them (since April 2026), or one JSON
// document, session-<time>-<id>.json (before: its object has the same metadata and a "messages"
// list). The JSON Lines file begins with the session's metadata (sessionId, projectHash, kind);
// each later line is a message, written again whole each time it changes (its token counts come
// after its text, its tool calls one by one), a metadata update {"$set": ...} (which may hold the
// whole list of messages again) or a rewind {"$rewindTo": id}. A message of type "gemini" with
// "tokens" is one API call: its response's usage metadata (input: promptTokenCount, cache
// included; cached; output: candidatesTokenCount, without thoughts; thoughts; tool:
// toolUsePromptTokenCount), read as genai-prices reads Google's usage metadata (input + tool the
// input, output + thoughts the output), with the message's model (provider google for gemini and
// gemma models) and time, the session's project hash as its project (unless its directory is
// known: see IngestOptions) and tags service, session and agent ("subagent" for a sub-agent's
// file). A message is taken at its first copy with token counts; its later copies are merged. A
// rewind takes messages out of the conversation, not out of the bill: their calls stay counted.
//
// Qwen Code (Alibaba's fork of Gemini CLI): ~/.qwen/projects/<project>/chats/<session id>.jsonl,
// a record per line (uuid, parentUuid, sessionId, timestamp, type, cwd, gitBranch; a message in
// Gemini's form, message.parts). An assistant record with usageMetadata is one API call, written
// once (a /branch copy in another session's file keeps its uuid). Qwen Code talks to many
// providers and puts their usage in Gemini's fields: promptTokenCount is the whole input (the cache
// included), cachedContentTokenCount its cache reads, candidatesTokenCount the output, and
// thoughtsTokenCount its reasoning, which an OpenAI-compatible provider's completion count already
// holds but Gemini's does not. totalTokenCount tells which: reasoning apart from the output when
// the total is their sum (or the reasoning exceeds the output), within it otherwise. The record's
// provider is the one its model names (or --provider); its project the cwd; tags service, session,
// branch and agent ("subagent" for a sidechain).
//
// OpenCode: its database, ~/.local/share/opencode/opencode.db (or Kilo Code's, OpenCode's fork,
// ~/.local/share/kilo/kilo.db: its records' service and id prefix are "kilo"), as
// open_opencode_database (ingest.h) writes it out: a line per message, with the step-finish parts
// that hold its calls' usage. An assistant message is one turn of the agent; each of its steps is
// one model call, with its own usage (the message's own "tokens" are its last step's alone, so a
// message of several steps, as older versions wrote, would be undercounted by them): a step is one
// record, and a message without step parts (older data) is one record of its own tokens. OpenCode's
// counts: input without the cache reads and writes (cache.read, cache.write), output and reasoning.
// Since its move to AI SDK 6 its output leaves the reasoning out; before, it held it but for
// Google's models. tokens.total (written by later versions) tells which: reasoning apart from the
// output when the total is nearer the sum with it than the sum without; without a total, apart for
// the google and google-vertex providers (or when the reasoning exceeds the output), within
// otherwise. The record's model is the message's modelID; its provider its providerID as
// the catalog names it (amazon-bedrock is aws, google-vertex google, google-vertex-anthropic
// anthropic, fireworks-ai fireworks, togetherai together), or, for a provider that resells or
// hosts others' models (opencode's Zen, github-copilot, a local or custom one), the one its model
// names; the message's time (time.created), its working directory (path.cwd, else the session's)
// as its project, OpenCode's own cost for it as its logged cost, and tags service ("opencode"),
// session, agent ("subagent" in a sub-agent's session, one with a parent), mode (OpenCode's
// agent: build, plan, general...) and platform (the providerID). A forked session copies its
// messages, usage and time included, under new ids: so a call's id is its message's time and its
// step's place and counts, which the copy shares.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "costops/domain/time.h"

namespace simdjson::dom {
class parser;
class element;
}  // namespace simdjson::dom

namespace costops::ingest::detail {

/// Whether the start of an input is a Codex rollout: one of its first lines is an object with a
/// type (session_meta, turn_context, event_msg, response_item) and a payload object.
bool looks_like_codex(std::string_view head);

/// Whether the start of an input is a Gemini CLI session: one of its first lines is its metadata
/// (sessionId and projectHash), a gemini message (type, id, timestamp) or an update ($set,
/// $rewindTo); or the input is one JSON object spread over lines (an older version's session
/// file) whose first lines name sessionId and projectHash.
bool looks_like_gemini_cli(std::string_view head);

/// Whether the start of an input is a Qwen Code session: one of its first lines is a record
/// (sessionId and uuid) with a mark of Qwen Code's (usageMetadata, systemPayload, a Gemini-style
/// message.parts, or type tool_result). Told before Claude Code's transcripts, whose
/// lines have a sessionId and a uuid too.
bool looks_like_qwen_code(std::string_view head);

/// Whether the start of an input is a Claude Code transcript: one of its first lines is an
/// object with a transcript line's shape (sessionId and parentUuid, a summary's leafUuid, a file
/// history snapshot's messageId).
bool looks_like_claude_code(std::string_view head);

/// Whether the start of an input is OpenCode's messages as open_opencode_database writes them:
/// its first line is an object with an "opencode" object.
bool looks_like_opencode(std::string_view head);

class TranscriptReader {
 public:
  /// `take_streaming`: end() takes a message still streaming too. `now`: the time of the
  /// reading, for end() to tell a message still streaming.
  explicit TranscriptReader(bool take_streaming = false, Timestamp now = {});
  ~TranscriptReader();

  /// A message's record in the JSON form, the line it begins on and that line's text.
  using Emit = std::function<void(const std::string& record, uint64_t line, std::string_view text)>;
  /// A line that cannot be read: its number, why, its text.
  using Bad = std::function<void(uint64_t line, const std::string& reason, std::string_view text)>;

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);
  /// The end of the input: the messages whose last line had no stop_reason are emitted, in the
  /// order of their first lines; but one whose lines end the input is still streaming (a session
  /// at work) when the transcript's other messages end with a stop_reason, or its last line was
  /// written within the hour before `now`: it is left out, counted in streaming(), to be read
  /// whole from the file later.
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
    uint64_t last = 0;      // its last line
    std::string last_time;  // and that line's timestamp
    std::string text;       // its first line's (kept while it is open)
  };
  void emit_message(const Message& m, uint64_t line, std::string_view text, const Emit& emit) const;

  std::unique_ptr<simdjson::dom::parser> parser_;
  std::map<uint64_t, Message> open_;                      // by first line: no stop_reason yet
  std::unordered_map<std::string, uint64_t> open_lines_;  // message id -> its first line
  std::unordered_set<std::string> done_;                  // messages emitted at their stop_reason
  uint64_t without_usage_ = 0, merged_ = 0, streaming_ = 0;
  uint64_t last_line_ = 0;  // the input's last non-blank line so far
  bool take_streaming_;
  Timestamp now_;
  bool saw_final_ = false;  // a line with a stop_reason came: the writer ends messages with one
};

/// A Codex rollout's calls, as records in the JSON form (see above).
class CodexReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  CodexReader();
  ~CodexReader();

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);

  uint64_t without_usage() const { return without_usage_; }
  /// token_count events that repeat the running sum, or replay a forked session's parent's.
  uint64_t merged() const { return merged_; }

 private:
  struct Usage {
    uint64_t input = 0, cached = 0, output = 0, reasoning = 0, total = 0;
    bool operator==(const Usage&) const = default;
  };
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string session_, cwd_, branch_, provider_, model_, turn_;
  std::optional<Usage> sum_;  // the running sum of the last token_count with usage
  // While a forked session's file replays its parent's history: the fork's creation time (its
  // id, a UUIDv7, in milliseconds), which its own first turn is minted at or after.
  std::optional<uint64_t> replaying_until_;
  uint64_t without_usage_ = 0, merged_ = 0;
};

/// A Gemini CLI session's calls, as records in the JSON form (see above).
class GeminiCliReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;
  /// The line on which the member at `place` ("messages[3]") of the text read begins.
  using LineOf = std::function<uint64_t(const std::string& place)>;

  /// `project`: the session's project directory, taken over its project hash when not empty.
  explicit GeminiCliReader(std::string project = {});
  ~GeminiCliReader();

  /// Reads `text`, which begins on line `line_no`: one line of a session's JSON Lines, or a whole
  /// session document (an older version's file), whose messages `line_of` places.
  void read(std::string_view text, uint64_t line_no, const LineOf& line_of, const Emit& emit,
            const Bad& bad);

  /// Lines (a document's messages) that are no call: metadata, updates, rewinds, user turns,
  /// the CLI's notes, a message before its token counts.
  uint64_t without_usage() const { return without_usage_; }
  /// Copies of a message taken already.
  uint64_t merged() const { return merged_; }

 private:
  void message(const simdjson::dom::element& m, uint64_t line, std::string_view text,
               const Emit& emit, const Bad& bad);

  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string session_, project_;
  bool project_given_;
  bool subagent_ = false;
  std::unordered_set<std::string> taken_;  // message ids
  uint64_t without_usage_ = 0, merged_ = 0;
};

/// A Qwen Code session's calls, as records in the JSON form (see above).
class QwenCodeReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  QwenCodeReader();
  ~QwenCodeReader();

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);

  /// Records that are no call: user turns, tool results, system records, a reply without usage.
  uint64_t without_usage() const { return without_usage_; }
  /// Calls written again under a uuid taken already.
  uint64_t merged() const { return merged_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unordered_set<std::string> taken_;  // record uuids
  uint64_t without_usage_ = 0, merged_ = 0;
};

/// OpenCode's calls, as records in the JSON form (see above).
class OpenCodeReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  OpenCodeReader();
  ~OpenCodeReader();

  /// Reads one non-blank line: a message.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);

  /// Messages that are no call: user messages, a reply that failed before its usage.
  uint64_t without_usage() const { return without_usage_; }
  /// Calls a forked session copied, under ids taken already.
  uint64_t merged() const { return merged_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unordered_set<std::string> taken_;  // record ids
  uint64_t without_usage_ = 0, merged_ = 0;
};

}  // namespace costops::ingest::detail
