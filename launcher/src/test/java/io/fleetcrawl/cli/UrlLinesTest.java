package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UrlLinesTest {
  private final List<String> refused = new ArrayList<>();

  private List<String> read(byte[] bytes) throws Exception {
    return UrlLines.read(new ByteArrayInputStream(bytes), "seeds.txt", refused::add);
  }

  @Test
  void lineOfInvalidUtf8IsRefusedByNumberAndTheOthersAreKept() throws Exception {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.write("# seeds\nhttp://a.example/\n".getBytes(StandardCharsets.UTF_8));
    file.write(new byte[] {'h', 't', 't', 'p', ':', '/', '/', (byte) 0xC3, (byte) 0x28, '\n'});
    file.write("http://b.example/ü\r\n\nhttp://c.example/".getBytes(StandardCharsets.UTF_8));
    assertEquals(
        List.of("http://a.example/", "http://b.example/ü", "http://c.example/"),
        read(file.toByteArray()));
    assertEquals(List.of("seeds.txt line 3: not valid UTF-8, skipped"), refused);
  }

  @Test
  void overlongLineIsRefusedWithoutHoldingIt() throws Exception {
    byte[] huge = ("http://a.example/" + "x".repeat(5 * UrlLines.MAX_LINE_BYTES)).getBytes();
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.write(huge);
    file.write("\nhttp://b.example/\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("http://b.example/"), read(file.toByteArray()));
    assertEquals(
        List.of("seeds.txt line 1: longer than " + UrlLines.MAX_LINE_BYTES + " bytes, skipped"),
        refused);
  }
}
