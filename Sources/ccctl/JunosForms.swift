/// SRX operators type `show chassis cluster status`: the Junos forms are the same commands
/// as ours with `chassis cluster` after the verb, so they are rewritten before parsing.
enum JunosForms {
  static let verbs: Set<String> = ["show", "request", "clear"]

  static func rewrite(_ arguments: [String]) -> [String] {
    guard arguments.count >= 3, verbs.contains(arguments[0]), arguments[1] == "chassis",
      arguments[2] == "cluster"
    else { return arguments }
    return [arguments[0]] + arguments.dropFirst(3)
  }
}

@main
enum Entry {
  static func main() {
    CCCtl.main(JunosForms.rewrite(Array(CommandLine.arguments.dropFirst())))
  }
}
