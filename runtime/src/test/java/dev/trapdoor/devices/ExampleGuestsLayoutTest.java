package dev.trapdoor.devices;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The committed example guests keep the addresses their READMEs promise (scripts and the REPL
 * demo patch them). Both load at guest-physical 0x1000.
 */
class ExampleGuestsLayoutTest {
    private static final int LOAD = 0x1000;

    private static byte[] guest(String path) throws IOException {
        Path p = Path.of("..", "examples").resolve(path);
        if (!Files.exists(p)) p = Path.of("examples").resolve(path);  // run from the repository root
        return Files.readAllBytes(p);
    }

    private static String cString(byte[] image, int address) {
        int from = address - LOAD, to = from;
        while (image[to] != 0) to++;
        return new String(image, from, to - from, StandardCharsets.US_ASCII);
    }

    @Test
    void helloKeepsItsMessagesAndGdtWhereDocumented() throws IOException {
        byte[] hello = guest("hello/hello.bin");
        assertTrue(hello.length <= 0x1000, "fits the one page at 0x1000");
        assertEquals("Hello from the guest!\n", cString(hello, 0x1100));
        byte[] msg32 = Arrays.copyOfRange(hello, 0x1140 - LOAD, 0x1140 - LOAD + 30);
        assertEquals("Now in 32-bit protected mode.\n", new String(msg32, StandardCharsets.US_ASCII));
        ByteBuffer le = ByteBuffer.wrap(hello).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x00cf9a000000ffffL, le.getLong(0x1188 - LOAD), "GDT code descriptor");
        assertEquals(0x17, le.getShort(0x1198 - LOAD), "GDTR limit");
        assertEquals(0x1180, le.getInt(0x119a - LOAD), "GDTR base");
        assertEquals((byte) 0xf4, hello[0x104e - LOAD], "hlt");
    }

    @Test
    void outloopKeepsItsCountAtTheTopOfThePage() throws IOException {
        byte[] bench = guest("bench/outloop.bin");
        assertEquals(0x1000, bench.length);
        assertEquals(1_000_000, ByteBuffer.wrap(bench).order(ByteOrder.LITTLE_ENDIAN).getInt(0x1ffc - LOAD));
        assertArrayEquals(new byte[] {(byte) 0xe6, (byte) 0x80}, Arrays.copyOfRange(bench, 0x100f - LOAD, 0x1011 - LOAD),
                "out 0x80, al");
    }
}
