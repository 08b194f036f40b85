#pragma once

// The benchmarks of lunette-bench (PERFORMANCE.md numbering). Each prints its rows as it goes.

#include "BenchSupport.h"

namespace lunette::bench {

void runRoundTrip(const Options& options); // P1 (+ the raw Qt WebSocket baseline)
void runChangeDetection(const Options& options); // P2
void runEncode(const Options& options); // P3
void runMemory(const Options& options); // P4
void runThroughput(const Options& options); // P7
void runTimers(const Options& options); // P8
void runStartup(const Options& options); // P9

} // namespace lunette::bench
