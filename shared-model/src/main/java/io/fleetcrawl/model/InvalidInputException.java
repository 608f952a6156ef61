package io.fleetcrawl.model;

/**
 * Input the crawler refuses: a flag, a file or a value given by the person or program running it.
 * Its message names what was wrong, and the command line ends with exit status 2 saying so. Any
 * other exception that reaches the command line is a fault of the crawler (exit status 1).
 */
public class InvalidInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Throws one naming the setting ({@code --setting}) when the condition does not hold. */
  public static void requireSetting(boolean condition, String setting, String problem) {
    if (!condition) {
      throw new InvalidInputException("invalid --" + setting + ": " + problem);
    }
  }
}
