// Connections from many distinct source addresses, as a botnet (or a spoofed-address flood
// that completes handshakes) would make: for i in [0, N) connect from 127.A.B.C (starting at
// --first, one address per connection), then close with a reset so that no TIME_WAIT piles up.
//
//   address_flood --port P --count N [--first 127.1.0.0] [--send TEXT]
// Prints "done N failed F seconds S".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  int port = 0;
  long count = 1000;
  std::string first = "127.1.0.0";
  std::string send_text;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--port") port = std::atoi(argv[i + 1]);
    else if (arg == "--count") count = std::atol(argv[i + 1]);
    else if (arg == "--first") first = argv[i + 1];
    else if (arg == "--send") send_text = argv[i + 1];
  }
  in_addr base{};
  if (inet_pton(AF_INET, first.c_str(), &base) != 1) {
    std::fprintf(stderr, "address_flood: bad --first %s\n", first.c_str());
    return 2;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto started = std::chrono::steady_clock::now();
  long failed = 0;
  for (long i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(ntohl(base.s_addr) + static_cast<uint32_t>(i));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ++failed;
    } else if (!send_text.empty()) {
      ::send(fd, send_text.data(), send_text.size(), MSG_NOSIGNAL);
    }
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("done %ld failed %ld seconds %.2f\n", count, failed, seconds);
  return 0;
}
