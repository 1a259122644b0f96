// MD5 as specified by RFC 1321 (section 3), and md5crypt as written by Poul-Henning Kamp
// for FreeBSD (the "$1$" format), which Apache's APR reuses with the magic "$apr1$".
#include "proxy/md5.h"

#include <algorithm>
#include <cstring>

namespace cuttle::proxy {

namespace {

// RFC 1321 3.4: T[i] = floor(2^32 * abs(sin(i + 1))).
constexpr uint32_t kT[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// Per-round shift amounts (RFC 1321 3.4, rounds 1 to 4).
constexpr int kS[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

constexpr uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

uint32_t load32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

Md5::Md5() : state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476} {}

void Md5::block(const uint8_t* p) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = load32le(p + 4 * i);
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  for (int i = 0; i < 64; ++i) {
    uint32_t f;
    int g;
    int round = i / 16;
    switch (round) {
      case 0:
        f = (b & c) | (~b & d);
        g = i;
        break;
      case 1:
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
        break;
      case 2:
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
        break;
      default:
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
        break;
    }
    uint32_t next = b + rotl(a + f + kT[i] + x[g], kS[round][i % 4]);
    a = d;
    d = c;
    c = b;
    b = next;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
}

void Md5::update(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  size_t used = length_ % 64;
  length_ += size;
  if (used != 0) {
    size_t take = std::min(size, 64 - used);
    std::memcpy(buffer_.data() + used, p, take);
    p += take;
    size -= take;
    if (used + take < 64) return;
    block(buffer_.data());
  }
  for (; size >= 64; p += 64, size -= 64) block(p);
  if (size != 0) std::memcpy(buffer_.data(), p, size);
}

Md5::Digest Md5::finish() {
  // RFC 1321 3.1-3.2: a 1 bit, zeros to 56 mod 64 bytes, then the bit length, little-endian.
  uint64_t bits = length_ * 8;
  static constexpr uint8_t kPad[64] = {0x80};
  size_t used = length_ % 64;
  update(kPad, used < 56 ? 56 - used : 120 - used);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (8 * i));
  update(len, 8);
  Digest out;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(state_[i] >> (8 * j));
  }
  return out;
}

Md5::Digest Md5::of(std::string_view data) {
  Md5 md5;
  md5.update(data);
  return md5.finish();
}

std::string Md5::hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string md5Crypt(std::string_view password, std::string_view setting) {
  std::string_view magic;
  for (std::string_view m : {std::string_view("$1$"), std::string_view("$apr1$")}) {
    if (setting.substr(0, m.size()) == m) magic = m;
  }
  if (magic.empty()) return "";
  std::string_view salt = setting.substr(magic.size());
  salt = salt.substr(0, std::min(salt.find('$'), std::string_view::size_type{8}));

  Md5 ctx;
  ctx.update(password);
  ctx.update(magic);
  ctx.update(salt);
  Md5 alt;
  alt.update(password);
  alt.update(salt);
  alt.update(password);
  Md5::Digest final = alt.finish();
  for (size_t left = password.size(); left > 0; left -= std::min<size_t>(left, 16)) {
    ctx.update(final.data(), std::min<size_t>(left, 16));
  }
  // The original's odd step: for each bit of the length, a NUL byte when set, else the
  // first character of the password (kept for compatibility by every implementation).
  for (size_t i = password.size(); i != 0; i >>= 1) {
    if ((i & 1) != 0) {
      ctx.update("", 1);
    } else {
      ctx.update(password.data(), 1);
    }
  }
  final = ctx.finish();
  // 1000 rounds, meant to slow down brute force (in 1994).
  for (int i = 0; i < 1000; ++i) {
    Md5 round;
    if ((i & 1) != 0) {
      round.update(password);
    } else {
      round.update(final.data(), final.size());
    }
    if (i % 3 != 0) round.update(salt);
    if (i % 7 != 0) round.update(password);
    if ((i & 1) != 0) {
      round.update(final.data(), final.size());
    } else {
      round.update(password);
    }
    final = round.finish();
  }

  static constexpr char kItoa64[] =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(magic.size() + salt.size() + 1 + 22);
  out.append(magic).append(salt).push_back('$');
  auto to64 = [&out](uint32_t v, int n) {
    for (; n > 0; --n, v >>= 6) out.push_back(kItoa64[v & 0x3f]);
  };
  auto triple = [&final](int a, int b, int c) {
    return (static_cast<uint32_t>(final[a]) << 16) | (static_cast<uint32_t>(final[b]) << 8) |
           final[c];
  };
  to64(triple(0, 6, 12), 4);
  to64(triple(1, 7, 13), 4);
  to64(triple(2, 8, 14), 4);
  to64(triple(3, 9, 15), 4);
  to64(triple(4, 10, 5), 4);
  to64(final[11], 2);
  return out;
}

}  // namespace cuttle::proxy
