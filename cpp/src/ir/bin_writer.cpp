#include "bin_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "irconv/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IRCONV_X86 1
#endif

namespace irconv {

namespace {

constexpr uint32_t kF16MaxBits = 0x477fe000u;   // 65504.f
constexpr uint32_t kF16MinSubBits = 0x33800000u;  // 2^-24, the smallest f16 subnormal
constexpr uint32_t kInfBits = 0x7f800000u;

inline uint32_t bits_of(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float float_of(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// Portable f32 -> f16, branch-free so that compilers vectorize it with the baseline ISA:
// clamp to +-65504, round to nearest even (subnormals through a float add that rounds like the
// hardware does), NaN -> quiet NaN keeping the top payload bits (what F16C produces).
uint64_t f32_to_f16_portable(const float* src, uint16_t* dst, uint64_t n) {
  const float magic = float_of(((127 - 15) + (23 - 10) + 1) << 23);  // 0.5: aligns subnormal bits
  const uint32_t magic_u = bits_of(magic);
  uint64_t bad = 0;
  for (uint64_t i0 = 0; i0 < n; i0 += (1u << 30)) {
    const uint64_t m = std::min<uint64_t>(n - i0, 1u << 30);
    // the source may be unaligned (a view into a protobuf or an mmap): bytes, loaded by memcpy
    const unsigned char* s = reinterpret_cast<const unsigned char*>(src) + 4 * i0;
    uint16_t* d = dst + i0;
    uint32_t cnt = 0;
    for (uint64_t i = 0; i < m; ++i) {  // masks instead of branches, signed compares: vectorizes on SSE2
      uint32_t x;
      std::memcpy(&x, s + 4 * i, 4);
      uint32_t sign = x & 0x80000000u;
      int32_t ax = (int32_t)(x & 0x7fffffffu);
      uint32_t big = 0u - (uint32_t)((ax > (int32_t)kF16MaxBits) & (ax <= (int32_t)kInfBits));
      uint32_t tiny = 0u - (uint32_t)((ax != 0) & (ax < (int32_t)kF16MinSubBits));
      cnt += (big | tiny) & 1u;
      uint32_t c = (kF16MaxBits & big) | ((uint32_t)ax & ~big);
      uint32_t is_nan = 0u - (uint32_t)((int32_t)c > (int32_t)kInfBits);
      uint32_t is_sub = 0u - (uint32_t)((int32_t)c < 0x38800000);
      uint32_t nan_r = 0x7e00u | ((c >> 13) & 0x3ffu);
      uint32_t sub_r = bits_of(float_of(c) + magic) - magic_u;
      uint32_t norm_r = (c + 0xc8000fffu + ((c >> 13) & 1u)) >> 13;  // rebias exponent (-112 << 23), round
      uint32_t r = (nan_r & is_nan) | (~is_nan & ((sub_r & is_sub) | (norm_r & ~is_sub)));
      d[i] = (uint16_t)(r | (sign >> 16));
    }
    bad += cnt;
  }
  return bad;
}

#ifdef IRCONV_X86
__attribute__((target("avx,f16c,popcnt"))) uint64_t f32_to_f16_f16c(const float* src, uint16_t* dst, uint64_t n) {
  const __m256 hi = _mm256_set1_ps(65504.f), lo = _mm256_set1_ps(-65504.f);
  const __m256 minsub = _mm256_set1_ps(float_of(kF16MinSubBits)), zero = _mm256_setzero_ps();
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  uint64_t bad = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 v0 = _mm256_loadu_ps(src + i), v1 = _mm256_loadu_ps(src + i + 8);
    __m256 a0 = _mm256_and_ps(v0, absmask), a1 = _mm256_and_ps(v1, absmask);
    __m256 b0 = _mm256_or_ps(_mm256_cmp_ps(a0, hi, _CMP_GT_OQ),
                             _mm256_and_ps(_mm256_cmp_ps(a0, minsub, _CMP_LT_OQ), _mm256_cmp_ps(a0, zero, _CMP_NEQ_OQ)));
    __m256 b1 = _mm256_or_ps(_mm256_cmp_ps(a1, hi, _CMP_GT_OQ),
                             _mm256_and_ps(_mm256_cmp_ps(a1, minsub, _CMP_LT_OQ), _mm256_cmp_ps(a1, zero, _CMP_NEQ_OQ)));
    bad += (uint64_t)_mm_popcnt_u32((unsigned)(_mm256_movemask_ps(b0) | (_mm256_movemask_ps(b1) << 8)));
    v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));  // NaN passes through (second operand)
    v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(v0, _MM_FROUND_TO_NEAREST_INT));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 8), _mm256_cvtps_ph(v1, _MM_FROUND_TO_NEAREST_INT));
  }
  return bad + f32_to_f16_portable(src + i, dst + i, n - i);
}
#endif

bool use_f16c() {
#ifdef IRCONV_X86
  static const bool yes = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx") &&
                          __builtin_cpu_supports("popcnt") && !(std::getenv("IRCONV_NO_F16C") &&
                                                                std::getenv("IRCONV_NO_F16C")[0] == '1');
  return yes;
#else
  return false;
#endif
}

uint64_t f64_to_f16_count(const double* src, uint16_t* dst, uint64_t n) {
  uint64_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    double v;
    std::memcpy(&v, src + i, 8);
    double a = std::fabs(v);
    if (a > 65504.0 || (a < 5.9604644775390625e-08 && a != 0.0)) ++bad;
    if (v > 65504.0) v = 65504.0;
    else if (v < -65504.0) v = -65504.0;
    dst[i] = f32_to_f16((float)v);
  }
  return bad;
}

// Sampled fingerprint for deduplication: the whole range when small, else its head, tail and 64
// words spread over it. Equal fingerprints are confirmed by memcmp, so this only has to make
// different blobs of the same size rarely collide, without reading every byte.
uint64_t fingerprint(const uint8_t* p, uint64_t n) {
  if (n <= 8192) return hash_bytes(p, n);
  uint64_t s[64];
  for (uint64_t i = 0; i < 64; ++i) std::memcpy(&s[i], p + (n - 8) / 65 * (i + 1), 8);
  uint64_t h = hash_bytes(p, 2048) ^ (hash_bytes(p + n - 2048, 2048) * 0x9e3779b97f4a7c15ull);
  return h ^ (hash_bytes(reinterpret_cast<const uint8_t*>(s), sizeof s) * 0xff51afd7ed558ccdull);
}

// Drops this process's pages of a read-only file mapping (whole pages inside [p, p+n) only).
void release_pages(const uint8_t* p, uint64_t n) {
  static const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t a = ((uint64_t)(uintptr_t)p + page - 1) / page * page;
  uint64_t e = ((uint64_t)(uintptr_t)p + n) / page * page;
  if (e > a) madvise(reinterpret_cast<void*>(a), e - a, MADV_DONTNEED);
}

constexpr uint64_t kAlign = 64;
constexpr uint64_t kWindow = 8u << 20;      // staging buffer = one aligned window of the file
constexpr int kNumBufs = 4;
constexpr uint64_t kReleaseStep = 8u << 20; // source bytes consumed between two page releases

}  // namespace

uint64_t f32_to_f16_count(const float* src, uint16_t* dst, uint64_t n) {
#ifdef IRCONV_X86
  if (use_f16c()) return f32_to_f16_f16c(src, dst, n);
#endif
  return f32_to_f16_portable(src, dst, n);
}

uint64_t hash_bytes(const uint8_t* p, uint64_t n) {
  const uint64_t m = 0xff51afd7ed558ccdull;
  uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    h = (h ^ (v * 0x9e3779b97f4a7c15ull)) * m;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 33;
  return h;
}

BinWriter::BinWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);  // read: rewind
  IRCONV_CHECK(fd_ >= 0, "cannot create '" << path << "': " << std::strerror(errno));
#ifdef O_DIRECT
  if (!(std::getenv("IRCONV_NO_DIRECT_IO") && std::getenv("IRCONV_NO_DIRECT_IO")[0] == '1'))
    dfd_ = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);  // -1: not supported here
#endif
  bufs_.assign(kNumBufs, nullptr);
  for (int i = kNumBufs - 1; i >= 0; --i) free_.push_back(i);
  thread_ = std::thread([this] { writer_loop(); });
}

BinWriter::~BinWriter() {
  stop_thread();
  if (fd_ >= 0) ::close(fd_);
  if (dfd_ >= 0) ::close(dfd_);
  for (uint8_t* b : bufs_) std::free(b);
}

void BinWriter::stop_thread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_jobs_.notify_one();
  thread_.join();
}

void BinWriter::writer_loop() {
  for (;;) {
    Job j;
    bool failed;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_jobs_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      j = jobs_.front();
      jobs_.pop_front();
      failed = error_ != 0;
    }
    const uint8_t* p = bufs_[j.buf];
    // full windows go around the page cache; a file system without O_DIRECT gets buffered writes
    int fd = (j.n == kWindow && dfd_ >= 0) ? dfd_ : fd_;
    int err = 0;
    for (uint64_t done = 0; !failed && done < j.n;) {
      ssize_t w = ::pwrite(fd, p + done, j.n - done, (off_t)(j.off + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL && fd == dfd_ && done == 0) {
        fd = fd_;
        continue;
      }
      if (w <= 0) { err = w < 0 ? errno : EIO; break; }
      done += (uint64_t)w;
    }
    std::lock_guard<std::mutex> lk(mu_);
    if (err && !error_) error_ = err;
    free_.push_back(j.buf);
    --inflight_;
    cv_done_.notify_all();
  }
}

void BinWriter::push(const Job& j) {
  extent_ = std::max(extent_, j.off + j.n);
  {
    std::lock_guard<std::mutex> lk(mu_);
    jobs_.push_back(j);
    ++inflight_;
  }
  cv_jobs_.notify_one();
}

void BinWriter::drain() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_done_.wait(lk, [&] { return inflight_ == 0; });
}

void BinWriter::check_error() {
  int e;
  {
    std::lock_guard<std::mutex> lk(mu_);
    e = error_;
  }
  IRCONV_CHECK(e == 0, "write to '" << path_ << "' failed: " << std::strerror(e));
}

uint8_t* BinWriter::window(uint64_t* room) {
  if (cur_ < 0) {
    check_error();
    std::unique_lock<std::mutex> lk(mu_);
    cv_done_.wait(lk, [&] { return !free_.empty(); });
    cur_ = free_.back();
    free_.pop_back();
    lk.unlock();
    if (!bufs_[cur_]) {
      void* p = nullptr;
      IRCONV_CHECK(posix_memalign(&p, 4096, kWindow) == 0, "out of memory for the .bin staging buffers");
      bufs_[cur_] = static_cast<uint8_t*>(p);
    }
  }
  uint64_t used = pos_ % kWindow;
  *room = kWindow - used;
  return bufs_[cur_] + used;
}

void BinWriter::window_full() {
  push(Job{pos_ - kWindow, kWindow, cur_});
  cur_ = -1;
}

void BinWriter::put(const void* p, uint64_t n, const Tensor* src) {
  const uint8_t* s = static_cast<const uint8_t*>(p);
  const uint8_t* released = s;
  while (n > 0) {
    uint64_t room;
    uint8_t* d = window(&room);
    uint64_t m = std::min(room, n);
    std::memcpy(d, s, m);
    pos_ += m;
    s += m;
    n -= m;
    if (pos_ % kWindow == 0) window_full();
    if (src && src->file_mapped && ((uint64_t)(s - released) >= kReleaseStep || n == 0)) {
      release_pages(released, (uint64_t)(s - released));
      released = s;
    }
  }
}

void BinWriter::pad_to(uint64_t align) {
  static const uint8_t zeros[kAlign] = {0};
  put(zeros, (align - pos_ % align) % align, nullptr);
}

// Forgets everything from `offset` on (a blob being replaced); later writes overwrite it in the
// file and close() truncates what lies past the end.
void BinWriter::rewind(uint64_t offset) {
  uint64_t w = offset / kWindow * kWindow;
  if (cur_ >= 0 && pos_ / kWindow * kWindow == w) {  // still in the window being filled
    pos_ = offset;
    return;
  }
  // the window holding `offset` was handed over: read its head back once it is written
  drain();
  check_error();
  pos_ = w;
  uint64_t room;
  uint8_t* d = window(&room);
  for (uint64_t done = 0; done < offset - w;) {
    ssize_t r = ::pread(fd_, d + done, offset - w - done, (off_t)(w + done));
    if (r < 0 && errno == EINTR) continue;
    IRCONV_CHECK(r > 0, "cannot read back '" << path_ << "' at offset " << (w + done) << ": "
                                             << (r < 0 ? std::strerror(errno) : "end of file"));
    done += (uint64_t)r;
  }
  pos_ = offset;
}

bool BinWriter::write_f16(const Tensor& t) {
  const uint64_t n = t.numel();
  const uint64_t esize = t.et == ET::f64 ? 8 : 4;
  uint64_t bad = 0, i = 0, released = 0;
  while (i < n) {
    uint64_t room;
    uint8_t* d = window(&room);
    uint64_t m = std::min(room / 2, n - i);
    uint16_t* dst = reinterpret_cast<uint16_t*>(d);  // even offset: blobs start 64-byte aligned
    if (t.et == ET::f32) bad += f32_to_f16_count(t.as<float>() + i, dst, m);
    else bad += f64_to_f16_count(t.as<double>() + i, dst, m);
    pos_ += 2 * m;
    i += m;
    if (pos_ % kWindow == 0) window_full();
    if (t.file_mapped && ((i - released) * esize >= kReleaseStep || i == n)) {
      release_pages(t.data + released * esize, (i - released) * esize);
      released = i;
    }
  }
  // as OpenVINO's CompressFloatConstants: keep the original type when >= 75% do not fit f16
  return n == 0 || (double)bad / (double)n < 0.75;
}

BinWriter::Blob BinWriter::write(const Tensor& t, bool to_f16) {
  check_error();
  to_f16 = to_f16 && (t.et == ET::f32 || t.et == ET::f64);
  Key key{fingerprint(t.data, t.nbytes), t.nbytes, to_f16};
  auto& bucket = seen_[key];
  for (auto& s : bucket)
    if (s.src->nbytes == t.nbytes && s.src->et == t.et &&
        (t.nbytes == 0 || std::memcmp(s.src->data, t.data, t.nbytes) == 0))
      return Blob{s.blob.offset, s.blob.size, true, s.blob.f16};
  pad_to(kAlign);
  Blob b{pos_, 0, false, to_f16};
  if (t.nbytes == 0 || t.numel() == 0) {
    // An empty constant still gets one byte: the IR reader refuses size="0" (null data).
    static const uint8_t zero = 0;
    put(&zero, 1, nullptr);
    b.size = 1;
    bucket.push_back(Seen{&t, b});
    return b;
  }
  if (to_f16 && !write_f16(t)) {
    rewind(b.offset);
    b.f16 = false;
  }
  if (!b.f16) put(t.data, t.nbytes, &t);
  b.size = pos_ - b.offset;
  bucket.push_back(Seen{&t, b});
  return b;
}

void BinWriter::close() {
  if (fd_ < 0) return;
  if (cur_ >= 0 && pos_ % kWindow != 0) {  // the last, partial window: through the page cache
    push(Job{pos_ / kWindow * kWindow, pos_ % kWindow, cur_});
    cur_ = -1;
  }
  stop_thread();
  check_error();
  if (extent_ > pos_) IRCONV_CHECK(::ftruncate(fd_, (off_t)pos_) == 0, "cannot truncate '" << path_ << "': " << std::strerror(errno));
  int r = ::close(fd_);
  fd_ = -1;
  if (dfd_ >= 0) ::close(dfd_);
  dfd_ = -1;
  IRCONV_CHECK(r == 0, "write to '" << path_ << "' failed: " << std::strerror(errno));
}

}  // namespace irconv
