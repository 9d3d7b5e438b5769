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
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t x = bits_of(src[i]);
    uint32_t sign = x & 0x80000000u;
    uint32_t ax = x ^ sign;
    bool big = ax > kF16MaxBits && ax <= kInfBits;
    bad += (uint64_t)(big | (ax != 0 && ax < kF16MinSubBits));
    uint32_t c = big ? kF16MaxBits : ax;
    uint32_t nan_r = 0x7e00u | ((c >> 13) & 0x3ffu);
    uint32_t sub_r = bits_of(float_of(c) + magic) - magic_u;
    uint32_t norm_r = (c + 0xc8000fffu + ((c >> 13) & 1u)) >> 13;  // rebias exponent (-112 << 23), round
    uint32_t r = c > kInfBits ? nan_r : (c < 0x38800000u ? sub_r : norm_r);
    dst[i] = (uint16_t)(r | (sign >> 16));
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
constexpr uint64_t kBufSize = 4u << 20;     // staging buffer
constexpr int kNumBufs = 4;
constexpr uint64_t kDirectMin = 1u << 20;   // raw blobs from this size go to the file without staging
constexpr uint64_t kDirectPiece = 16u << 20;
constexpr uint64_t kReleaseStep = 8u << 20; // source bytes converted between two page releases

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
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  IRCONV_CHECK(fd_ >= 0, "cannot create '" << path << "': " << std::strerror(errno));
  bufs_.resize(kNumBufs);
  for (int i = 0; i < kNumBufs; ++i) free_.push_back(i);
  thread_ = std::thread([this] { writer_loop(); });
}

BinWriter::~BinWriter() {
  stop_thread();
  if (fd_ >= 0) ::close(fd_);
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
    int err = 0;
    for (uint64_t done = 0; !failed && done < j.n;) {
      ssize_t w = ::pwrite(fd_, j.p + done, j.n - done, (off_t)(j.off + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) { err = w < 0 ? errno : EIO; break; }
      done += (uint64_t)w;
    }
    if (j.rel) release_pages(j.rel, j.rel_n);
    std::lock_guard<std::mutex> lk(mu_);
    if (err && !error_) error_ = err;
    if (j.buf >= 0) {
      free_.push_back(j.buf);
      cv_free_.notify_one();
    }
  }
}

void BinWriter::push(const Job& j) {
  extent_ = std::max(extent_, j.off + j.n);
  {
    std::lock_guard<std::mutex> lk(mu_);
    jobs_.push_back(j);
  }
  cv_jobs_.notify_one();
}

void BinWriter::check_error() {
  int e;
  {
    std::lock_guard<std::mutex> lk(mu_);
    e = error_;
  }
  IRCONV_CHECK(e == 0, "write to '" << path_ << "' failed: " << std::strerror(e));
}

// Staging memory is laid out so that an address is congruent to its file offset modulo 64:
// 64-byte aligned blobs are 64-byte aligned in memory too.
static uint8_t* buf_base(std::vector<uint8_t>& v, uint64_t file_off) {
  if (v.empty()) v.resize(kBufSize + 2 * kAlign);
  uintptr_t a = ((uintptr_t)v.data() + kAlign - 1) / kAlign * kAlign;
  return reinterpret_cast<uint8_t*>(a) + file_off % kAlign;
}

uint8_t* BinWriter::staging(uint64_t* room) {
  if (cur_ >= 0 && cur_len_ == kBufSize) flush_staging();
  if (cur_ < 0) {
    check_error();
    std::unique_lock<std::mutex> lk(mu_);
    cv_free_.wait(lk, [&] { return !free_.empty(); });
    cur_ = free_.back();
    free_.pop_back();
    cur_len_ = 0;
    cur_off_ = pos_;
  }
  *room = kBufSize - cur_len_;
  return buf_base(bufs_[cur_], cur_off_) + cur_len_;
}

void BinWriter::flush_staging() {
  if (cur_ < 0 || cur_len_ == 0) return;
  push(Job{buf_base(bufs_[cur_], cur_off_), cur_len_, cur_off_, cur_, nullptr, 0});
  cur_ = -1;
  cur_len_ = 0;
}

void BinWriter::put(const void* p, uint64_t n) {
  const uint8_t* s = static_cast<const uint8_t*>(p);
  while (n > 0) {
    uint64_t room;
    uint8_t* d = staging(&room);
    uint64_t m = std::min(room, n);
    std::memcpy(d, s, m);
    cur_len_ += m;
    pos_ += m;
    s += m;
    n -= m;
  }
}

void BinWriter::pad_to(uint64_t align) {
  static const uint8_t zeros[kAlign] = {0};
  put(zeros, (align - pos_ % align) % align);
}

// Forgets everything from `offset` on (a blob being replaced); later writes overwrite it in the
// file (jobs are written in order) and close() truncates what lies past the end.
void BinWriter::rewind(uint64_t offset) {
  if (cur_ >= 0 && offset >= cur_off_) {
    cur_len_ = offset - cur_off_;
  } else if (cur_ >= 0) {
    std::lock_guard<std::mutex> lk(mu_);
    free_.push_back(cur_);
    cur_ = -1;
    cur_len_ = 0;
  }
  pos_ = offset;
}

bool BinWriter::write_f16(const Tensor& t) {
  const uint64_t n = t.numel();
  const uint64_t esize = t.et == ET::f64 ? 8 : 4;
  uint64_t bad = 0, i = 0, released = 0;
  while (i < n) {
    uint64_t room;
    uint8_t* d = staging(&room);
    uint64_t m = std::min(room / 2, n - i);
    if (m == 0) {  // one odd byte left in this buffer
      flush_staging();
      continue;
    }
    uint16_t* dst = reinterpret_cast<uint16_t*>(d);
    if (t.et == ET::f32) bad += f32_to_f16_count(t.as<float>() + i, dst, m);
    else bad += f64_to_f16_count(t.as<double>() + i, dst, m);
    cur_len_ += 2 * m;
    pos_ += 2 * m;
    i += m;
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
    put(&zero, 1);
    b.size = 1;
    bucket.push_back(Seen{&t, b});
    return b;
  }
  if (to_f16 && !write_f16(t)) {
    rewind(b.offset);
    b.f16 = false;
  }
  if (!b.f16) {
    if (t.nbytes < kDirectMin) {
      put(t.data, t.nbytes);
    } else {
      flush_staging();  // what is staged precedes the blob in the file
      for (uint64_t off = 0; off < t.nbytes; off += kDirectPiece) {
        uint64_t m = std::min(kDirectPiece, t.nbytes - off);
        push(Job{t.data + off, m, pos_, -1, t.file_mapped ? t.data + off : nullptr, t.file_mapped ? m : 0});
        pos_ += m;
      }
    }
  }
  b.size = pos_ - b.offset;
  bucket.push_back(Seen{&t, b});
  return b;
}

void BinWriter::close() {
  if (fd_ < 0) return;
  flush_staging();
  stop_thread();
  check_error();
  if (extent_ > pos_) IRCONV_CHECK(::ftruncate(fd_, (off_t)pos_) == 0, "cannot truncate '" << path_ << "': " << std::strerror(errno));
  int r = ::close(fd_);
  fd_ = -1;
  IRCONV_CHECK(r == 0, "write to '" << path_ << "' failed: " << std::strerror(errno));
}

}  // namespace irconv
