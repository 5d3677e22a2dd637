import ArgumentParser
import Cluster
import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a whole text file, or fails with the path and the system's reason.
func readTextFile(_ path: String) throws -> String {
  do {
    return try FileReader.readText(path)
  } catch {
    printError("\(path): \(error)")
    throw ExitCode(1)
  }
}

func printError(_ line: String) {
  var line = line + "\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
