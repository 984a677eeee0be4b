// A DNS load generator of ours (bench/dns.sh): A queries over UDP, request/reply, measuring
// answers per second.
//
//   dns_load --port P [--name www.example.com] [--type 1] [--flows F] [--window W] [--seconds S]
//            [--ecs 10.1.2.0/24]
//
// F client sockets, each keeping W queries in flight: every answer sends the next query. A
// socket that heard nothing for 200 ms refills its window (lost datagrams are counted, not
// waited for). Prints one line:
//   "rate=R unit=answers/s answers=N sent=M refills=L noerror=A nxdomain=B other=C"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<unsigned char> build_query(const std::string& name, uint16_t type, const std::string& ecs) {
  std::vector<unsigned char> q = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, static_cast<unsigned char>(ecs.empty() ? 0 : 1)};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<unsigned char>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.push_back(static_cast<unsigned char>(type >> 8));
  q.push_back(static_cast<unsigned char>(type));
  q.push_back(0);
  q.push_back(1);
  if (!ecs.empty()) {
    auto slash = ecs.find('/');
    int prefix = std::atoi(ecs.c_str() + slash + 1);
    unsigned char address[4] = {};
    inet_pton(AF_INET, ecs.substr(0, slash).c_str(), address);
    size_t bytes = static_cast<size_t>((prefix + 7) / 8);
    unsigned char opt[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, static_cast<unsigned char>(8 + bytes),
                           0, 8, 0, static_cast<unsigned char>(4 + bytes), 0, 1, static_cast<unsigned char>(prefix), 0};
    q.insert(q.end(), opt, opt + sizeof opt);
    q.insert(q.end(), address, address + bytes);
  }
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 0;
  std::string name = "www.example.com", ecs;
  int flows = 16, window = 8, type = 1;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (flag == "--name") name = argv[i + 1];
    else if (flag == "--type") type = std::atoi(argv[i + 1]);
    else if (flag == "--flows") flows = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--window") window = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (flag == "--ecs") ecs = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::vector<unsigned char> query = build_query(name, static_cast<uint16_t>(type), ecs);
  int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  using Clock = std::chrono::steady_clock;
  std::vector<int> sockets;
  std::vector<Clock::time_point> last_heard(static_cast<size_t>(flows), Clock::now());
  uint64_t sent = 0, answers = 0, refills = 0, noerror = 0, nxdomain = 0, other = 0;
  uint16_t next_id = 1;
  auto send_one = [&](int fd) {
    query[0] = static_cast<unsigned char>(next_id >> 8);
    query[1] = static_cast<unsigned char>(next_id);
    ++next_id;
    sent += ::send(fd, query.data(), query.size(), 0) > 0;
  };
  for (int f = 0; f < flows; ++f) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    epoll_event event{EPOLLIN, {.u32 = static_cast<uint32_t>(f)}};
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    sockets.push_back(fd);
    for (int w = 0; w < window; ++w) send_one(fd);
  }
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto next_check = start + std::chrono::milliseconds(100);
  // Answers are drained and the next queries sent in batches (recvmmsg/sendmmsg), so that the
  // tool costs far fewer syscalls per query than the responder under test.
  constexpr int kBatch = 32;
  static unsigned char buffers[kBatch][2048];
  mmsghdr in[kBatch] = {}, out[kBatch] = {};
  iovec in_vectors[kBatch], out_vectors[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    in_vectors[i] = {buffers[i], sizeof buffers[i]};
    in[i].msg_hdr.msg_iov = &in_vectors[i];
    in[i].msg_hdr.msg_iovlen = 1;
    out_vectors[i] = {query.data(), query.size()};
    out[i].msg_hdr.msg_iov = &out_vectors[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  epoll_event events[64];
  while (Clock::now() < end) {
    int n = ::epoll_wait(epoll, events, 64, 50);
    auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      uint32_t f = events[i].data.u32;
      int got;
      while ((got = ::recvmmsg(sockets[f], in, kBatch, MSG_DONTWAIT, nullptr)) > 0) {
        answers += static_cast<uint64_t>(got);
        last_heard[f] = now;
        for (int k = 0; k < got; ++k) {
          if (in[k].msg_len >= 4) {
            int rcode = buffers[k][3] & 0x0F;
            (rcode == 0 ? noerror : rcode == 3 ? nxdomain : other)++;
          }
        }
        // The same query each time: ids differ per batch only, which the responder does not mind.
        query[0] = static_cast<unsigned char>(next_id >> 8);
        query[1] = static_cast<unsigned char>(next_id);
        ++next_id;
        int sent_now = ::sendmmsg(sockets[f], out, static_cast<unsigned>(got), 0);
        if (sent_now > 0) sent += static_cast<uint64_t>(sent_now);
        if (got < kBatch) break;
      }
    }
    if (now >= next_check) {
      next_check = now + std::chrono::milliseconds(100);
      for (int f = 0; f < flows; ++f) {
        if (now - last_heard[f] > std::chrono::milliseconds(200)) {
          ++refills;
          last_heard[f] = now;
          for (int w = 0; w < window; ++w) send_one(sockets[f]);
        }
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("rate=%.0f unit=answers/s answers=%llu sent=%llu refills=%llu noerror=%llu nxdomain=%llu other=%llu\n",
              answers / elapsed, static_cast<unsigned long long>(answers), static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(refills), static_cast<unsigned long long>(noerror),
              static_cast<unsigned long long>(nxdomain), static_cast<unsigned long long>(other));
}
