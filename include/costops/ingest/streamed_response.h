// One streamed response's usage, from its server-sent events: what a service that streams a
// provider's responses feeds, event by event, to price each response as it ends.
//
// A streamed response reports its usage in some of its events, not in one body. add() takes each
// event's data (the text after "data: "); body() is then the body the response would have had
// unstreamed, for ingest::RecordParser to read with the provider's extractor, as it reads any
// response body:
//   - Anthropic's Messages (and Bedrock's, Vertex AI's): message_start holds the message, its
//     model and its input and cache counts; each message_delta the usage so far (cumulative: its
//     counts replace the start's); message_stop ends it.
//   - OpenAI's Responses: response.completed (or .incomplete, .failed) holds the whole response.
//   - OpenAI's Chat Completions and the APIs that stream as it does (Mistral, Groq, DeepSeek, xAI,
//     OpenRouter, vLLM, ...): the chunk that holds `usage` (the last, with stream_options'
//     include_usage; some send it on every chunk, cumulative: the last counts), or Groq's
//     x_groq.usage; data: [DONE] ends it.
//   - Google's Gemini (streamGenerateContent?alt=sse): every chunk holds usageMetadata so far;
//     the last counts.
//   - An error event (Anthropic's, OpenAI's) ends it.
//
//   costops::ingest::StreamedResponse s;
//   for each event: auto step = s.add(data);  // kEnd: s.body() is complete
//   auto record = parser.parse(R"({"body":)" + *s.body() + "}");
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "costops/domain/status.h"

namespace costops::ingest {

class StreamedResponse {
 public:
  /// What an event was to the response.
  enum class Step {
    kReadPast,  // no usage (a text delta, a ping)
    kUsage,     // usage so far, taken
    kUsageEnd,  // the final usage, which ends the response (response.completed)
    kEnd,       // the end ([DONE], message_stop, an error)
    kNext,      // the start of another response: not taken (feed it to a new one)
  };

  StreamedResponse();
  ~StreamedResponse();
  StreamedResponse(StreamedResponse&&) noexcept;
  StreamedResponse& operator=(StreamedResponse&&) noexcept;

  /// Takes an event's data. Errors (kInvalidArgument): data that is not JSON; an Anthropic
  /// message_delta without its message_start (the message's model and input counts are unknown).
  Result<Step> add(std::string_view data);

  /// Whether an event of a response was taken: a chunk, a message's or a response's event, an
  /// error (not a ping, nor an end alone).
  bool started() const;
  /// Whether usage was taken.
  bool has_usage() const;
  /// The body, as JSON text: kNotFound until usage was taken, saying why (OpenAI's Chat
  /// Completions stream it only with stream_options.include_usage; an error event's message).
  Result<std::string> body() const;
  /// The response's id (the message's, the chunk's, responseId), "" without one.
  const std::string& id() const;
  /// Its time, in seconds since the epoch: its created (or created_at), when it has one.
  std::optional<int64_t> created() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace costops::ingest
