#include "irconv/tensor.hpp"

#include <cmath>
#include <cstring>

#include "irconv/error.hpp"

namespace irconv {

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mant = x & 0x007fffffu;
  int32_t exp = (int32_t)((x >> 23) & 0xff);
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0));  // inf/nan
  int32_t e = exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);  // overflow -> inf
  if (e <= 0) {                                       // subnormal or zero
    if (e < -10) return (uint16_t)sign;
    mant |= 0x00800000u;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;  // may carry into exponent: fine
  return (uint16_t)half;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      int e = -1;
      do { ++e; mant <<= 1; } while (!(mant & 0x400u));
      x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);  // nan
  uint32_t rounding = 0x7fffu + ((x >> 16) & 1);
  return (uint16_t)((x + rounding) >> 16);
}

float bf16_to_f32(uint16_t h) {
  uint32_t x = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

namespace {
template <class T> T rd(const uint8_t* p, uint64_t i) { T v; std::memcpy(&v, p + i * sizeof(T), sizeof(T)); return v; }
template <class T> void wr(uint8_t* p, uint64_t i, T v) { std::memcpy(p + i * sizeof(T), &v, sizeof(T)); }
[[noreturn]] void not_plain(ET et) { throw Error(std::string("element type ") + et_name(et) + " is not supported here"); }

template <class T> T sat_cast(double v) {
  if (std::isnan(v)) return T(0);
  return static_cast<T>(v);
}
}  // namespace

double load_f64(ET et, const uint8_t* p, uint64_t i) {
  switch (et) {
    case ET::boolean: return p[i] ? 1.0 : 0.0;
    case ET::f16: return f16_to_f32(rd<uint16_t>(p, i));
    case ET::bf16: return bf16_to_f32(rd<uint16_t>(p, i));
    case ET::f32: return rd<float>(p, i);
    case ET::f64: return rd<double>(p, i);
    case ET::i8: return rd<int8_t>(p, i);
    case ET::i16: return rd<int16_t>(p, i);
    case ET::i32: return rd<int32_t>(p, i);
    case ET::i64: return (double)rd<int64_t>(p, i);
    case ET::u8: return rd<uint8_t>(p, i);
    case ET::u16: return rd<uint16_t>(p, i);
    case ET::u32: return rd<uint32_t>(p, i);
    case ET::u64: return (double)rd<uint64_t>(p, i);
    default: not_plain(et);
  }
}

int64_t load_i64(ET et, const uint8_t* p, uint64_t i) {
  switch (et) {
    case ET::boolean: return p[i] ? 1 : 0;
    case ET::i8: return rd<int8_t>(p, i);
    case ET::i16: return rd<int16_t>(p, i);
    case ET::i32: return rd<int32_t>(p, i);
    case ET::i64: return rd<int64_t>(p, i);
    case ET::u8: return rd<uint8_t>(p, i);
    case ET::u16: return rd<uint16_t>(p, i);
    case ET::u32: return rd<uint32_t>(p, i);
    case ET::u64: return (int64_t)rd<uint64_t>(p, i);
    case ET::f16: case ET::bf16: case ET::f32: case ET::f64: {
      double d = load_f64(et, p, i);
      if (std::isnan(d)) return 0;
      if (d >= 9.2233720368547758e18) return INT64_MAX;
      if (d <= -9.2233720368547758e18) return INT64_MIN;
      return (int64_t)d;
    }
    default: not_plain(et);
  }
}

void store_f64(ET et, uint8_t* p, uint64_t i, double v) {
  switch (et) {
    case ET::boolean: p[i] = v != 0.0 ? 1 : 0; return;
    case ET::f16: wr<uint16_t>(p, i, f32_to_f16((float)v)); return;
    case ET::bf16: wr<uint16_t>(p, i, f32_to_bf16((float)v)); return;
    case ET::f32: wr<float>(p, i, (float)v); return;
    case ET::f64: wr<double>(p, i, v); return;
    case ET::i8: wr<int8_t>(p, i, sat_cast<int8_t>(v)); return;
    case ET::i16: wr<int16_t>(p, i, sat_cast<int16_t>(v)); return;
    case ET::i32: wr<int32_t>(p, i, sat_cast<int32_t>(v)); return;
    case ET::i64: wr<int64_t>(p, i, sat_cast<int64_t>(v)); return;
    case ET::u8: wr<uint8_t>(p, i, sat_cast<uint8_t>(v)); return;
    case ET::u16: wr<uint16_t>(p, i, sat_cast<uint16_t>(v)); return;
    case ET::u32: wr<uint32_t>(p, i, sat_cast<uint32_t>(v)); return;
    case ET::u64: wr<uint64_t>(p, i, sat_cast<uint64_t>(v)); return;
    default: not_plain(et);
  }
}

void store_i64(ET et, uint8_t* p, uint64_t i, int64_t v) {
  switch (et) {
    case ET::boolean: p[i] = v != 0 ? 1 : 0; return;
    case ET::i8: wr<int8_t>(p, i, (int8_t)v); return;
    case ET::i16: wr<int16_t>(p, i, (int16_t)v); return;
    case ET::i32: wr<int32_t>(p, i, (int32_t)v); return;
    case ET::i64: wr<int64_t>(p, i, v); return;
    case ET::u8: wr<uint8_t>(p, i, (uint8_t)v); return;
    case ET::u16: wr<uint16_t>(p, i, (uint16_t)v); return;
    case ET::u32: wr<uint32_t>(p, i, (uint32_t)v); return;
    case ET::u64: wr<uint64_t>(p, i, (uint64_t)v); return;
    case ET::f16: case ET::bf16: case ET::f32: case ET::f64: store_f64(et, p, i, (double)v); return;
    default: not_plain(et);
  }
}

uint64_t Tensor::numel() const {
  uint64_t n = 1;
  for (auto d : shape) n *= (uint64_t)d;
  return n;
}

Tensor Tensor::owned(ET et, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
  auto buf = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  Tensor t;
  t.et = et;
  t.shape = std::move(shape);
  t.data = buf->data();
  t.nbytes = buf->size();
  t.owner = buf;
  return t;
}

Tensor Tensor::zeros(ET et, std::vector<int64_t> shape) {
  uint64_t n = 1;
  for (auto d : shape) {
    IRCONV_CHECK(d >= 0, "tensor shape has a negative dimension");
    n *= (uint64_t)d;
  }
  IRCONV_CHECK(et != ET::string && et != ET::dynamic, "cannot allocate a " << et_name(et) << " tensor");
  return owned(et, std::move(shape), std::vector<uint8_t>(et_bytes(et, n), 0));
}

uint8_t* Tensor::mutable_data() {
  auto buf = std::static_pointer_cast<const std::vector<uint8_t>>(owner);
  IRCONV_CHECK(buf && buf->data() == data, "tensor does not own its data");
  return const_cast<uint8_t*>(data);
}

double Tensor::get_f64(uint64_t i) const { return load_f64(et, data, i); }
int64_t Tensor::get_i64(uint64_t i) const { return load_i64(et, data, i); }

std::vector<int64_t> Tensor::to_i64() const {
  uint64_t n = numel();
  std::vector<int64_t> r(n);
  for (uint64_t i = 0; i < n; ++i) r[i] = load_i64(et, data, i);
  return r;
}

std::vector<double> Tensor::to_f64() const {
  uint64_t n = numel();
  std::vector<double> r(n);
  for (uint64_t i = 0; i < n; ++i) r[i] = load_f64(et, data, i);
  return r;
}

Tensor Tensor::from_i64(ET et, std::vector<int64_t> shape, const std::vector<int64_t>& v) {
  Tensor t = zeros(et, std::move(shape));
  IRCONV_CHECK(t.numel() == v.size(), "from_i64: " << v.size() << " values for " << t.numel() << " elements");
  uint8_t* d = t.mutable_data();
  for (size_t i = 0; i < v.size(); ++i) store_i64(et, d, i, v[i]);
  return t;
}

Tensor Tensor::from_f64(ET et, std::vector<int64_t> shape, const std::vector<double>& v) {
  Tensor t = zeros(et, std::move(shape));
  IRCONV_CHECK(t.numel() == v.size(), "from_f64: " << v.size() << " values for " << t.numel() << " elements");
  uint8_t* d = t.mutable_data();
  for (size_t i = 0; i < v.size(); ++i) store_f64(et, d, i, v[i]);
  return t;
}

}  // namespace irconv
