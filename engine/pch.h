// Precompiled header of lf_engine: the LibTorch headers, which dominate compile
// time. Never include this file; CMake force-includes it.
#pragma once
#include <torch/torch.h>
