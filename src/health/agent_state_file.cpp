#include "health/agent_state_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace fulcrum::health {

std::optional<AgentWord> parse_agent_word(const std::string& word) {
  if (word == "up" || word == "ready") return AgentWord::up;
  if (word == "drain") return AgentWord::drain;
  if (word == "maint") return AgentWord::maint;
  if (word == "down" || word == "stopped") return AgentWord::down;
  return std::nullopt;
}

bool AgentStateFile::write(AgentWord word, const std::string& comment, std::string& error) const {
  const std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
  // The default /run/fulcrum/ does not survive a reboot: make the directory (one level).
  if (auto slash = path_.rfind('/'); slash != std::string::npos && slash > 0) {
    ::mkdir(path_.substr(0, slash).c_str(), 0755);
  }
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) {
      error = "cannot write " + temporary + ": " + std::strerror(errno);
      return false;
    }
    out << to_string(word);
    if (!comment.empty()) out << " # " << comment;
    out << "\n";
    if (!out.flush()) {
      error = "cannot write " + temporary + ": " + std::strerror(errno);
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path_.c_str()) != 0) {
    error = "cannot replace " + path_ + ": " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

AgentWord AgentStateFile::current() {
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    word_ = AgentWord::up;
    comment_.clear();
    seen_ = false;
    return word_;
  }
  if (seen_ && info.st_ino == inode_ && info.st_size == size_ && info.st_mtim.tv_sec == modified_.tv_sec &&
      info.st_mtim.tv_nsec == modified_.tv_nsec) {
    return word_;
  }
  seen_ = true;
  inode_ = info.st_ino;
  size_ = info.st_size;
  modified_ = info.st_mtim;
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  AgentReply reply = parse_agent_reply(line);
  // An unreadable or empty file is `up`: a typo must not drain a fleet.
  word_ = reply.state == AgentWord::none ? AgentWord::up : reply.state;
  comment_ = reply.comment;
  return word_;
}

}  // namespace fulcrum::health
