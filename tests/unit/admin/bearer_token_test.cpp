#include "admin/bearer_token.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace fulcrum::admin {
namespace bearer_token_test {

std::string write_temp(const std::string& content) {
  char path[] = "/tmp/fulcrum-token-XXXXXX";
  int fd = ::mkstemp(path);
  ::close(fd);
  std::ofstream(path) << content;
  return path;
}

TEST(BearerToken, AcceptsOnlyTheExactTokenAfterTheBearerScheme) {
  BearerToken token("abc123");
  EXPECT_TRUE(token.accepts("Bearer abc123"));
  EXPECT_TRUE(token.accepts("bearer abc123"));
  EXPECT_TRUE(token.accepts("BEARER abc123 "));
  EXPECT_FALSE(token.accepts("Bearer abc12"));
  EXPECT_FALSE(token.accepts("Bearer abc1234"));
  EXPECT_FALSE(token.accepts("Bearer ABC123"));
  EXPECT_FALSE(token.accepts("Basic abc123"));
  EXPECT_FALSE(token.accepts("abc123"));
  EXPECT_FALSE(token.accepts(""));
  EXPECT_FALSE(token.accepts("Bearer "));
}

TEST(BearerToken, ReadsTheFirstLineTrimmedAndRefusesEmptyOrMissingFiles) {
  const std::string good = write_temp("  s3cret \nsecond line ignored\n");
  std::string error;
  auto token = BearerToken::read_file(good, error);
  ASSERT_TRUE(token) << error;
  EXPECT_TRUE(token->accepts("Bearer s3cret"));
  std::remove(good.c_str());

  const std::string empty = write_temp("\n");
  EXPECT_FALSE(BearerToken::read_file(empty, error));
  EXPECT_NE(error.find("no token"), std::string::npos) << error;
  std::remove(empty.c_str());

  const std::string spaced = write_temp("two words\n");
  EXPECT_FALSE(BearerToken::read_file(spaced, error));
  std::remove(spaced.c_str());

  EXPECT_FALSE(BearerToken::read_file("/nonexistent/token", error));
  EXPECT_NE(error.find("/nonexistent/token"), std::string::npos);
}

}  // namespace bearer_token_test
}  // namespace fulcrum::admin
