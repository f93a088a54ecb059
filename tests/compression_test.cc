// Compression: round trips, streaming, detection, and clear errors on bad data. Text encodings:
// UTF-16 input read as UTF-8.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "costops/compression/codec.h"
#include "test_util.h"
#include "util/encoding.h"
#include "util/text.h"

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

// What a stream gives until its end or a read error, and whether it failed.
std::pair<std::string, bool> read_all(std::FILE* f) {
  std::string out;
  char buf[7];  // small reads: pieces that end inside characters and lines
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return {out, std::ferror(f) != 0};
}

// Every character size: ASCII, two bytes (é), three (€), four (a surrogate pair in UTF-16).
constexpr std::string_view kText = "model,tag\ngpt-4o,caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n";

TEST(TextEncodingTest, Utf16TextReadsAsUtf8) {
  for (const bool little : {true, false}) {
    const std::string bytes = testing::utf16(kText, little);
    EXPECT_EQ(util::utf16_bom(bytes),
              little ? util::Utf16::kLittleEndian : util::Utf16::kBigEndian);
    std::string_view text = bytes;
    std::string storage;
    ASSERT_TRUE(util::utf16_to_utf8(text, storage, "t.csv").is_ok());
    EXPECT_EQ(text, kText);
    // Fed a byte at a time: units and surrogate pairs split between pieces.
    util::Utf16Decoder d(util::utf16_bom(bytes));
    std::string out;
    for (size_t i = 2; i < bytes.size(); ++i) ASSERT_TRUE(d.write(bytes.substr(i, 1), out).is_ok());
    ASSERT_TRUE(d.finish(out).is_ok());
    EXPECT_EQ(out, kText);
  }
  // UTF-8 text (with or without its own byte order mark) is left as it is.
  for (const std::string& plain : {std::string(kText), "\xEF\xBB\xBF" + std::string(kText)}) {
    std::string_view text = plain;
    std::string storage;
    ASSERT_TRUE(util::utf16_to_utf8(text, storage, "t.csv").is_ok());
    EXPECT_EQ(text.data(), plain.data());
  }
}

TEST(TextEncodingTest, BrokenUtf16IsAnErrorNamingTheLine) {
  auto error = [](std::string bytes) {
    std::string_view text = bytes;
    std::string storage;
    return util::utf16_to_utf8(text, storage, "t.csv").message();
  };
  const std::string two_lines = testing::utf16("a\nb");
  EXPECT_EQ(error(two_lines + std::string("\x00\xDC", 2)),
            "t.csv: line 2: invalid UTF-16: a low surrogate without its high one");
  EXPECT_EQ(error(two_lines + std::string("\x3D\xD8\x0A\x00", 4)),
            "t.csv: line 2: invalid UTF-16: a high surrogate without its low one");
  EXPECT_EQ(error(two_lines + std::string("\x3D\xD8x\x00", 4)),  // then ASCII
            "t.csv: line 2: invalid UTF-16: a high surrogate without its low one");
  EXPECT_EQ(error(two_lines + std::string("\x3D\xD8", 2)),
            "t.csv: line 2: invalid UTF-16: the text ends in a high surrogate without its low one");
  EXPECT_EQ(error(testing::utf16("a\nb\n") + "c"),
            "t.csv: line 3: invalid UTF-16: the text ends in half a character (an odd number of "
            "bytes)");
}

TEST(TextEncodingTest, OpenUtf8ReadsUtf16StreamsAndFailsAfterTheTextBeforeAnError) {
  auto stream = [](const std::string& bytes, Codec codec) {
    std::FILE* f = std::tmpfile();
    const std::string stored = *compress(bytes, codec);
    std::fwrite(stored.data(), 1, stored.size(), f);
    std::rewind(f);
    return f;
  };
  for (const Codec codec : {Codec::kNone, Codec::kGzip}) {
    for (const std::string& bytes : {testing::utf16(kText), std::string(kText)}) {
      std::FILE* f = stream(bytes, codec);
      auto plain = open_decompressed(f);
      ASSERT_TRUE(plain.has_value());
      auto error = std::make_shared<std::string>();
      auto text = util::open_utf8(plain->get(), error);
      ASSERT_TRUE(text.has_value());
      EXPECT_EQ(read_all(text->get()), std::pair(std::string(kText), false)) << codec_name(codec);
      EXPECT_EQ(*error, "");
      text->reset();
      plain->reset();
      std::fclose(f);
    }
  }
  // A broken unit: the text before it, then a read error saying what it is.
  std::FILE* f = stream(testing::utf16(kText) + std::string("\x00\xDC", 2) + "x", Codec::kNone);
  auto error = std::make_shared<std::string>();
  auto text = util::open_utf8(f, error);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(read_all(text->get()), std::pair(std::string(kText), true));
  EXPECT_EQ(*error, "line 3: invalid UTF-16: a low surrogate without its high one");
  text->reset();
  std::fclose(f);
}

// UTF-16 without a byte order mark (as some Windows tools write it) is told by its first
// characters' NUL bytes, and read as with one; UTF-8 text and binary data are not UTF-16.
TEST(TextEncodingTest, Utf16WithoutAByteOrderMarkIsToldByItsFirstCharacters) {
  for (const bool little : {true, false}) {
    const std::string bytes = testing::utf16(kText, little).substr(2);
    EXPECT_EQ(util::utf16_without_bom(bytes),
              little ? util::Utf16::kLittleEndian : util::Utf16::kBigEndian);
    std::string_view whole = bytes;  // a file read whole (a catalog, a series)
    std::string storage;
    ASSERT_TRUE(util::utf16_to_utf8(whole, storage, "t.csv").is_ok());
    EXPECT_EQ(whole, kText);
    std::FILE* f = std::tmpfile();
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::rewind(f);
    auto error = std::make_shared<std::string>();
    auto text = util::open_utf8(f, error);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(read_all(text->get()), std::pair(std::string(kText), false)) << little;
    text->reset();
    std::fclose(f);
  }
  for (const std::string& other : {std::string(kText), std::string("{\0", 2),
                                   std::string("\0\0\0\0", 4), std::string("a\0\0b", 4),
                                   std::string("\x7F"
                                               "ELF\x02\x01\x01\0\0\0",
                                               10)}) {
    EXPECT_EQ(util::utf16_without_bom(other), util::Utf16::kNone) << other;
  }
}

// Binary data (an executable, an image) is told from text, so that an input of it is refused as
// such rather than read as a CSV header of odd characters.
TEST(TextEncodingTest, BinaryDataIsToldFromText) {
  EXPECT_FALSE(util::looks_binary(kText));
  EXPECT_FALSE(util::looks_binary(""));
  EXPECT_FALSE(util::looks_binary("a\tb\r\nc\f"));
  EXPECT_FALSE(util::looks_binary("caf\xE9 and \x80 in Windows-1252, no control character"));
  EXPECT_TRUE(util::looks_binary(std::string("model\0", 6)));
  EXPECT_TRUE(util::looks_binary("\x1F\x8B\x08 \x01\x02\x03"));
  std::string noisy(100, 'a');
  for (size_t i = 0; i < 7; ++i) noisy[i * 10] = '\x01';
  EXPECT_TRUE(util::looks_binary(noisy));  // 7 of 100: more than 1 in 16
  noisy[60] = 'a';
  EXPECT_FALSE(util::looks_binary(noisy));  // 6 of 100
}

TEST(TextEncodingTest, NamedEncodingsReadAsUtf8) {
  EXPECT_EQ(*parse_text_encoding("UTF8"), TextEncoding::kUtf8);
  EXPECT_EQ(*parse_text_encoding("utf_16le"), TextEncoding::kUtf16Le);
  EXPECT_EQ(*parse_text_encoding("UTF-16BE"), TextEncoding::kUtf16Be);
  for (const char* name : {"windows-1252", "cp1252", "latin1", "Latin-1", "ISO-8859-1"}) {
    EXPECT_EQ(*parse_text_encoding(name), TextEncoding::kWindows1252) << name;
  }
  EXPECT_EQ(parse_text_encoding("ebcdic").status().message(),
            "unknown text encoding \"ebcdic\" (valid: auto, utf-8, utf-16le, utf-16be, "
            "windows-1252)");
  auto read = [](const std::string& bytes, TextEncoding encoding) {
    std::FILE* f = std::tmpfile();
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::rewind(f);
    auto error = std::make_shared<std::string>();
    auto text = util::open_utf8(f, error, encoding);
    EXPECT_TRUE(text.has_value());
    auto got = read_all(text->get());
    text->reset();
    std::fclose(f);
    EXPECT_FALSE(got.second) << *error;
    return got.first;
  };
  // Windows-1252: Latin-1's letters, and its own signs at 0x80-0x9F (the five it leaves
  // undefined, the control characters of their numbers).
  EXPECT_EQ(
      read("model,tag\ngpt-4o,caf\xE9 \x80 \x93x\x94 \x9F \x81\xFF\n", TextEncoding::kWindows1252),
      "model,tag\ngpt-4o,caf\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cx\xE2\x80\x9D \xC5\xB8 "
      "\xC2\x81\xC3\xBF\n");
  // UTF-16 named: without a byte order mark, or with the one of its order (dropped).
  for (const bool little : {true, false}) {
    const TextEncoding named = little ? TextEncoding::kUtf16Le : TextEncoding::kUtf16Be;
    const std::string marked = testing::utf16(kText, little);
    EXPECT_EQ(read(marked.substr(2), named), kText);
    EXPECT_EQ(read(marked, named), kText);
  }
  // utf-8: as it is, a UTF-16 mark too (auto would decode it).
  const std::string marked = testing::utf16("a", true);
  EXPECT_EQ(read(marked, TextEncoding::kUtf8), marked);
  EXPECT_EQ(read(marked, TextEncoding::kAuto), "a");
}

}  // namespace
}  // namespace costops::compression
