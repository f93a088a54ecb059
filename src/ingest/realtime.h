// OpenAI's Realtime API (speech to speech, over a WebSocket or WebRTC): a session's events as an
// application logged them, one JSON object per line, as records. Internal to ingest.
//
// The session's server events session.created and session.updated name its model
// (session.model) and the model that transcribes its input audio
// (session.audio.input.transcription.model; the beta's session.input_audio_transcription.model);
// a transcription session's events (transcription_session.*) the latter; a session created
// begins anew, so a log may hold sessions one after another. Each response.done
// event is one model call: its response's usage (input tokens, their text, audio and image parts
// and the cached part of each; output tokens, text and audio) with the session's model. Each
// conversation.item.input_audio_transcription.completed event with usage is one call of the
// transcription model, by tokens (gpt-4o-transcribe and its kind) or by the duration of its audio
// (whisper-1: usage {"type": "duration", "seconds": N}, read as input_audio_seconds).
//
// The record's id is the response's id, or "<item id>:transcription:<content index>"; its tag
// session is the session's id; its metadata the response's (what response.create gave). Events
// hold no time: a time the logger put on the event's line (timestamp, created_at, start_time or
// created) is the record's, else it is dated at the ingest time. A model the logger put on the
// line ("model") is taken over the session's. Every other event (client events, deltas,
// conversation items, rate limits, errors) is read past, and so is a response that failed or was
// cancelled without usage (nothing billed); a response.done with usage before any session event
// naming the model, one that completed without usage, and a line that is no Realtime event (its
// type not one of theirs) are rejected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/agent_logs.h"

namespace costops::ingest::detail {

/// Whether the start of an input is a Realtime session's events: one of its first lines is an
/// object whose type is a Realtime event's (session.*, transcription_session.*,
/// input_audio_buffer.*, output_audio_buffer.*, conversation.*, rate_limits.*, response.done; or
/// another response.* or error with an event_id and no sequence_number, which the Responses API's
/// stream events have).
bool looks_like_realtime(std::string_view head);

/// A Realtime session's calls, as records in the JSON form (see above).
class RealtimeReader {
 public:
  using Emit = TranscriptReader::Emit;
  using Bad = TranscriptReader::Bad;

  RealtimeReader();
  ~RealtimeReader();

  /// Reads one non-blank line: an event.
  void line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad);

  /// Events that are no call (see above).
  uint64_t read_past() const { return read_past_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string session_, model_, transcription_model_;
  uint64_t read_past_ = 0;
};

}  // namespace costops::ingest::detail
