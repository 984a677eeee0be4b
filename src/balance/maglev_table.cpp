#include "balance/maglev_table.hpp"

#include <algorithm>
#include <limits>
#include <queue>
#include <tuple>

#include "balance/mix.hpp"

namespace fulcrum::balance {
namespace {

constexpr uint32_t kSmallestTable = 65536;
constexpr uint32_t kSlotsPerMember = 100;
// Salts that turn one key into two independent permutation parameters.
constexpr uint64_t kOffsetSalt = 0x6f6666736574ULL;  // "offset"
constexpr uint64_t kSkipSalt = 0x736b6970ULL;        // "skip"

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint32_t d = 3; uint64_t{d} * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

uint32_t next_power_of_two(uint64_t n) {
  uint64_t power = 1;
  while (power < n) power <<= 1;
  return static_cast<uint32_t>(std::min<uint64_t>(power, uint64_t{1} << 31));
}

}  // namespace

uint32_t MaglevTable::size_for(size_t member_count) {
  uint32_t size = std::max(kSmallestTable, next_power_of_two(uint64_t{member_count} * kSlotsPerMember));
  while (!is_prime(size)) ++size;
  return size;
}

MaglevTable::MaglevTable(std::span<const Target> targets) {
  std::vector<Member> members;
  for (uint32_t index = 0; index < targets.size(); ++index) {
    if (targets[index].weight > 0) members.push_back({targets[index].key, targets[index].weight, index});
  }
  if (members.empty()) return;
  // Claim order by key: configuration order must not matter. Equal keys (one address listed
  // twice) are the only case where it still does.
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    return std::tie(a.key, a.weight, a.target) < std::tie(b.key, b.weight, b.target);
  });
  for (const Member& member : members) members_.push_back(member.target);

  const uint32_t size = size_for(members.size());
  // Filled in place at its final width: the fill is a random walk over the table, and a table
  // half the size stays in cache better (this is most of the build time at 10,000 targets).
  if (members.size() < std::numeric_limits<uint16_t>::max()) {
    narrow_.assign(size, std::numeric_limits<uint16_t>::max());
    fill(members, narrow_);
  } else {
    wide_.assign(size, std::numeric_limits<uint32_t>::max());
    fill(members, wide_);
  }
}

template <class Slot>
void MaglevTable::fill(const std::vector<Member>& members, std::vector<Slot>& slots) {
  constexpr Slot kEmpty = std::numeric_limits<Slot>::max();
  const uint32_t size = static_cast<uint32_t>(slots.size());
  const uint32_t member_count = static_cast<uint32_t>(members.size());
  std::vector<uint32_t> position(member_count);
  std::vector<uint32_t> skip(member_count);
  uint32_t max_weight = 0;
  uint32_t min_weight = std::numeric_limits<uint32_t>::max();
  for (uint32_t m = 0; m < member_count; ++m) {
    position[m] = static_cast<uint32_t>(mix64(members[m].key, kOffsetSalt) % size);
    skip[m] = static_cast<uint32_t>(mix64(members[m].key, kSkipSalt) % (size - 1)) + 1;
    max_weight = std::max(max_weight, members[m].weight);
    min_weight = std::min(min_weight, members[m].weight);
  }
  uint32_t filled = 0;
  // Member m takes its next preferred free slot. The permutation visits every slot (skip <
  // size, size prime), so one is found.
  const auto claim = [&](uint32_t m) {
    while (slots[position[m]] != kEmpty) {
      position[m] += skip[m];
      if (position[m] >= size) position[m] -= size;
    }
    slots[position[m]] = static_cast<Slot>(m);
    ++filled;
  };

  if (min_weight == max_weight) {  // equal weights: plain Maglev, members in turn
    while (filled < size) {
      for (uint32_t m = 0; m < member_count && filled < size; ++m) claim(m);
    }
    return;
  }
  // Member m's k-th claim is due in round ceil(k * w_max / w_m); within a round members go in
  // key order. A heap on (round, member) replays exactly that order without visiting members
  // that are not due, so very uneven weights cost no more than even ones.
  std::vector<uint64_t> claims(member_count, 0);
  const auto due_round = [&](uint32_t m) {
    const uint64_t next = claims[m] + 1;
    return (next * max_weight + members[m].weight - 1) / members[m].weight;
  };
  using Due = std::pair<uint64_t, uint32_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> queue;
  for (uint32_t m = 0; m < member_count; ++m) queue.emplace(due_round(m), m);
  while (filled < size) {
    const uint32_t m = queue.top().second;
    queue.pop();
    claim(m);
    ++claims[m];
    queue.emplace(due_round(m), m);
  }
}

}  // namespace fulcrum::balance
