import ArgumentParser
import Cluster

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a whole text file, or fails with the path and the system's reason.
func readTextFile(_ path: String) throws -> String {
  guard let handle = fopen(path, "r") else {
    let reason = String(cString: strerror(errno))
    printError("\(path): \(reason)")
    throw ExitCode(1)
  }
  defer { fclose(handle) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let count = fread(&buffer, 1, buffer.count, handle)
    if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
    if count < buffer.count { break }
  }
  if ferror(handle) != 0 {
    printError("\(path): read error")
    throw ExitCode(1)
  }
  return String(decoding: bytes, as: UTF8.self)
}

func printError(_ line: String) {
  var line = line + "\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
