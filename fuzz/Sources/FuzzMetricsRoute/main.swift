import CFuzzerDriver

#if canImport(Glibc)
  import Glibc
#endif

// libFuzzer drives fuzzMetricsRoute: run with libFuzzer's usual flags (-runs=N, -max_total_time=S, dirs).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzMetricsRoute(data, size) })
