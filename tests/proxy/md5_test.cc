#include "proxy/md5.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cuttle::proxy {
namespace {

// RFC 1321 A.5 test suite.
TEST(AuthMd5Test, Rfc1321Vectors) {
  EXPECT_EQ(Md5::hex(Md5::of("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5::hex(Md5::of("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Md5::hex(Md5::of("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5::hex(Md5::of("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5::hex(Md5::of("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Md5::hex(Md5::of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Md5::hex(Md5::of("1234567890123456789012345678901234567890123456789012345678901234"
                             "5678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(AuthMd5Test, IncrementalUpdatesMatchOneShot) {
  std::string text;
  for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>('a' + i % 26));
  for (size_t split : {0, 1, 55, 56, 63, 64, 65, 127, 128, 299}) {
    Md5 md5;
    md5.update(std::string_view(text).substr(0, split));
    md5.update(std::string_view(text).substr(split));
    EXPECT_EQ(md5.finish(), Md5::of(text)) << split;
  }
}

// Vectors made by `openssl passwd -apr1 -salt SALT PASSWORD` (Apache's algorithm, the one
// `htpasswd -m` uses).
TEST(AuthMd5Test, Apr1KnownVectors) {
  EXPECT_EQ(md5Crypt("secret", "$apr1$abcdefgh$"), "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/");
  EXPECT_EQ(md5Crypt("", "$apr1$abcdefgh"), "$apr1$abcdefgh$L.PT565ESX4Tp2bqNs7Ie.");
  EXPECT_EQ(md5Crypt("password with spaces and a long tail 0123456789", "$apr1$abcdefgh$"),
            "$apr1$abcdefgh$zz8v7XQmA58TfvznHlWV./");
  EXPECT_EQ(md5Crypt("p\xc3\xa4ssw\xc3\xb6rd", "$apr1$abcdefgh$"),
            "$apr1$abcdefgh$030j6I3f1zNCF9tihqdd11");
  EXPECT_EQ(md5Crypt("secret", "$apr1$xy$"), "$apr1$xy$94JxxwMvxqQwA3Iid6OL9.");
  EXPECT_EQ(md5Crypt("hunter2", "$apr1$Q/12.Zz9$"), "$apr1$Q/12.Zz9$qh2HLwl.UIze9s5dFp72I0");
  EXPECT_EQ(md5Crypt(std::string(100, 'a'), "$apr1$ABCDEFGH$"),
            "$apr1$ABCDEFGH$rfU956MsVv3yiB59t0QtX/");
}

TEST(AuthMd5Test, Apr1SaltIsCutAtEightCharactersAndTheStoredChecksumIgnored) {
  EXPECT_EQ(md5Crypt("secret", "$apr1$abcdefghijk$whatever"),
            "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/");
  EXPECT_EQ(md5Crypt("secret", "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"),
            "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/");
}

TEST(AuthMd5Test, Md5CryptMatchesLibxcrypt) {
  auto data = std::make_unique<crypt_data>();
  for (const char* password : {"", "x", "secret", "0123456789abcdef", "0123456789abcdefg",
                               "a much longer password, well past two MD5 blocks of sixteen"}) {
    for (const char* salt : {"$1$abcdefgh$", "$1$x$", "$1$./AZaz09$"}) {
      const char* expected = crypt_r(password, salt, data.get());
      ASSERT_NE(expected, nullptr);
      EXPECT_EQ(md5Crypt(password, salt), expected) << password << " " << salt;
    }
  }
}

TEST(AuthMd5Test, OtherSettingsAreRefused) {
  EXPECT_EQ(md5Crypt("secret", "$6$abc$"), "");
  EXPECT_EQ(md5Crypt("secret", "apr1$abc$"), "");
  EXPECT_EQ(md5Crypt("secret", ""), "");
}

}  // namespace
}  // namespace cuttle::proxy
