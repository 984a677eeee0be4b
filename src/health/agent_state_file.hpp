#pragma once
// The operator's word for a host (`fulcrum agent --state drain|up|maint|down`), kept in a small
// file so that the command and the running agent (two processes) agree, and so that it survives
// an agent restart. A missing file means `up`. The file holds the word and, optionally, a
// comment the balancer shows as the reason ("drain # kernel upgrade").
#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>

#include "health/agent_reply.hpp"

namespace fulcrum::health {

std::optional<AgentWord> parse_agent_word(const std::string& word);

class AgentStateFile {
 public:
  explicit AgentStateFile(std::string path) : path_(std::move(path)) {}

  // Replaces the file atomically (write beside it, then rename). False with `error` set on failure.
  bool write(AgentWord word, const std::string& comment, std::string& error) const;
  // The current word, re-read only when the file changed (one stat() otherwise).
  AgentWord current();
  const std::string& comment() const { return comment_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  AgentWord word_ = AgentWord::up;
  std::string comment_;
  bool seen_ = false;
  ino_t inode_ = 0;
  timespec modified_{};
  off_t size_ = -1;
};

}  // namespace fulcrum::health
