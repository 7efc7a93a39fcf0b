package dev.trapdoor.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every x87 escape form (all 512 register encodings, every memory form with a SIB operand, the
 * 16-bit environment images) plus the new system rows, against GNU objdump 2.40's listing of the
 * same bytes ({@code objdump -D -b binary -m i386}), kept in x87-objdump.txt.
 */
class X87DisassemblyTest {
    @Test
    void matchesObjdumpForEveryForm() throws IOException {
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        try (InputStream in = X87DisassemblyTest.class.getResourceAsStream("x87-objdump.txt")) {
            assertNotNull(in);
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                int bar = line.indexOf('|');
                byte[] code = Guest.hex(line.substring(0, bar));
                String expected = line.substring(bar + 1);
                String actual = Disassembler.disassemble(code, 0, 0, true);
                if (expected.startsWith("(bad)")) expected = "(bad)";
                if (!expected.equals(actual)) mismatches.add(line.substring(0, bar) + ": objdump '" + expected + "', ours '" + actual + "'");
                checked++;
            }
        }
        assertEquals(592, checked);
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @Test
    void reservedRegisterFormsRaiseInvalidOpcode() {
        // D9 D8 (objdump's "(bad)", an undocumented FSTP alias on some parts) and DF C8 (FXCH7 alias).
        for (String code : new String[] {"d9d8f4", "dfc8f4", "d9d1f4", "dae0f4"}) {
            try (Guest g = Guest.flat32(0x1000, Guest.hex(code))) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 6);
                assertEquals(6, g.run().vector, code);
            }
        }
    }
}
