#include "util/peek.h"

#include <algorithm>
#include <cstring>

namespace costops::util {
namespace {

struct Replay {
  std::string head;
  size_t pos = 0;
  std::FILE* rest = nullptr;
};

ssize_t replay_read(void* c, char* buf, size_t size) {
  auto* k = static_cast<Replay*>(c);
  if (k->pos < k->head.size()) {
    const size_t n = std::min(size, k->head.size() - k->pos);
    std::memcpy(buf, k->head.data() + k->pos, n);
    k->pos += n;
    return static_cast<ssize_t>(n);
  }
  const size_t n = std::fread(buf, 1, size, k->rest);
  return n == 0 && std::ferror(k->rest) ? -1 : static_cast<ssize_t>(n);
}

constexpr size_t kChunk = 64 * 1024;

struct Transformed {
  Transformed(FilePtr input, std::unique_ptr<Transform> t, std::shared_ptr<std::string> e)
      : in(std::move(input)), transform(std::move(t)), error(std::move(e)) {}
  FilePtr in;
  std::unique_ptr<Transform> transform;
  std::string out;  // transformed, not yet handed out
  size_t out_pos = 0;
  bool eof = false;
  bool failed = false;
  std::shared_ptr<std::string> error;
};

ssize_t transformed_read(void* c, char* buf, size_t size) {
  auto* k = static_cast<Transformed*>(c);
  while (k->out_pos == k->out.size()) {
    k->out.clear();
    k->out_pos = 0;
    if (k->failed) return -1;
    if (k->eof) return 0;
    std::string chunk(kChunk, '\0');
    const size_t n = std::fread(chunk.data(), 1, chunk.size(), k->in.get());
    chunk.resize(n);
    if (n == 0 && std::ferror(k->in.get())) return -1;
    k->eof = n == 0;
    const Status st = k->eof ? k->transform->finish(k->out) : k->transform->write(chunk, k->out);
    if (!st.is_ok()) {
      // What the transform gave before it failed is handed out first, then the failure.
      k->failed = true;
      if (k->error) *k->error = st.message();
    }
  }
  const size_t n = std::min(size, k->out.size() - k->out_pos);
  std::memcpy(buf, k->out.data() + k->out_pos, n);
  k->out_pos += n;
  return static_cast<ssize_t>(n);
}

// A stream reading through `cookie` with `read`; it owns the cookie.
template <class Cookie>
Result<FilePtr> open_cookie(std::unique_ptr<Cookie> cookie, cookie_read_function_t* read) {
  cookie_io_functions_t fns{};
  fns.read = read;
  fns.close = [](void* c) {
    delete static_cast<Cookie*>(c);
    return 0;
  };
  std::FILE* f = fopencookie(cookie.get(), "r", fns);
  if (f == nullptr) return io_error("cannot open a reader");
  cookie.release();
  return FilePtr(f, &std::fclose);
}

}  // namespace

FilePtr borrowed(std::FILE* f) {
  return FilePtr(f, [](std::FILE*) { return 0; });
}

Result<FilePtr> peek(std::FILE* in, size_t n, std::string* head) {
  head->resize(n);
  head->resize(std::fread(head->data(), 1, n, in));
  const bool failed = std::ferror(in) != 0;
  if (failed && head->empty()) return io_error("read error");
  // After a read error part way, the bytes before it are replayed, then the error.
  if (!failed && std::fseek(in, -static_cast<long>(head->size()), SEEK_CUR) == 0)
    return borrowed(in);
  auto replay = std::make_unique<Replay>();
  replay->head = *head;
  replay->rest = in;
  return open_cookie(std::move(replay), &replay_read);
}

Result<FilePtr> open_transformed(FilePtr in, std::unique_ptr<Transform> t,
                                 std::shared_ptr<std::string> error) {
  return open_cookie(std::make_unique<Transformed>(std::move(in), std::move(t), std::move(error)),
                     &transformed_read);
}

}  // namespace costops::util
