// Streamed responses as records: the server-sent events (text/event-stream) of a provider's
// streaming API, as a proxy or a client captured them. Internal to ingest.
//
// A streamed response reports its usage in some of its events, not in one body; each response is
// one record whose body is the one the response would have had unstreamed, so that it is read by
// the provider's extractor as a body is:
//   - Anthropic's Messages (and Bedrock's, Vertex AI's): message_start holds the message, its
//     model and its input and cache counts; each message_delta the usage so far (cumulative: its
//     counts replace the start's); message_stop ends it.
//   - OpenAI's Responses: response.completed (or .incomplete, .failed) holds the whole response.
//   - OpenAI's Chat Completions and the providers that speak it (Mistral, Groq, DeepSeek, xAI,
//     OpenRouter, vLLM, ...): the chunk that holds `usage` (the last, with stream_options'
//     include_usage; some send it on every chunk, cumulative: the last counts), or Groq's
//     x_groq.usage; data: [DONE] ends it.
//   - Google's Gemini (streamGenerateContent?alt=sse): every chunk holds usageMetadata so far;
//     the last counts.
// A response is told from the next by its id (the chunk's id, responseId, the message's id). Each
// data line holds one JSON payload (as every LLM API sends them); event:, id:, retry: and comment
// lines are read past; any other line is rejected. The record's id is the response's, its time
// the response's created (or created_at) when it has one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/agent_logs.h"

namespace costops::ingest::detail {

/// Whether `head` (an input's first block) begins with a server-sent event's field: a data: or
/// event: line, after any comment, id: or retry: lines.
bool looks_like_sse(std::string_view head);

/// Streamed responses' records, in the JSON form (see above).
class SseReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);
  /// The end of the input: the response still open (one without its end event) is emitted.
  void end(const Emit& emit);

  /// Events read past: those that hold no response's final usage (text deltas, [DONE], pings),
  /// and those whose usage a later event of the same response superseded or completed.
  uint64_t read_past() const { return read_past_; }

 private:
  struct Response {
    nlohmann::json body;
    std::string id;
    uint64_t line = 0;  // where its first event with usage is
    std::string text;   // that event's line
    bool anthropic = false;
  };
  void finish(const Emit& emit);
  void event(const nlohmann::json& data, std::string_view text, uint64_t line_no, const Emit& emit,
             const Bad& bad);

  std::optional<Response> open_;
  uint64_t read_past_ = 0;
};

}  // namespace costops::ingest::detail
