// Streamed responses' server-sent events (text/event-stream), as a proxy or a client captured
// them, as records. Internal to ingest.
//
// Each response is one record: its body is rebuilt from the events that carry its usage
// (StreamedResponse, costops/ingest/streamed_response.h, says how for each provider), and is
// read by the provider's extractor as a body is. A response is told from the next by its id or
// its end event. Each data line holds one JSON payload (as every LLM API sends them), or a JSON
// payload spans consecutive data lines (joined by line breaks, as the standard joins an event's
// data lines; lines no JSON alone are tried with the next, up to 64); event:, id:, retry: and
// comment lines are read past; any other line is rejected, and so is a response without usage (a
// Chat Completions stream without include_usage, a capture cut short, an error). The record's id is
// the response's, its time the response's created (or created_at) when it has one, its line the
// event that first gave usage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/ingest/streamed_response.h"
#include "ingest/agent_logs.h"

namespace costops::ingest::detail {

/// Whether `head` (an input's first block) begins with a server-sent event's field: a data: or
/// event: line, after any comment, id: or retry: lines.
bool looks_like_sse(std::string_view head);

/// Whether `head` begins with a message of the AWS event stream encoding (Amazon Bedrock's
/// InvokeModelWithResponseStream and ConverseStream responses, binary, not server-sent events):
/// a prelude of total and headers lengths that fit each other and their CRC-32, then a header
/// named ":...".
bool looks_like_aws_event_stream(std::string_view head);

/// Streamed responses' records, in the JSON form (see above).
class SseReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  /// Reads one non-blank line.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);
  /// The end of the input: the response still open (one without its end event) is emitted.
  void end(const Emit& emit, const Bad& bad);

  /// Events read past: those that hold no response's final usage (text deltas, [DONE], pings),
  /// and those whose usage a later event of the same response superseded or completed.
  uint64_t read_past() const { return read_past_; }

 private:
  struct Open {
    StreamedResponse response;
    uint64_t line = 0;  // the record's: its first event's, then its first with usage
    std::string text;   // that line
  };
  // Data lines that are no JSON, held for the next ones (their continuation, when all joined by
  // line breaks are JSON), else rejected each: up to kMaxPendingLines of them.
  struct Pending {
    std::vector<std::pair<uint64_t, std::string>> lines;  // line number and text
    std::string data;                                     // their values, joined
  };
  static constexpr size_t kMaxPendingLines = 64;
  void event(std::string_view data, uint64_t line_no, std::string_view text, const Emit& emit,
             const Bad& bad);
  void reject_pending(const Bad& bad);
  void finish(const Emit& emit, const Bad& bad);

  Pending pending_;
  Open open_;
  uint64_t read_past_ = 0;
};

}  // namespace costops::ingest::detail
