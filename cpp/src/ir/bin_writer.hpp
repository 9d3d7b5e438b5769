// Streams constant blobs into the .bin: 64-byte aligned offsets, identical blobs stored once,
// f32/f64 -> f16 conversion done chunk by chunk while writing.
//
// The writer is a two-stage pipeline: the calling thread converts (or copies) into 8 MiB staging
// buffers, each one an aligned window of the file, and a second thread writes full windows with
// O_DIRECT (no copy into the page cache: on virtual machines that copy, not the disk, is what makes
// large buffered writes slow) while the next window is being filled; the last partial window is
// written through the page cache. Pages of read-only file-mapped sources are dropped from this
// process once consumed (they stay in the page cache), so peak memory stays near the staging
// buffers, not the model.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "irconv/tensor.hpp"

namespace irconv {

class BinWriter {
 public:
  explicit BinWriter(const std::string& path);
  ~BinWriter();
  BinWriter(const BinWriter&) = delete;
  BinWriter& operator=(const BinWriter&) = delete;

  // f16: the blob holds f16 values (compression was asked for and the values fit f16).
  struct Blob { uint64_t offset; uint64_t size; bool dedup; bool f16; };
  // Writes t's bytes as they are, or f16-converted when to_f16 (f32/f64 only) — unless at least
  // 75% of the values do not fit f16 (overflow, or underflow to zero), as OpenVINO's
  // CompressFloatConstants decides: then the blob is stored as it is and Blob::f16 is false.
  Blob write(const Tensor& t, bool to_f16);
  uint64_t size() const { return pos_; }
  void close();  // flushes, waits for the writer thread; throws Error on I/O failure

 private:
  struct Job { uint64_t off; uint64_t n; int buf; };
  void put(const void* p, uint64_t n, const Tensor* src);
  void pad_to(uint64_t align);
  uint8_t* window(uint64_t* room);   // free space of the current window (acquires a buffer)
  void window_full();                // hands the full current window to the writer thread
  void push(const Job& j);
  void drain();                      // waits until every handed-over window is written
  void writer_loop();
  void stop_thread();
  void check_error();
  void rewind(uint64_t offset);
  bool write_f16(const Tensor& t);  // false: declined (values do not fit f16)

  int fd_ = -1;             // buffered
  int dfd_ = -1;            // O_DIRECT, -1 when the file system refuses it
  std::string path_;
  uint64_t pos_ = 0;        // logical end of the file
  uint64_t extent_ = 0;     // furthest byte handed to the writer (> pos_ after a rewind)
  // staging buffers: buffer i holds the window [off, off + kWindow) of the file
  std::vector<uint8_t*> bufs_;
  std::vector<int> free_;
  int cur_ = -1;            // buffer of the window being filled (window start = pos_ rounded down)
  // writer thread
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_jobs_, cv_done_;
  std::deque<Job> jobs_;
  int inflight_ = 0;
  bool stop_ = false;
  int error_ = 0;           // first errno of a failed write
  // deduplication: blobs keyed by a sampled fingerprint, confirmed by memcmp
  struct Key { uint64_t fp; uint64_t size; bool f16; bool operator==(const Key& o) const { return fp == o.fp && size == o.size && f16 == o.f16; } };
  struct KeyHash { size_t operator()(const Key& k) const { return (size_t)(k.fp ^ (k.size * 0x9e3779b97f4a7c15ull) ^ k.f16); } };
  struct Seen { const Tensor* src; Blob blob; };
  std::unordered_map<Key, std::vector<Seen>, KeyHash> seen_;
};

// Fast 64-bit hash of a byte range.
uint64_t hash_bytes(const uint8_t* p, uint64_t n);
// f32 -> f16 (round to nearest even) with values clamped to the f16 range (NaN stays NaN);
// returns how many inputs do not fit f16 (|v| > 65504, or nonzero |v| below the smallest f16
// subnormal). F16C when the CPU has it (runtime dispatch), a portable branch-free loop otherwise;
// both give the same bits. IRCONV_NO_F16C=1 forces the portable loop.
uint64_t f32_to_f16_count(const float* src, uint16_t* dst, uint64_t n);

}  // namespace irconv
