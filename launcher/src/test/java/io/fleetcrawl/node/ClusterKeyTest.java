package io.fleetcrawl.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.model.InvalidInputException;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterKeyTest {
  @TempDir Path dir;

  /** A certificate and key made by Debian's openssl, as the README tells operators to. */
  private ClusterKey made(String name) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=" + name,
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return ClusterKey.of(cert, key);
  }

  @Test
  void noFlagsMeanNoKeyAndOneWithoutTheOtherIsRefusedNamingBoth() throws Exception {
    assertNull(ClusterKey.of(null, null));
    Path file = Files.writeString(dir.resolve("x.pem"), "x");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ClusterKey.of(file, null));
    assertTrue(e.getMessage().contains("--cluster-cert and --cluster-key"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> ClusterKey.of(null, file));
  }

  @Test
  void aFileThatIsNotACertificateOrKeyIsRefusedNamingTheFlagAndFile() throws Exception {
    ClusterKey good = made("good");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a pem file\n");
    InvalidInputException cert =
        assertThrows(InvalidInputException.class, () -> ClusterKey.of(garbage, good.key()));
    assertTrue(
        cert.getMessage().startsWith("invalid --cluster-cert: " + garbage), cert.getMessage());
    InvalidInputException key =
        assertThrows(InvalidInputException.class, () -> ClusterKey.of(good.cert(), garbage));
    assertTrue(key.getMessage().startsWith("invalid --cluster-key: " + garbage), key.getMessage());
    Path missing = dir.resolve("missing.key");
    InvalidInputException gone =
        assertThrows(InvalidInputException.class, () -> ClusterKey.of(good.cert(), missing));
    assertTrue(gone.getMessage().contains("cannot read " + missing), gone.getMessage());
  }

  @Test
  void theProofSecretIsTheSameForTheSameKeyAndDiffersForAnother() throws Exception {
    ClusterKey one = made("one");
    ClusterKey other = made("other");
    Path copy = Files.copy(one.key(), dir.resolve("copy.key"));
    assertArrayEquals(one.proofSecret(), ClusterKey.of(one.cert(), copy).proofSecret());
    assertFalse(java.util.Arrays.equals(one.proofSecret(), other.proofSecret()));
    UUID member = UUID.randomUUID();
    assertEquals(
        MemberTrust.proof(one.proofSecret(), member), MemberTrust.proof(one.proofSecret(), member));
    assertFalse(
        MemberTrust.proof(one.proofSecret(), member)
            .equals(MemberTrust.proof(other.proofSecret(), member)),
        "another key proves nothing");
    assertFalse(
        MemberTrust.proof(one.proofSecret(), member)
            .equals(MemberTrust.proof(one.proofSecret(), UUID.randomUUID())),
        "a proof names its member: copying another's is useless");
  }

  @Test
  void aPkcs8RsaKeyIsReadToo() throws Exception {
    ClusterKey good = made("pkcs8");
    var pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Path rsa = Files.writeString(dir.resolve("rsa.key"), pem);
    assertEquals(32, ClusterKey.of(good.cert(), rsa).proofSecret().length);
  }

  @Test
  void theEventBusBecomesTlsOnlyWithClientCertificatesTrustingTheClusterCertificate()
      throws Exception {
    ClusterKey key = made("bus");
    EventBusOptions options =
        new ClusterSettings(null, null, List.of(), null, null, null, key).eventBusOptions();
    assertTrue(options.isSsl());
    assertEquals(ClientAuth.REQUIRED, options.getClientAuth());
    assertFalse(options.isTrustAll());
    assertFalse(new ClusterSettings(null, null, List.of(), null).eventBusOptions().isSsl());
  }
}
