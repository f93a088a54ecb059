// Compression: round trips, streaming, detection, and clear errors on bad data.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "costops/compression/codec.h"

namespace costops::compression {
namespace {

std::string sample(size_t n) {
  std::mt19937 rng(1);
  std::string s;
  while (s.size() < n) {
    s += R"({"provider":"openai","model":"gpt-4o","input_tokens":)" + std::to_string(rng() % 9000) +
         ",\"cost\":\"0.00" + std::to_string(rng() % 1000) + "\"}\n";
  }
  return s;
}

TEST(CompressionTest, EveryCodecRoundTripsAndIsDetected) {
  const std::string data = sample(300000);
  for (Codec c : {Codec::kGzip, Codec::kZlib, Codec::kDeflate, Codec::kZstd, Codec::kNone}) {
    auto z = compress(data, c);
    ASSERT_TRUE(z.has_value()) << codec_name(c);
    if (c != Codec::kNone) {
      EXPECT_LT(z->size(), data.size() / 3) << codec_name(c);
    }
    if (c != Codec::kDeflate) {
      EXPECT_EQ(detect(*z), c) << codec_name(c);
    }
    auto back = decompress(*z, c == Codec::kDeflate ? c : Codec::kNone);
    ASSERT_TRUE(back.has_value()) << codec_name(c) << back.status().to_string();
    EXPECT_EQ(*back, data) << codec_name(c);
  }
  EXPECT_EQ(*decompress(""), "");
}

TEST(CompressionTest, StreamsInSmallPiecesAndReadsConcatenatedMembers) {
  const std::string data = sample(100000);
  for (Codec c : {Codec::kGzip, Codec::kZstd}) {
    auto comp = Compressor::create(c, 1);
    ASSERT_TRUE(comp.has_value());
    std::string z;
    for (size_t i = 0; i < data.size(); i += 777) {
      ASSERT_TRUE(comp->write(std::string_view(data).substr(i, 777), z).is_ok());
    }
    ASSERT_TRUE(comp->finish(z).is_ok());
    const std::string twice = z + z;  // `cat a.gz b.gz` is one gzip stream to gunzip
    auto dec = Decompressor::create(c);
    ASSERT_TRUE(dec.has_value());
    std::string out;
    for (size_t i = 0; i < twice.size(); i += 333) {
      ASSERT_TRUE(dec->write(std::string_view(twice).substr(i, 333), out).is_ok());
    }
    EXPECT_TRUE(dec->finish().is_ok());
    EXPECT_EQ(out, data + data) << codec_name(c);
  }
}

TEST(CompressionTest, CorruptAndTruncatedDataAreClearErrors) {
  const std::string data = sample(50000);
  for (Codec c : {Codec::kGzip, Codec::kZstd, Codec::kZlib}) {
    const std::string z = *compress(data, c);
    auto cut = decompress(z.substr(0, z.size() / 2), c);
    ASSERT_FALSE(cut.has_value()) << codec_name(c);
    EXPECT_NE(cut.status().message().find("truncated"), std::string::npos)
        << cut.status().message();
    std::string bad = z;
    for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto corrupt = decompress(bad, c);
    ASSERT_FALSE(corrupt.has_value()) << codec_name(c);
    EXPECT_EQ(corrupt.status().message().rfind(std::string(codec_name(c)) + ": ", 0), 0u)
        << corrupt.status().message();
  }
  EXPECT_FALSE(compress("x", Codec::kGzip, 12).has_value());
  EXPECT_FALSE(compress("x", Codec::kZstd, 0).has_value());
  EXPECT_FALSE(parse_codec("lz4").has_value());
  EXPECT_EQ(codec_for_path("usage.jsonl.zst"), Codec::kZstd);
  EXPECT_EQ(codec_for_path("usage.jsonl"), Codec::kNone);
}

TEST(CompressionTest, OpenDecompressedReadsCompressedAndPlainFiles) {
  const std::string data = sample(200000);
  for (Codec c : {Codec::kNone, Codec::kGzip, Codec::kZstd}) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    const std::string bytes = *compress(data, c);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::rewind(f);
    auto plain = open_decompressed(f);
    ASSERT_TRUE(plain.has_value());
    std::string out(data.size() + 10, '\0');
    size_t got = 0, n;
    while ((n = std::fread(out.data() + got, 1, out.size() - got, plain->get())) > 0) got += n;
    out.resize(got);
    EXPECT_EQ(out, data) << codec_name(c);
    EXPECT_FALSE(std::ferror(plain->get()));
    plain->reset();
    std::fclose(f);
  }
}

}  // namespace
}  // namespace costops::compression
