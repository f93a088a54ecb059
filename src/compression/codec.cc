#include "costops/compression/codec.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "util/peek.h"

namespace costops::compression {
namespace {

constexpr size_t kChunk = 64 * 1024;

// zlib's windowBits: gzip wrapper, zlib wrapper or raw deflate.
int window_bits(Codec c) {
  switch (c) {
    case Codec::kGzip:
      return 15 + 16;
    case Codec::kZlib:
      return 15;
    default:
      return -15;
  }
}

Status check_level(Codec c, std::optional<int> level) {
  if (!level) return Status::ok();
  if (c == Codec::kZstd) {
    if (*level < 1 || *level > ZSTD_maxCLevel()) {
      return invalid_argument("zstd level must be 1.." + std::to_string(ZSTD_maxCLevel()) +
                              ", got " + std::to_string(*level));
    }
  } else if (c != Codec::kNone && (*level < 1 || *level > 9)) {
    return invalid_argument(std::string(codec_name(c)) + " level must be 1..9, got " +
                            std::to_string(*level));
  }
  return Status::ok();
}

Status zerr(Codec c, std::string_view what, int rc, const z_stream& z) {
  return invalid_argument(std::string(codec_name(c)) + ": " + std::string(what) + " (" +
                          (z.msg ? z.msg : std::to_string(rc)) + ")");
}

}  // namespace

std::string_view codec_name(Codec c) {
  switch (c) {
    case Codec::kNone:
      return "none";
    case Codec::kGzip:
      return "gzip";
    case Codec::kZlib:
      return "zlib";
    case Codec::kDeflate:
      return "deflate";
    case Codec::kZstd:
      return "zstd";
  }
  return "none";
}

Result<Codec> parse_codec(std::string_view name) {
  if (name == "none") return Codec::kNone;
  if (name == "gzip" || name == "gz") return Codec::kGzip;
  if (name == "zlib") return Codec::kZlib;
  if (name == "deflate") return Codec::kDeflate;
  if (name == "zstd" || name == "zst") return Codec::kZstd;
  return invalid_argument("unknown codec \"" + std::string(name) +
                          "\"; valid: none, gzip, zlib, deflate, zstd");
}

Codec codec_for_path(std::string_view path) {
  auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.substr(path.size() - s.size()) == s;
  };
  if (ends(".gz")) return Codec::kGzip;
  if (ends(".zst") || ends(".zstd")) return Codec::kZstd;
  if (ends(".zz")) return Codec::kZlib;
  if (ends(".deflate")) return Codec::kDeflate;
  return Codec::kNone;
}

Codec detect(std::string_view h) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(h[i]); };
  if (h.size() >= 2 && b(0) == 0x1f && b(1) == 0x8b) return Codec::kGzip;
  if (h.size() >= 4 && b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd) {
    return Codec::kZstd;
  }
  if (h.size() >= 2 && (b(0) & 0x0f) == 8 && (b(0) >> 4) <= 7 && (b(0) * 256 + b(1)) % 31 == 0) {
    return Codec::kZlib;
  }
  return Codec::kNone;
}

// ---- streaming ------------------------------------------------------------------------------

struct Compressor::Impl {
  Codec codec = Codec::kNone;
  z_stream z{};
  bool z_live = false;
  ZSTD_CCtx* zc = nullptr;
  bool finished = false;
  ~Impl() {
    if (z_live) deflateEnd(&z);
    if (zc) ZSTD_freeCCtx(zc);
  }
};

Compressor::Compressor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;
Compressor::~Compressor() = default;
Codec Compressor::codec() const { return impl_->codec; }

Result<Compressor> Compressor::create(Codec codec, std::optional<int> level) {
  COSTOPS_RETURN_IF_ERROR(check_level(codec, level));
  auto impl = std::make_unique<Impl>();
  impl->codec = codec;
  if (codec == Codec::kZstd) {
    impl->zc = ZSTD_createCCtx();
    if (!impl->zc) return Status(StatusCode::kInternal, "zstd: out of memory");
    ZSTD_CCtx_setParameter(impl->zc, ZSTD_c_compressionLevel, level.value_or(3));
    ZSTD_CCtx_setParameter(impl->zc, ZSTD_c_checksumFlag, 1);
  } else if (codec != Codec::kNone) {
    const int rc = deflateInit2(&impl->z, level.value_or(6), Z_DEFLATED, window_bits(codec), 8,
                                Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) return zerr(codec, "cannot start compression", rc, impl->z);
    impl->z_live = true;
  }
  return Compressor(std::move(impl));
}

namespace {

Status zstd_compress(ZSTD_CCtx* zc, std::string_view data, ZSTD_EndDirective mode,
                     std::string& out) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::array<char, kChunk> buf;
  for (;;) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    const size_t left = ZSTD_compressStream2(zc, &o, &in, mode);
    if (ZSTD_isError(left))
      return invalid_argument(std::string("zstd: ") + ZSTD_getErrorName(left));
    out.append(buf.data(), o.pos);
    if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) return Status::ok();
  }
}

Status deflate_some(z_stream& z, Codec c, std::string_view data, int flush, std::string& out) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::array<char, kChunk> buf;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.avail_out = static_cast<uInt>(buf.size());
    const int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) return zerr(c, "compression failed", rc, z);
    out.append(buf.data(), buf.size() - z.avail_out);
    if (flush == Z_FINISH ? rc == Z_STREAM_END : z.avail_in == 0 && z.avail_out != 0) {
      return Status::ok();
    }
  }
}

}  // namespace

Status Compressor::write(std::string_view data, std::string& out) {
  assert(!impl_->finished);
  switch (impl_->codec) {
    case Codec::kNone:
      out.append(data);
      return Status::ok();
    case Codec::kZstd:
      return zstd_compress(impl_->zc, data, ZSTD_e_continue, out);
    default: {
      // zlib counts in uInt: feed very large buffers in pieces.
      while (data.size() > (1u << 30)) {
        COSTOPS_RETURN_IF_ERROR(
            deflate_some(impl_->z, impl_->codec, data.substr(0, 1u << 30), Z_NO_FLUSH, out));
        data.remove_prefix(1u << 30);
      }
      return deflate_some(impl_->z, impl_->codec, data, Z_NO_FLUSH, out);
    }
  }
}

Status Compressor::finish(std::string& out) {
  assert(!impl_->finished);
  impl_->finished = true;
  switch (impl_->codec) {
    case Codec::kNone:
      return Status::ok();
    case Codec::kZstd:
      return zstd_compress(impl_->zc, {}, ZSTD_e_end, out);
    default:
      return deflate_some(impl_->z, impl_->codec, {}, Z_FINISH, out);
  }
}

struct Decompressor::Impl {
  Codec codec = Codec::kNone;
  z_stream z{};
  bool z_live = false;
  bool z_done = false;  // the current gzip member / zlib stream ended
  ZSTD_DCtx* zd = nullptr;
  size_t zstd_pending = 0;  // 0 when a zstd frame just ended
  bool saw_input = false;
  ~Impl() {
    if (z_live) inflateEnd(&z);
    if (zd) ZSTD_freeDCtx(zd);
  }
};

Decompressor::Decompressor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;
Decompressor::~Decompressor() = default;
Codec Decompressor::codec() const { return impl_->codec; }

Result<Decompressor> Decompressor::create(Codec codec) {
  auto impl = std::make_unique<Impl>();
  impl->codec = codec;
  if (codec == Codec::kZstd) {
    impl->zd = ZSTD_createDCtx();
    if (!impl->zd) return Status(StatusCode::kInternal, "zstd: out of memory");
  } else if (codec != Codec::kNone) {
    const int rc = inflateInit2(&impl->z, window_bits(codec));
    if (rc != Z_OK) return zerr(codec, "cannot start decompression", rc, impl->z);
    impl->z_live = true;
  }
  return Decompressor(std::move(impl));
}

Status Decompressor::write(std::string_view data, std::string& out) {
  Impl& d = *impl_;
  if (!data.empty()) d.saw_input = true;
  std::array<char, kChunk> buf;
  if (d.codec == Codec::kNone) {
    out.append(data);
    return Status::ok();
  }
  if (d.codec == Codec::kZstd) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    // Until the input is used up and the last call left room in the output (nothing held back).
    for (bool full = true; in.pos < in.size || full;) {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      const size_t rc = ZSTD_decompressStream(d.zd, &o, &in);
      if (ZSTD_isError(rc)) {
        return invalid_argument(std::string("zstd: corrupt data (") + ZSTD_getErrorName(rc) + ")");
      }
      d.zstd_pending = rc;
      out.append(buf.data(), o.pos);
      full = o.pos == o.size;
    }
    return Status::ok();
  }
  d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  d.z.avail_in = static_cast<uInt>(data.size());
  while (d.z.avail_in > 0 || !d.z_done) {
    if (d.z_done) {
      // Another gzip member follows (concatenated .gz files are one stream to gunzip).
      if (d.codec != Codec::kGzip) {
        return invalid_argument(std::string(codec_name(d.codec)) +
                                ": data after the end of the stream");
      }
      inflateReset(&d.z);
      d.z_done = false;
    }
    d.z.next_out = reinterpret_cast<Bytef*>(buf.data());
    d.z.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&d.z, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - d.z.avail_out);
    if (rc == Z_STREAM_END) {
      d.z_done = true;
      if (d.z.avail_in == 0) break;
      continue;
    }
    if (rc == Z_BUF_ERROR && d.z.avail_in == 0) break;  // needs more input
    if (rc != Z_OK) return zerr(d.codec, "corrupt data", rc, d.z);
    if (d.z.avail_in == 0 && d.z.avail_out != 0) break;
  }
  return Status::ok();
}

Status Decompressor::finish() {
  const Impl& d = *impl_;
  const std::string name(codec_name(d.codec));
  if (d.codec == Codec::kZstd && (d.zstd_pending != 0 || !d.saw_input)) {
    return invalid_argument(name + ": truncated data (the input ended inside a frame)");
  }
  if ((d.codec == Codec::kGzip || d.codec == Codec::kZlib || d.codec == Codec::kDeflate) &&
      !d.z_done) {
    return invalid_argument(name + ": truncated data (the input ended inside the stream)");
  }
  return Status::ok();
}

// ---- whole buffers --------------------------------------------------------------------------

Result<std::string> compress(std::string_view data, Codec codec, std::optional<int> level) {
  auto c = Compressor::create(codec, level);
  if (!c) return c.status();
  std::string out;
  if (codec == Codec::kZstd) out.reserve(ZSTD_compressBound(data.size()));
  COSTOPS_RETURN_IF_ERROR(c->write(data, out));
  COSTOPS_RETURN_IF_ERROR(c->finish(out));
  return out;
}

Result<std::string> decompress(std::string_view data, Codec codec) {
  if (codec == Codec::kNone) codec = detect(data.substr(0, 4));
  if (codec == Codec::kNone) return std::string(data);
  auto d = Decompressor::create(codec);
  if (!d) return d.status();
  std::string out;
  COSTOPS_RETURN_IF_ERROR(d->write(data, out));
  COSTOPS_RETURN_IF_ERROR(d->finish());
  return out;
}

// ---- transparent FILE* ----------------------------------------------------------------------

namespace {

// A decompressor as what a stream reads through.
class Decompressing : public util::Transform {
 public:
  explicit Decompressing(Decompressor d) : d_(std::move(d)) {}
  Status write(std::string_view in, std::string& out) override { return d_.write(in, out); }
  Status finish(std::string&) override { return d_.finish(); }

 private:
  Decompressor d_;
};

}  // namespace

Result<FilePtr> open_decompressed(std::FILE* in, std::shared_ptr<std::string> error,
                                  Codec* detected) {
  std::string head;
  auto again = util::peek(in, 4, &head);  // the magic bytes
  if (!again) return again.status();
  const Codec codec = detect(head);
  if (detected != nullptr) *detected = codec;
  // Plain: read as it is (the file itself when it can seek back: no copy in between).
  if (codec == Codec::kNone) return std::move(*again);
  auto d = Decompressor::create(codec);
  if (!d) return d.status();
  return util::open_transformed(std::move(*again), std::make_unique<Decompressing>(std::move(*d)),
                                std::move(error));
}

}  // namespace costops::compression
