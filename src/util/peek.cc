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

int replay_close(void* c) {
  delete static_cast<Replay*>(c);
  return 0;
}

int no_close(std::FILE*) { return 0; }

}  // namespace

Result<FilePtr> peek(std::FILE* in, size_t n, std::string* head) {
  head->resize(n);
  head->resize(std::fread(head->data(), 1, n, in));
  if (std::ferror(in)) return io_error("read error");
  if (std::fseek(in, -static_cast<long>(head->size()), SEEK_CUR) == 0)
    return FilePtr(in, &no_close);
  auto replay = std::make_unique<Replay>();
  replay->head = *head;
  replay->rest = in;
  cookie_io_functions_t fns{};
  fns.read = &replay_read;
  fns.close = &replay_close;
  std::FILE* f = fopencookie(replay.get(), "r", fns);
  if (f == nullptr) return io_error("cannot open a reader");
  replay.release();
  return FilePtr(f, &std::fclose);
}

}  // namespace costops::util
