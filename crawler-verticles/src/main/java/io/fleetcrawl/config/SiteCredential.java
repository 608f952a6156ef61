package io.fleetcrawl.config;

import io.fleetcrawl.model.InvalidInputException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Credentials for sites the operator owns: HTTP basic or bearer authentication, sent only to the
 * hosts the pattern names. A redirect elsewhere is a new URL on another host, so it never carries
 * them. {@link #toString} never shows the secret, so a credential can reach no log or status page
 * by accident.
 *
 * @param user the basic-auth user, or null for a bearer token
 * @param secret the password or the token
 */
public record SiteCredential(HostPattern hosts, Scheme scheme, String user, String secret) {
  /** How the credential is presented. */
  public enum Scheme {
    BASIC,
    BEARER
  }

  public SiteCredential {
    if (secret == null || secret.isEmpty()) {
      throw new InvalidInputException("the " + scheme + " credential has no secret");
    }
    if (scheme == Scheme.BASIC && (user == null || user.isEmpty() || user.contains(":"))) {
      throw new InvalidInputException("a basic credential needs a user without ':'");
    }
    if ((secret + (user == null ? "" : user)).chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new InvalidInputException("a credential holds a control character");
    }
  }

  @Override
  public String toString() {
    return "SiteCredential[" + hosts + " " + scheme.name().toLowerCase(Locale.ROOT) + " ***]";
  }

  /**
   * Reads a credentials file: one {@code HOST-PATTERN basic USER PASSWORD} or {@code HOST-PATTERN
   * bearer TOKEN} per line; blank lines and lines starting with {@code #} are skipped; the password
   * runs to the end of the line. Errors name the file and line, never the secret.
   */
  public static List<SiteCredential> load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException e) {
      throw new InvalidInputException("invalid --auth-file " + file + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new InvalidInputException(
          "invalid --auth-file " + file + ": cannot read it (" + e.getMessage() + ")", e);
    }
    List<SiteCredential> credentials = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        credentials.add(parseLine(line));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "invalid --auth-file " + file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return credentials;
  }

  private static SiteCredential parseLine(String line) {
    String[] parts = line.split("\\s+", 3);
    if (parts.length < 3) {
      throw new InvalidInputException(
          "expected 'HOST-PATTERN basic USER PASSWORD' or 'HOST-PATTERN bearer TOKEN'");
    }
    HostPattern hosts = new HostPattern(parts[0]);
    switch (parts[1].toLowerCase(Locale.ROOT)) {
      case "basic" -> {
        String[] userAndPassword = parts[2].split("\\s+", 2);
        if (userAndPassword.length < 2) {
          throw new InvalidInputException("a basic credential needs a user and a password");
        }
        return new SiteCredential(hosts, Scheme.BASIC, userAndPassword[0], userAndPassword[1]);
      }
      case "bearer" -> {
        if (parts[2].contains(" ")) {
          throw new InvalidInputException("a bearer token has no spaces");
        }
        return new SiteCredential(hosts, Scheme.BEARER, null, parts[2]);
      }
      default ->
          throw new InvalidInputException(
              "unknown scheme '" + parts[1] + "'; known: basic, bearer");
    }
  }

  /** Returns whether others than the owner may read the file, which a secret should not allow. */
  public static boolean readableByOthers(Path file) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      return p.contains(PosixFilePermission.OTHERS_READ)
          || p.contains(PosixFilePermission.GROUP_READ);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
