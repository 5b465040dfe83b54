#include "platform/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace tachyon::platform {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// `n` base62 characters, each uniform: bytes of 248 and above are redrawn, so every character
// keeps log2(62) bits of entropy with no modulo bias.
Result<std::string> random_base62(size_t n) {
  std::string out;
  out.reserve(n);
  uint8_t buffer[64];
  while (out.size() < n) {
    if (RAND_bytes(buffer, sizeof buffer) != 1)
      return make_error(ErrorKind::Internal, "the system random number generator failed");
    for (uint8_t b : buffer) {
      if (b >= 248 || out.size() == n) continue;
      out.push_back(kBase62[b % 62]);
    }
  }
  return out;
}

}  // namespace

Result<std::string> generate_secret() {
  auto body = random_base62(40);
  if (!body) return body.error();
  return "tk-" + *body;
}

Result<std::string> generate_key_id() {
  auto body = random_base62(16);
  if (!body) return body.error();
  return "key_" + *body;
}

Result<std::string> generate_job_id() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) return make_error(ErrorKind::Internal, "the system random number generator failed");
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

SecretHash hash_secret(std::string_view secret) {
  SecretHash hash{};
  unsigned int n = 0;
  EVP_Digest(secret.data(), secret.size(), hash.data(), &n, EVP_sha256(), nullptr);
  return hash;
}

bool hashes_equal(const SecretHash& a, const SecretHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(const SecretHash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : hash) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Result<SecretHash> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  SecretHash hash{};
  if (hex.size() != 64) return make_error(ErrorKind::Internal, "stored key hash has {} characters, not 64", hex.size());
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorKind::Internal, "stored key hash is not lower-case hex");
    hash[i] = uint8_t(hi << 4 | lo);
  }
  return hash;
}

std::string secret_hint(std::string_view secret) {
  return std::string(secret.size() <= 4 ? secret : secret.substr(secret.size() - 4));
}

}  // namespace tachyon::platform
