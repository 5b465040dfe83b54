#pragma once
// API key secrets: how they are made (a CSPRNG), how they are kept (only a SHA-256 hash) and how
// a presented secret is checked (hash comparison in constant time). Callable from any thread.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tachyon::platform {

// SHA-256 of a secret; the only form in which a secret is stored or compared.
using SecretHash = std::array<uint8_t, 32>;

// A fresh secret: "tk-" followed by 40 base62 characters drawn from OpenSSL's CSPRNG
// (about 238 bits). Fails only when the CSPRNG cannot be seeded.
Result<std::string> generate_secret();

// A fresh key id: "key_" followed by 16 base62 characters. Ids are public; they name a key in
// `keys revoke`, in usage reports and in logs.
Result<std::string> generate_key_id();

// A fresh async job id: a random UUID (version 4), as Perplexity's async API returns them.
Result<std::string> generate_job_id();

SecretHash hash_secret(std::string_view secret);

// Equality of two hashes in time independent of where they differ.
bool hashes_equal(const SecretHash& a, const SecretHash& b);

// Lower-case hex, the form hashes take in the database.
std::string to_hex(const SecretHash& hash);
Result<SecretHash> from_hex(std::string_view hex);

// The last four characters of a secret, shown in listings so an operator can tell keys apart.
std::string secret_hint(std::string_view secret);

}  // namespace tachyon::platform
