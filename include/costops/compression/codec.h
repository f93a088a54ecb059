// Compression codecs (gzip, zlib, raw deflate, zstd): whole buffers, streams, and format
// detection by magic bytes, so compressed logs and exports read and write transparently.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "costops/domain/status.h"

namespace costops::compression {

enum class Codec { kNone, kGzip, kZlib, kDeflate, kZstd };

/// "none", "gzip", "zlib", "deflate", "zstd".
std::string_view codec_name(Codec c);
/// The inverse of codec_name (also "gz", "zst"). Errors list the valid names.
Result<Codec> parse_codec(std::string_view name);
/// The codec a file name's extension implies: .gz -> gzip, .zst/.zstd -> zstd, .zz -> zlib,
/// .deflate -> deflate; kNone otherwise.
Codec codec_for_path(std::string_view path);
/// The codec of data that starts with `head` (at least 4 bytes for a sure answer): gzip
/// (1f 8b), zstd (28 b5 2f fd), zlib (a valid CMF/FLG pair); kNone otherwise (raw deflate has
/// no magic and is never detected).
Codec detect(std::string_view head);

/// Compresses a whole buffer. `level`: codec-specific (gzip/zlib/deflate 1..9, zstd 1..19);
/// unset: the codec's default. Errors (kInvalidArgument) for a level out of range.
Result<std::string> compress(std::string_view data, Codec codec,
                             std::optional<int> level = std::nullopt);
/// Decompresses a whole buffer; kNone detects the codec (and returns plain data unchanged).
/// Errors (kInvalidArgument) name the codec and what is wrong: corrupt or truncated data.
Result<std::string> decompress(std::string_view data, Codec codec = Codec::kNone);

/// Streaming compression: feed pieces with write(), then finish(). Output is appended to `out`.
/// Move-only; not thread-safe.
class Compressor {
 public:
  static Result<Compressor> create(Codec codec, std::optional<int> level = std::nullopt);
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  ~Compressor();
  Status write(std::string_view data, std::string& out);
  /// REQUIRES: not finished. After it, the stream is complete.
  Status finish(std::string& out);
  Codec codec() const;

 private:
  struct Impl;
  explicit Compressor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Streaming decompression; concatenated gzip members and zstd frames are read through.
class Decompressor {
 public:
  static Result<Decompressor> create(Codec codec);
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  ~Decompressor();
  Status write(std::string_view data, std::string& out);
  /// Errors when the input ended inside a stream (truncated).
  Status finish();
  Codec codec() const;

 private:
  struct Impl;
  explicit Decompressor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A FILE* handle owned with fclose.
using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

/// Reads `in` through the decompressor its first bytes call for (gzip, zstd, zlib; see detect()),
/// so callers that read a FILE* take compressed input transparently. Plain input comes back as
/// a handle reading `in` unchanged. The result does not own `in`; keep it open while reading.
/// Corrupt or truncated compressed data reads as an I/O error (ferror) after the good part, and
/// `*error` (when given) says what went wrong, and `*codec` (when given) which codec its first
/// bytes called for (kNone: plain).
Result<FilePtr> open_decompressed(std::FILE* in, std::shared_ptr<std::string> error = nullptr,
                                  Codec* codec = nullptr);

}  // namespace costops::compression
