package io.fleetcrawl.config;

import io.fleetcrawl.model.InvalidInputException;

/** Start-up validation shared by the configuration records. */
public final class Settings {
  private Settings() {}

  /**
   * Throws an {@link InvalidInputException} naming the setting when the condition does not hold.
   */
  public static void require(boolean condition, String setting, String problem) {
    InvalidInputException.requireSetting(condition, setting, problem);
  }
}
