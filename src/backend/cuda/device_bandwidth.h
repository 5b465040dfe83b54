#pragma once
// The device's memory bandwidth, measured: the roofline that decode speed is compared with.
#include <cstddef>

#include "util/result.h"

namespace tachyon::cuda {

// GB/s counting bytes read plus bytes written, best of 5 device-to-device copies of `bytes`
// bytes (after one warm-up copy), timed with CUDA events.
Result<double> copy_bandwidth_gbps(size_t bytes);

}  // namespace tachyon::cuda
