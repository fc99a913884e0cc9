// The loop's Prometheus source: `sfsg-mount --watch http://prometheus:9090
// --watch-select mountpoint=/srv` meters one volume through node_exporter's series
// instead of walking a tree (see predictor/prometheus_source.h for the mapping).
//
// Each round fetches the window the horizon needs and rewrites STATE/usage.csv with it,
// so the rest of the loop reads a usage file as with any other source. A failed fetch
// (server down, a refused query, no series) fails the round's meter step only: it is
// logged, the last good usage.csv stays, and the next round tries again.
//
// Pure checks and a blocking fetch; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "generator/util/status.h"
#include "predictor/prometheus_source.h"

namespace sfsg {

// The source as configured, checked before the mount (no request is made): the URL,
// the selectors, the credential files. Errors: kUsage (a bad URL or selector), kIo (an
// unreadable credentials file).
Result<PrometheusSource> MakeWatchSource(const std::string& url,
                                         const std::vector<std::string>& selectors,
                                         const std::string& bearer_token_file,
                                         const std::string& basic_auth_file, double horizon_s);

// Fetches the window ending now and writes the one volume's table to csv_path
// atomically. Errors: as FetchPrometheusVolumes (kRemote naming the URL and query);
// kBadInput when the selectors match several volumes (naming them: one shadow watches
// one volume).
Status FetchWatchedUsage(PrometheusSource source, double now_unix, const std::string& csv_path);

}  // namespace sfsg
