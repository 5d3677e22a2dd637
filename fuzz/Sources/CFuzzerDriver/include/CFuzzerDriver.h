#pragma once
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM links every executable
/// with `main` bound to the target's own entry point, so libFuzzer's main is never pulled in:
/// each fuzzer's main.swift calls the driver itself.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*UserCb)(const uint8_t *Data, size_t Size));
