/// One word of a statement with its 1-based column, for `file:line:column` messages.
public struct Token: Sendable, Equatable {
  public var text: String
  public var column: Int
}

/// Splits configuration and scenario lines into words. Supports double-quoted words (for paths
/// with spaces) and `#` comments; Junos writes no other syntax in `set` form.
public enum StatementTokenizer {
  public enum Failure: Error, Equatable {
    case unterminatedQuote(column: Int)
  }

  /// Longer lines are refused before tokenizing (no `set` statement comes near it).
  public static let maximumLineLength = 4096

  /// The lines of a file, ending in LF or CR LF. Swift reads CR LF as one `Character`, so a
  /// split on "\n" alone would see a CRLF file as one single line.
  public static func lines(of text: String) -> [Substring] {
    text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
  }

  /// At most the first 40 characters of `line`, control characters shown as `?`, for messages
  /// about lines too long to quote.
  public static func excerpt(_ line: Substring) -> String {
    let head = line.prefix(40).map { $0.isASCII && ($0.asciiValue ?? 0) < 0x20 ? "?" : $0 }
    return String(head) + (line.dropFirst(40).isEmpty ? "" : "…")
  }

  public static func tokenize(_ line: Substring) throws(Failure) -> [Token] {
    var tokens: [Token] = []
    var current = ""
    var start = 0
    var inWord = false
    var inQuote = false
    var quoteColumn = 0
    var column = 0
    var escaped = false
    for character in line {
      column += 1
      if inQuote {
        if escaped {
          current.append(character)
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == "\"" {
          inQuote = false
        } else {
          current.append(character)
        }
        continue
      }
      // "\r\n" is one Character: a CR LF left in the line (a quoted word across lines, or a
      // caller that split on "\n") is whitespace like a lone CR.
      if character == " " || character == "\t" || character == "\r" || character == "\r\n" {
        if inWord {
          tokens.append(Token(text: current, column: start))
          current = ""
          inWord = false
        }
        continue
      }
      if character == "#" && !inWord {
        break
      }
      if !inWord {
        inWord = true
        start = column
      }
      if character == "\"" {
        inQuote = true
        quoteColumn = column
      } else {
        current.append(character)
      }
    }
    if inQuote {
      throw .unterminatedQuote(column: quoteColumn)
    }
    if inWord {
      tokens.append(Token(text: current, column: start))
    }
    return tokens
  }
}
