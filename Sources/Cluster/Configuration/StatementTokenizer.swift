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
      if character == " " || character == "\t" || character == "\r" {
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
