#pragma once
// The files behind the log sinks (`--access-log PATH`, `--error-log PATH`) and their reopening,
// as nginx does on SIGUSR1: logrotate renames access.log to access.log.1 and signals; the
// process opens access.log anew and writes there from then on.
//
// A reopen never changes a descriptor number: the new file is dup2()ed over the old
// descriptor, so the workers, which write through the number in log_settings(), need no lock
// and no notice. A write(2) in flight during the swap holds the old file and lands there
// whole; every later one goes to the new file. No line is lost or split.
#include <sys/types.h>

#include <string>
#include <vector>

namespace fulcrum::core {

class LogFiles {
 public:
  LogFiles() = default;
  ~LogFiles();
  LogFiles(const LogFiles&) = delete;
  LogFiles& operator=(const LogFiles&) = delete;

  // Opens PATH for appending (created 0640) and returns its descriptor (close-on-exec), or -1
  // with `error`. Reopen() will follow PATH.
  int open_access_log(const std::string& path, std::string& error);
  // Opens PATH and makes it the process's stderr (descriptor 2), where diagnostics go, and
  // where a crash report or a library's complaint lands too.
  bool open_error_log(const std::string& path, std::string& error);

  // Opens every file again by its path, in place. Returns what went wrong ("" when nothing
  // did); a file that cannot be opened keeps its old one, so lines still go somewhere.
  std::string reopen();
  // Hands the files to the user the process will run as (called as root, before switching;
  // the group stays, e.g. adm): that user keeps appending after a reopen finds the same file
  // (a rotation without rename). Returns what failed, "" otherwise. nginx does the same.
  std::string give_to(uid_t uid);
  // "access=/var/log/fulcrum/access.log error=-", for the log line that follows a reopen.
  std::string describe() const;
  bool empty() const { return files_.empty(); }

 private:
  struct File {
    std::string role;  // "access" or "error"
    std::string path;
    int fd;
  };
  std::vector<File> files_;
};

}  // namespace fulcrum::core
