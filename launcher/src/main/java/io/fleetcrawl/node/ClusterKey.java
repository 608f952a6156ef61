package io.fleetcrawl.node;

import io.fleetcrawl.model.InvalidInputException;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster's key: one certificate and its private key (PEM), the same on every node and client.
 * It closes the event bus to every process without it (TLS with client certificates, each side
 * trusting only the cluster's certificate), and it is what members prove they hold to one another
 * on Hazelcast, which cannot authenticate members itself ({@link
 * io.fleetcrawl.membership.MemberTrust}).
 *
 * @param cert the cluster certificate, PEM
 * @param key its private key, PEM (PKCS#8, or PKCS#1 for RSA)
 */
public record ClusterKey(Path cert, Path key) {
  private static final Pattern PEM_KEY =
      Pattern.compile(
          "-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  /**
   * Returns the key these flags name, or null when neither is given.
   *
   * @throws InvalidInputException naming the flag when only one is given or a file is unreadable or
   *     not what it should be
   */
  public static ClusterKey of(Path cert, Path key) {
    if (cert == null && key == null) {
      return null;
    }
    if (cert == null || key == null) {
      throw new InvalidInputException(
          "give both --cluster-cert and --cluster-key (FLEETCRAWL_CLUSTER_CERT,"
              + " FLEETCRAWL_CLUSTER_KEY), or neither");
    }
    ClusterKey clusterKey = new ClusterKey(cert, key);
    clusterKey.certificate();
    clusterKey.proofSecret();
    return clusterKey;
  }

  /** Makes the event bus TLS-only, with client certificates, trusting only this certificate. */
  public void applyTo(EventBusOptions options) {
    options
        .setSsl(true)
        .setKeyCertOptions(
            new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(cert.toString()))
        // The event bus trusts every server certificate by default: a rogue member's bus would
        // then receive what members send to the addresses it registered.
        .setTrustAll(false)
        .setClientAuth(ClientAuth.REQUIRED);
  }

  /**
   * Returns the secret members prove themselves with: a hash of the private key, so that only a
   * holder of the key can compute it and the key itself never leaves the node.
   */
  public byte[] proofSecret() {
    String text;
    try {
      text = Files.readString(key, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new InvalidInputException("invalid --cluster-key: cannot read " + key + ": " + e);
    }
    Matcher m = PEM_KEY.matcher(text);
    if (!m.find()) {
      throw new InvalidInputException(
          "invalid --cluster-key: " + key + " holds no PEM private key (BEGIN PRIVATE KEY)");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("invalid --cluster-key: " + key + " is not valid PEM");
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("fleetcrawl member proof\0".getBytes(StandardCharsets.US_ASCII));
      return sha.digest(der);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private void certificate() {
    try (InputStream in = Files.newInputStream(cert)) {
      CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException e) {
      throw new InvalidInputException("invalid --cluster-cert: cannot read " + cert + ": " + e);
    } catch (CertificateException e) {
      throw new InvalidInputException(
          "invalid --cluster-cert: " + cert + " is not a PEM certificate: " + e.getMessage());
    }
  }
}
