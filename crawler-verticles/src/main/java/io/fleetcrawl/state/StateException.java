package io.fleetcrawl.state;

/** The state store cannot be opened, read or written; the message names the store. */
public final class StateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StateException(String message, Throwable cause) {
    super(message, cause);
  }
}
