#include "bin_writer.hpp"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

#include "irconv/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IRCONV_X86 1
#endif

namespace irconv {

namespace {

// f32 -> f16 with clamping to the f16 range (NaN stays NaN), round to nearest even.
void f32_to_f16_scalar(const float* src, uint16_t* dst, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, src + i, 4);
    if (v > 65504.f) v = 65504.f;
    else if (v < -65504.f) v = -65504.f;
    dst[i] = f32_to_f16(v);
  }
}

#ifdef IRCONV_X86
__attribute__((target("avx,f16c"))) void f32_to_f16_f16c(const float* src, uint16_t* dst, uint64_t n) {
  const __m256 hi = _mm256_set1_ps(65504.f), lo = _mm256_set1_ps(-65504.f);
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));  // NaN passes through (second operand)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  f32_to_f16_scalar(src + i, dst + i, n - i);
}
#endif

void f32_to_f16_clamped(const float* src, uint16_t* dst, uint64_t n) {
#ifdef IRCONV_X86
  static const bool f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  if (f16c) return f32_to_f16_f16c(src, dst, n);
#endif
  f32_to_f16_scalar(src, dst, n);
}

}  // namespace

static constexpr uint64_t kAlign = 64;
static constexpr uint64_t kChunkElems = 1 << 20;

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
  f_ = std::fopen(path.c_str(), "wb");
  IRCONV_CHECK(f_, "cannot create '" << path << "': " << std::strerror(errno));
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 22);
}

BinWriter::~BinWriter() {
  if (f_) std::fclose(f_);
}

void BinWriter::put(const void* p, uint64_t n) {
  if (n == 0) return;
  IRCONV_CHECK(std::fwrite(p, 1, n, f_) == n, "write to '" << path_ << "' failed: " << std::strerror(errno));
  pos_ += n;
}

void BinWriter::pad_to(uint64_t align) {
  static const uint8_t zeros[kAlign] = {0};
  uint64_t pad = (align - pos_ % align) % align;
  put(zeros, pad);
}

BinWriter::Blob BinWriter::write(const Tensor& t, bool to_f16) {
  uint64_t n = t.numel();
  uint64_t size = to_f16 ? n * 2 : t.nbytes;
  Key key{hash_bytes(t.data, t.nbytes), t.nbytes, to_f16};
  auto& bucket = seen_[key];
  for (auto& s : bucket)
    if (s.src->nbytes == t.nbytes && s.src->et == t.et && std::memcmp(s.src->data, t.data, t.nbytes) == 0)
      return Blob{s.blob.offset, s.blob.size, true};
  pad_to(kAlign);
  if (size == 0) {
    // An empty constant still gets one byte: the IR reader refuses size="0" (null data).
    static const uint8_t zero = 0;
    Blob b{pos_, 1, false};
    put(&zero, 1);
    bucket.push_back(Seen{&t, b});
    return b;
  }
  Blob b{pos_, size, false};
  if (!to_f16) {
    put(t.data, t.nbytes);
  } else {
    scratch_.resize(std::min<uint64_t>(n, kChunkElems) * 2);
    uint16_t* dst = reinterpret_cast<uint16_t*>(scratch_.data());
    for (uint64_t i0 = 0; i0 < n; i0 += kChunkElems) {
      uint64_t m = std::min<uint64_t>(kChunkElems, n - i0);
      if (t.et == ET::f32) {
        f32_to_f16_clamped(t.as<float>() + i0, dst, m);
      } else {
        for (uint64_t i = 0; i < m; ++i) {
          double v = load_f64(t.et, t.data, i0 + i);
          if (v > 65504.0) v = 65504.0;
          else if (v < -65504.0) v = -65504.0;
          dst[i] = f32_to_f16((float)v);
        }
      }
      put(dst, m * 2);
    }
  }
  bucket.push_back(Seen{&t, b});
  release_source(t);
  return b;
}

// Blobs are read once: the pages of a file-mapped source are dropped from this process after
// writing (they stay in the page cache), so peak memory stays near the largest tensor instead of
// the whole model. Only for read-only file mappings: on anonymous memory MADV_DONTNEED would zero it.
void BinWriter::release_source(const Tensor& t) {
  static const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  if (!t.file_mapped || t.nbytes < 4 * page) return;
  uint64_t a = ((uint64_t)(uintptr_t)t.data + page - 1) / page * page;
  uint64_t e = ((uint64_t)(uintptr_t)t.data + t.nbytes) / page * page;
  if (e > a) madvise(reinterpret_cast<void*>(a), e - a, MADV_DONTNEED);
}

void BinWriter::close() {
  if (!f_) return;
  int a = std::fflush(f_);
  int b = std::fclose(f_);
  f_ = nullptr;
  IRCONV_CHECK(a == 0 && b == 0, "write to '" << path_ << "' failed: " << std::strerror(errno));
}

}  // namespace irconv
