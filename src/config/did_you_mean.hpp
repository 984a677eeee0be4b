#pragma once
// Suggestions for misspelt keys and values ("did you mean 'interval'?").
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fulcrum::config {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring
// ASCII case: "intreval" is one edit from "interval".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates);

}  // namespace fulcrum::config
