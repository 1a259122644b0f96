// A strict reader of the Prometheus text exposition format (version 0.0.4), written for the
// tests independently of cuttle's renderer, so that a malformed /metrics page is caught.
//
// Checked (https://prometheus.io/docs/instrumenting/exposition_formats/):
//   - every line is "# HELP name text", "# TYPE name type", another "# " comment, or a
//     sample "name[{label="value",...}] value [timestamp]"; no blank lines inside;
//   - names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, label values
//     are double-quoted with only \\, \" and \n escapes; values are Go floats (+Inf, -Inf,
//     NaN included);
//   - HELP and TYPE come at most once per family and before its first sample; TYPE is one of
//     counter, gauge, histogram, summary, untyped;
//   - the samples of a family are contiguous (a family is the sample name, less _bucket,
//     _sum or _count for histograms and _sum, _count for summaries);
//   - no series (name plus labels) appears twice; the text ends with a newline.
// Thread-safe (pure functions).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle::test {

struct PrometheusSample {
  std::string name;
  std::string labels;  // as written between the braces ("" when none)
  std::string family;  // the name, less a histogram's or summary's suffix
  double value = 0;
};

struct PrometheusText {
  bool ok = false;
  std::string error;  // the first violation, with its line
  std::vector<PrometheusSample> samples;
  std::map<std::string, std::string> types;  // family name -> TYPE
  std::set<std::string> helps;               // families with a HELP line

  // The value of one series, written as on the page: "name" or
  // "name{label=\"v\",...}" (labels in the page's order). nullopt when absent.
  std::optional<double> value(std::string_view series) const;
};

PrometheusText parsePrometheusText(std::string_view text);

}  // namespace cuttle::test
