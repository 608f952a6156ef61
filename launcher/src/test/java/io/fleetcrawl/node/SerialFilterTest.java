package io.fleetcrawl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.BadAttributeValueExpException;
import org.junit.jupiter.api.Test;

class SerialFilterTest {
  /** A stand-in for the crawler's own serializable types (entry processors are records). */
  record Probe(String key, long value, List<String> urls) implements Serializable {}

  private static Object roundTrip(Object value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      in.setObjectInputFilter(SerialFilter.FILTER);
      return in.readObject();
    }
  }

  @Test
  void crawlerTypesAndTheirJdkPartsPass() throws Exception {
    Map<String, Long> counts = new HashMap<>(Map.of("a.example", 3L));
    assertEquals(counts, roundTrip(counts));
    Probe probe = new Probe("a.example", 7, List.of("http://a.example/"));
    assertEquals(probe, roundTrip(probe));
  }

  @Test
  void aGadgetClassFromTheClasspathIsRefused() {
    // The JDK class whose readObject starts many known gadget chains.
    assertThrows(
        InvalidClassException.class, () -> roundTrip(new BadAttributeValueExpException("x")));
  }
}
